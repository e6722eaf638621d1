"""Files: recent projects, examples, and the autosave recovery files.

Recovery files live in the data folder (`graph.paths.data_dir`: `$KERASCANVAS_DATA_DIR`,
else platformdirs' user data folder). A window rewrites its own while it has unsaved
changes and removes it when the work is saved or discarded, so finding one at start-up
means a session ended without saving. The window that starts first writes
`recovery.json`; a start sets a file found there aside as `recovery-<time>.json`
(`keep_aside`) before anything can overwrite it, and a window that opens kept work goes
on autosaving into that kept file until the work is saved.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import time
from pathlib import Path

from ...graph import projectfile
from ...graph.document import Document
from ...graph.errors import ProjectFileError
from ...graph.paths import data_dir
from .preferences import preference, remember, settings_path  # noqa: F401 - as before

# The recovery file is written this long after the last edit (a burst of edits is one
# write), and never later than AUTOSAVE_MAX_WAIT_MS after the first unsaved edit, so a
# crash loses at most about two seconds of work.
AUTOSAVE_DELAY_MS = 500
AUTOSAVE_MAX_WAIT_MS = 1500
MAX_RECENT = 10


def ask_save_path(parent, title: str, suggested: str, filters: str) -> str:
    """A save dialog's answer, with the chosen filter's extension added when the typed
    name ends in none of the extensions the dialog offers; "" when cancelled. A name
    typed with another offered extension keeps it (model.onnx while the first filter,
    .keras, is still selected): the name says which format is meant."""
    from PySide6 import QtWidgets

    path, chosen = QtWidgets.QFileDialog.getSaveFileName(parent, title, suggested, filters)
    if not path or _has_suffix(path, filters):
        return path or ""
    return with_filter_suffix(path, chosen or filters.split(";;")[0])


def _suffixes(name_filter: str) -> list[str]:
    """The extensions a dialog's filter (or several, joined by ";;") names."""
    return re.findall(r"\*(\.[\w.]+)", name_filter)


def _has_suffix(path: str, name_filter: str) -> bool:
    return any(path.lower().endswith(s.lower()) for s in _suffixes(name_filter))


def with_filter_suffix(path: str, name_filter: str) -> str:
    """`path` ending in one of `name_filter`'s extensions: the first is added when it ends in
    none ("All files (*)" adds nothing).

    >>> with_filter_suffix("/tmp/net", "Keras Canvas projects (*.json *.kcanvas)")
    '/tmp/net.json'
    >>> with_filter_suffix("/tmp/net.kcanvas", "Keras Canvas projects (*.json *.kcanvas)")
    '/tmp/net.kcanvas'
    >>> with_filter_suffix("/tmp/v1.2", "PNG image (*.png)")
    '/tmp/v1.2.png'
    """
    suffixes = _suffixes(name_filter)
    if not suffixes or _has_suffix(path, name_filter):
        return path
    return path + suffixes[0]


def recovery_path() -> Path:
    return data_dir() / "recovery.json"


def examples_dir() -> Path:
    from .style import RESOURCES

    return RESOURCES / "examples"


def example_files() -> list[Path]:
    folder = examples_dir()
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def recovery_text(doc: Document, source: str | None) -> str:
    """The recovery file's text: the document and the file it came from."""
    return _recovery_json({"source": source, "project": projectfile.to_dict(doc)})


def _recovery_json(data: dict) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


def recovery_snapshot(doc: Document, source: str | None) -> bytes:
    """The recovery file's data as it is now, copied whole, so that edits made after this
    call cannot reach it: `write_recovery_snapshot` turns it into JSON on another thread.

    A pickle of plain data, made and read in this process only (it never goes to a file),
    is a deep copy in one C call: a third of the time the JSON text takes, and a quarter
    of `copy.deepcopy`'s (an imported ResNet50)."""
    return pickle.dumps({"source": source, "project": projectfile.to_dict(doc)},
                        protocol=pickle.HIGHEST_PROTOCOL)


def write_recovery_snapshot(snapshot: bytes, path: Path | None = None) -> None:
    """Write a `recovery_snapshot` as the recovery file `path` (atomically)."""
    write_recovery_text(_recovery_json(pickle.loads(snapshot)), path)


def write_recovery_text(text: str, path: Path | None = None) -> None:
    path = Path(path or recovery_path())
    path.parent.mkdir(parents=True, exist_ok=True)
    projectfile.write_text_atomic(path, text)


def write_recovery(doc: Document, source: str | None, path: Path | None = None) -> None:
    """Save the unsaved state, with the file it came from, for a restore after a crash."""
    write_recovery_text(recovery_text(doc, source), path)


def read_recovery(path: Path | None = None) -> tuple[Document, str | None] | None:
    """The recovered document and its original path, or None when there is nothing valid."""
    path = Path(path or recovery_path())
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return projectfile.from_dict(data["project"]), data.get("source")
    except (OSError, ValueError, KeyError, TypeError, ProjectFileError):
        return None


def clear_recovery(path: Path | None = None) -> None:
    try:
        Path(path or recovery_path()).unlink()
    except FileNotFoundError:
        pass


def keep_aside() -> Path | None:
    """Rename a `recovery.json` left by a session that ended without saving to a name of
    its own (`recovery-<time>.json`), so the new session's autosave cannot overwrite it;
    the new name, or None when there was none (or it cannot be moved)."""
    found = recovery_path()
    kept = found.with_name(f"recovery-{time.time_ns()}.json")
    try:
        found.rename(kept)
    except OSError:  # none there (or a read-only folder: nothing will be written either)
        return None
    return kept


def kept_recoveries() -> list[Path]:
    """The recovery files set aside by `keep_aside`, newest first."""
    folder = data_dir()
    found = folder.glob("recovery-*.json") if folder.is_dir() else []
    return sorted(found, key=lambda p: p.name, reverse=True)


def _lock_file(path: Path):
    """The lock a running window holds on its recovery file (QLockFile: portable, and
    stale once its process is gone)."""
    from PySide6 import QtCore

    lock = QtCore.QLockFile(f"{path}.lock")
    lock.setStaleLockTime(0)  # stale only when its process is gone, however old it is
    return lock


def claim_lock(path: Path):
    """A held lock on the recovery file `path`, or None when another window holds it (or
    the data folder cannot be made)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    lock = _lock_file(path)
    return lock if lock.tryLock(0) else None


def in_use(path: Path) -> bool:
    """Whether a window of another running process autosaves into `path` (a window of
    this process is still offered: at start-up this process has no other window)."""
    lock = _lock_file(path)
    if not Path(f"{path}.lock").exists() or lock.tryLock(0):
        lock.unlock()
        return False
    info = lock.getLockInfo()  # (pid, hostname, application name)
    return not (isinstance(info, tuple) and info and info[0] == os.getpid())


def sweep_stale_locks() -> None:
    """Remove the locks that sessions killed before they saved or wrote anything left."""
    for lock in recovery_path().parent.glob("recovery*.json.lock"):
        in_use(lock.with_suffix(""))  # a stale lock is taken over, then released: gone


def start_folder(project_path: str | None) -> str:
    """Where a file dialog opens: the open project's folder, else that of the most recent
    project still there, else the home folder (not the process's working directory)."""
    for path in ([project_path] if project_path else []) + recent_files():
        folder = Path(path).parent
        if folder.is_dir():
            return str(folder)
    return str(Path.home())


def in_start_folder(project_path: str | None, name: str) -> str:
    """`name` in `start_folder`: a save dialog's suggestion."""
    return str(Path(start_folder(project_path)) / name)


def export_suggestion(project_path: str | None, suffix: str, model_name: str = "",
                      folder: str | None = None, keep: str | None = None) -> str:
    """An export's suggested path: the project's name with `suffix`, in `folder` (the last
    one exported to) when it is still there, else in `start_folder`; for an untitled
    project (an imported model) the model's name when it is a plain file name, else
    "model". Where that is `keep` (the file the project's weights start from, such as the
    imported model beside its project), "_export" is added to the name."""
    plain = re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", model_name or "")
    stem = Path(project_path).stem if project_path else model_name if plain else "model"
    place = (lambda name: str(Path(folder) / name)) if folder and Path(folder).is_dir() \
        else (lambda name: in_start_folder(project_path, name))
    path = place(stem + suffix)
    if keep and Path(path).resolve() == Path(keep).resolve():
        return place(f"{stem}_export{suffix}")
    return path


def export_folder() -> str | None:
    """The folder the last export of any session went to (the app's settings), or None."""
    folder = preference("export_folder")
    return folder if isinstance(folder, str) else None


def remember_export_folder(path: str) -> str:
    """Note the folder of `path`, just exported to, in the app's settings; returns it."""
    folder = str(Path(path).resolve().parent)
    remember("export_folder", folder)
    return folder


def recent_files() -> list[str]:
    try:
        data = json.loads((data_dir() / "recent.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [p for p in data if isinstance(p, str)][:MAX_RECENT] if isinstance(data, list) else []


def add_recent(path: str) -> list[str]:
    path = str(Path(path).resolve())
    items = [path] + [p for p in recent_files() if p != path]
    items = items[:MAX_RECENT]
    try:
        data_dir().mkdir(parents=True, exist_ok=True)
        projectfile.write_text_atomic(data_dir() / "recent.json", json.dumps(items, indent=1))
    except OSError:
        pass  # a read-only home must not stop the user from working
    return items

