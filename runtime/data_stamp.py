"""A cheap fingerprint of the data a run reads, taken as it starts, and what changed since.

A continuation (the window's Continue, `kerascanvas run --resume`) of a run must not go
on silently on data that changed under the same name: rows added to a CSV file, labels
edited, images added to a class. Reading the data again to compare it would take as long
as the run's own read, so the stamp is what the file system says plus a bounded read:

- a file: its size, modification time and a SHA-256 of its bytes; of the whole file up to
  `WHOLE_BYTES`, else of `SAMPLES` chunks of `SAMPLE_BYTES` spread over it (an edit
  between them shows in the time, not in the hash);
- an image folder: its files' count, their total size, the count of each class subfolder
  and a SHA-256 of the list of (path, size);
- synthetic and scikit-learn data: the spec alone (they name no file).

`runtime.train.load_checked_data` takes it before reading the training data; the run
record beside each kept model keeps it (`run_record`, field "source"). No keras.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Any

from kerascanvas.graph.training_paths import data_paths

from .run_record import RecordMismatch

WHOLE_BYTES = 1 << 20  # files up to 1 MiB are hashed whole
SAMPLE_BYTES = 1 << 16  # else 64 KiB at each of SAMPLES places (start, middle, end)
SAMPLES = 3


class DataChanged(RecordMismatch):
    """The data a continuation would train on changed since its run; the message says how."""


def stamp(spec: str) -> dict[str, Any]:
    """The fingerprint of the files or folders data `spec` names (see the module).

    >>> stamp("sklearn:iris")
    {'spec': 'sklearn:iris', 'files': {}}
    """
    files = {}
    for path in map(Path, data_paths(spec)):
        files[str(path)] = _folder(path) if path.is_dir() else _file(path)
    return {"spec": spec.strip(), "files": files}


def _file(path: Path) -> dict[str, Any]:
    try:
        found = os.stat(path)
        with open(path, "rb") as handle:
            digest, sampled = _digest(handle, found.st_size)
    except OSError as exc:
        return {"missing": exc.strerror or str(exc)}
    return {"size": found.st_size, "mtime_ns": found.st_mtime_ns, "sha256": digest,
            "sampled": sampled}


def _digest(handle, size: int) -> tuple[str, bool]:
    """(SHA-256 of the file's bytes, or of its samples, whether it was sampled)."""
    digest = hashlib.sha256()
    if size <= WHOLE_BYTES:
        digest.update(handle.read())
        return digest.hexdigest(), False
    for i in range(SAMPLES):
        handle.seek((size - SAMPLE_BYTES) * i // (SAMPLES - 1))
        digest.update(handle.read(SAMPLE_BYTES))
    return digest.hexdigest(), True


def _folder(root: Path) -> dict[str, Any]:
    listed, classes = [], {}
    for folder, _, names in sorted(os.walk(root)):
        rel = os.path.relpath(folder, root)
        for name in sorted(names):
            try:
                listed.append((os.path.join(rel, name), os.path.getsize(
                    os.path.join(folder, name))))
            except OSError:
                continue
        if rel != "." and names:
            classes[rel] = len(names)
    digest = hashlib.sha256("".join(f"{p}\0{s}\n" for p, s in listed).encode())
    return {"count": len(listed), "bytes": sum(s for _, s in listed), "classes": classes,
            "sha256": digest.hexdigest()}


def changes(before: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """What differs between two stamps of the same spec, one line per file and field,
    saying both values: "/p/t.csv: size 1,203 bytes then, 1,356 now"."""
    found = []
    for path, was in (before.get("files") or {}).items():
        found += [f"{path}: {line}" for line in _file_changes(was, now["files"].get(path))]
    return found


def _file_changes(was: dict, now: dict | None) -> list[str]:
    if now is None or "missing" in now:
        return ["it is missing now" + (f" ({now['missing']})" if now else "")]
    if "missing" in was:
        return ["it was missing then, and exists now"]
    if "count" in was:
        return _folder_changes(was, now)
    lines = [f"size {was['size']:,} bytes then, {now.get('size', 0):,} now"] \
        if was.get("size") != now.get("size") else []
    if not lines and was.get("sha256") != now.get("sha256"):
        lines.append("sampled bytes differ (same size)" if was.get("sampled") else
                     "content differs (same size; SHA-256 of the whole file)")
    if not lines and was.get("sampled") and was.get("mtime_ns") != now.get("mtime_ns"):
        lines.append(f"modified {_when(now.get('mtime_ns'))} (it was {_when(was['mtime_ns'])}"
                     "; its size and sampled bytes are the same)")
    return lines


def _folder_changes(was: dict, now: dict) -> list[str]:
    if "count" not in now:
        return ["it is a file now, not a folder"]
    before, after = was.get("classes") or {}, now.get("classes") or {}
    lines = [f"class {name!r}: {before.get(name, 0)} files then, {after.get(name, 0)} now"
             for name in sorted({*before, *after}) if before.get(name) != after.get(name)]
    if not lines and was["count"] != now["count"]:
        lines.append(f"{was['count']} files then, {now['count']} now")
    if not lines and was.get("sha256") != now.get("sha256"):
        lines.append(f"file names or sizes differ ({was['bytes']:,} bytes then, "
                     f"{now['bytes']:,} now)")
    return lines


def _when(mtime_ns) -> str:
    if not isinstance(mtime_ns, int):
        return "at an unknown time"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(mtime_ns / 1e9))


def changed_since(record: dict[str, Any] | None, spec: str) -> list[str]:
    """What changed in data `spec` since the run whose run record is `record` read it;
    none when the record has no stamp (an older record) or names other data (said
    elsewhere: `run_record.resume_spec`, the window's note)."""
    before = (record or {}).get("source")
    if not isinstance(before, dict) or before.get("spec") != spec.strip() or \
            not isinstance(before.get("files"), dict):
        return []
    return changes(before, stamp(spec))


def verify(record: dict[str, Any] | None, spec: str, allow_change: bool) -> None:
    """`kerascanvas run --resume`'s check, before the data is read.

    Raises:
        DataChanged: data `spec` changed since the resumed run read it (`changed_since`),
            without `allow_change` (--data-changed).
    """
    found = [] if allow_change else changed_since(record, spec)
    if found:
        raise DataChanged(f"the data {spec!r} changed since the saved model was trained on "
                          "it:\n  " + "\n  ".join(found) + "\nRestore it, or add "
                          "--data-changed to continue on the data as it is now")
