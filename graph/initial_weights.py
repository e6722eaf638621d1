"""The `weights` section of a project file: where the model's initial weights come from.

    "weights": {"source": "m.keras", "sha256": "9f86d0...", "enabled": true}

Importing a `.keras` archive sets it: `source` is the archive (or a `.weights.h5` file)
relative to the project's folder in the file (absolute in a loaded document, so a copy
written anywhere, for a run or an export, still finds it), `sha256` the file's digest
when it was chosen, so a changed file is noticed, and `enabled` false keeps the section
but starts from fresh weights. `paths` (optional) maps a layer's path in the model to
its path in the archive where the two differ: the import writes it for the layers of a
nested model it inlined (`{"dense_1": "base/dense"}`), and a key ending in `/` maps
every path under it (a nested model named otherwise: `{"base_1/": "outer/base/"}`).
Building the model for a run, an export or a search loads the weights of each layer
whose name and variable shapes match, at every depth of nested models
(`runtime.initial_weights`; the layers counted before a build: `graph.weight_paths`);
the generated training script does the same. Pure: no Qt, no keras.

>>> from kerascanvas.graph.document import Document
>>> doc = Document()
>>> read_section(doc, {"source": "m.keras", "sha256": "0" * 64})
>>> section_json(doc)["source"], active_source(doc)
('m.keras', 'm.keras')
"""

from __future__ import annotations

import hashlib
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import ProjectFileError

SUFFIXES = (".keras", ".weights.h5")
_SHA256 = re.compile(r"[0-9a-f]{64}")
SCHEMA: dict[str, Any] = {}  # any value: `read_section` checks it field by field
_FIELDS = ("source", "sha256", "enabled", "paths")
TURN_OFF = ("turn the initial weights off: Model properties, \"enabled\": false in the "
            "project's weights section, or --no-initial-weights for one command")


def read_section(doc, section: Any) -> None:
    """Set `doc.weights` from the file's `weights` section, checked; a
    `ProjectFileError` names the bad field (`weights.source`...)."""
    if not isinstance(section, dict):
        raise ProjectFileError(f"expected an object, received {type(section).__name__}",
                               field="weights")
    unknown = sorted(set(section) - set(_FIELDS))
    if unknown:
        raise ProjectFileError(f"unknown field {unknown[0]!r}; the section has "
                               f"{', '.join(_FIELDS)}", field=f"weights.{unknown[0]}")
    problem = source_problem(section.get("source"))
    if problem:
        raise ProjectFileError(problem, field="weights.source")
    digest = section.get("sha256")
    if digest is not None and not (isinstance(digest, str) and _SHA256.fullmatch(digest)):
        raise ProjectFileError(f"expected 64 lowercase hex digits, received {digest!r}",
                               field="weights.sha256")
    enabled = section.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ProjectFileError(f"expected true or false, received {enabled!r}",
                               field="weights.enabled")
    problem = paths_problem(section.get("paths", {}))
    if problem:
        raise ProjectFileError(problem, field="weights.paths")
    doc.weights = {key: section[key] for key in _FIELDS if key in section}


def paths_problem(paths: Any) -> str | None:
    """Why `paths` is no map of layer paths to archive paths, or None."""
    if not isinstance(paths, dict):
        return f"expected an object of layer paths, received {type(paths).__name__}"
    for key, value in paths.items():
        if not (key and isinstance(value, str) and value
                and key.endswith("/") == value.endswith("/")):
            return (f"expected a non-empty archive path for layer {key!r}, ending in '/' "
                    f"where the layer path does, received {value!r}")
    return None


def archive_path(path: str, paths: dict[str, str]) -> str:
    """The path in the archive of the model's layer `path`, by the section's `paths`:
    the entry of `path`, else that of the longest key ending in `/` that `path` is under
    (the key alone names a nested model: `base_1` under `base_1/`), else `path` itself.

    >>> archive_path("base_1/dense", {"base_1/": "outer/base/"})
    'outer/base/dense'
    >>> archive_path("base_1", {"base_1/": "outer/base/"}), archive_path("head", {})
    ('outer/base', 'head')
    """
    if path in paths:
        return paths[path]
    probe = f"{path}/"
    under = [key for key in paths if key.endswith("/") and probe.startswith(key)]
    if not under:
        return path
    key = max(under, key=len)
    return (paths[key] + probe[len(key):])[:-1]


def layer_paths(doc) -> dict[str, str]:
    """The section's `paths` ({} without one)."""
    return dict((getattr(doc, "weights", None) or {}).get("paths") or {})


def chosen_section(doc, path: str | os.PathLike,
                   current: str | os.PathLike | None) -> dict[str, Any]:
    """The section for the file chosen at `path`: `section_for`, keeping the `paths` of
    `doc`'s section when `path` is its file again (`current`, resolved against the
    project's folder), whose new contents are accepted."""
    section = section_for(path)
    paths = layer_paths(doc)
    if paths and current is not None and Path(current).expanduser().resolve() == Path(
            section["source"]):
        section["paths"] = paths
    return section


def source_problem(source: Any) -> str | None:
    """Why `source` cannot name a weights file, or None."""
    if not isinstance(source, str) or not source.strip():
        return f"expected the path of a .keras or .weights.h5 file, received {source!r}"
    if not source.lower().endswith(SUFFIXES):
        return f"expected a path ending in .keras or .weights.h5, received {source!r}"
    return None


def section_json(doc) -> dict[str, Any]:
    """The `weights` section of `doc` ({} when its weights start fresh)."""
    return dict(getattr(doc, "weights", None) or {})


def active_source(doc) -> str | None:
    """The source the model's weights are loaded from, None when none is set or it is off."""
    section = getattr(doc, "weights", None) or {}
    return section.get("source") if section.get("enabled", True) else None


def turn_off(doc) -> None:
    """Start `doc` from fresh weights, its section kept (`--no-initial-weights`)."""
    if getattr(doc, "weights", None):
        doc.weights = {**doc.weights, "enabled": False}


def file_sha256(path: str | os.PathLike) -> str:
    """The file's digest, read once per version of the file (its path, size and time): a
    run checks it before loading data and again when it builds, and each search trial
    builds anew."""
    info = os.stat(path)
    return _digest(str(Path(path).resolve()), info.st_size, info.st_mtime_ns)


@lru_cache(maxsize=16)
def _digest(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def section_for(path: str | os.PathLike) -> dict[str, Any]:
    """The section naming the file `path` (absolute: a saved file holds it relative to its
    folder, `relative_section`), its digest read now."""
    path = Path(path).resolve()
    return {"source": str(path), "sha256": file_sha256(path), "enabled": True}


def relative_section(section: dict[str, Any], folder: str | os.PathLike) -> dict[str, Any]:
    """`section` with an absolute source written relative to `folder` (the folder the
    project file is saved in), so the project and its weights file move together."""
    source = section.get("source")
    if not source or not Path(source).is_absolute():
        return section
    try:
        relative = os.path.relpath(source, Path(folder).absolute())
    except ValueError:  # another drive: kept absolute
        return section
    return {**section, "source": Path(relative).as_posix()}


def anchored(doc, folder: str | os.PathLike | None) -> None:
    """Put a relative source of `doc` under `folder` (the project's folder), in place: the
    copy a run, an export or a search builds from reads the file wherever it runs."""
    section = getattr(doc, "weights", None) or {}
    if folder is None or not section.get("source"):
        return
    source = Path(section["source"]).expanduser()
    if not source.is_absolute():
        full = os.path.normpath(Path(folder).absolute() / source)  # said without "../"
        doc.weights = {**section, "source": full}


def source_state(doc) -> str | None:
    """Why the active source cannot be used as it is (missing, unreadable, changed since it
    was chosen), or None; relative paths are read from the current folder."""
    source = active_source(doc)
    if source is None:
        return None
    path = Path(source).expanduser()
    how = f"{TURN_OFF}; or choose the file again"
    if not path.is_file():
        return f"weights.source: the initial weights file {source!r} is missing ({how})"
    expected = doc.weights.get("sha256")
    try:
        actual = file_sha256(path)
    except OSError as exc:
        return f"weights.source: cannot read {source!r} ({exc.strerror}; {how})"
    if expected and actual != expected:
        return (f"weights.sha256: the initial weights file {source!r} changed since it was "
                f"chosen (sha256 {actual[:12]}..., expected {expected[:12]}...; {how})")
    return None
