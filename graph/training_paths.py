"""Relative paths of the training settings are read next to the project file.

A data file, a test-data file, a checkpoint, a CSV log and a TensorBoard folder given
as relative paths are taken from the saved project's folder, by the window (its
training worker and data preview) and by `kerascanvas run` / `search` alike; paths
given as command-line flags stay relative to the current folder. An untitled project
keeps them as they are, and the project file keeps what the user wrote. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .training_schema import CALLBACKS, REQUIRED

# The option of each callback that names a file or folder.
CALLBACK_PATHS = {"model_checkpoint": "filepath", "csv_logger": "filename",
                  "tensorboard": "log_dir"}
NAMED_SOURCES = ("synthetic", "sklearn")  # data specs that name no file


def anchored(path: str, folder: Path | None) -> str:
    """`path` under `folder` when it is relative (and `folder` is known). A trailing
    slash stays: it says the path is a folder, and the checks of a file path read it.

    >>> anchored("x.keras/", Path("/p")), anchored("logs", Path("/p"))
    ('/p/x.keras/', '/p/logs')
    """
    if folder is None or not path:
        return path
    full = Path(path).expanduser()
    slash = "/" if path.endswith(("/", "\\")) else ""
    return str(full if full.is_absolute() else folder / full) + slash


def anchor_spec(spec: str, folder: Path | None) -> str:
    """A data spec with its file paths under `folder`.

    >>> anchor_spec("csv:t.csv?target=y", Path("/p"))
    'csv:/p/t.csv?target=y'
    >>> anchor_spec("X.npy,Y.npy", Path("/p")), anchor_spec("sklearn:digits", Path("/p"))
    ('/p/X.npy,/p/Y.npy', 'sklearn:digits')
    """
    spec = spec.strip()
    kind, _, rest = spec.partition(":")
    if folder is None or not spec or kind in NAMED_SOURCES:
        return spec
    if kind in ("csv", "images"):
        path, mark, query = rest.partition("?")
        return f"{kind}:{anchored(path, folder)}{mark}{query}"
    return ",".join(anchored(part.strip(), folder) for part in spec.split(","))


def missing_files(spec: str) -> list[str]:
    """The local files or folders that data `spec` names and that do not exist (a
    synthetic or scikit-learn spec names none).

    >>> missing_files("sklearn:digits"), missing_files("csv:/no/such.csv?target=y")
    ([], ['/no/such.csv'])
    """
    return [p for p in data_paths(spec) if not Path(p).exists()]


def data_paths(spec: str) -> list[str]:
    """The local files or folders that data `spec` names (none for synthetic and
    scikit-learn data).

    >>> data_paths("csv:/p/t.csv?target=y"), data_paths("X.npy, Y.npy")
    (['/p/t.csv'], ['X.npy', 'Y.npy'])
    """
    spec = spec.strip()
    kind, _, rest = spec.partition(":")
    if kind in NAMED_SOURCES or not spec:
        return []
    paths = [rest.partition("?")[0]] if kind in ("csv", "images") else spec.split(",")
    return [p for p in (p.strip() for p in paths) if p]


def missing_data(training: Mapping[str, Any] | None, folder: Path | None) -> list[str]:
    """A message per data file of `training` (data, test_data) that does not exist, its
    relative paths read under `folder` as a run reads them."""
    found = []
    for key in ("data", "test_data"):
        spec = (training or {}).get(key)
        if isinstance(spec, str):
            found += [f"training.{key}: the data file {path!r} does not exist ({key} {spec!r})"
                      for path in missing_files(anchor_spec(spec, folder))]
    return found


def anchored_settings(training: Mapping[str, Any] | None,
                      folder: Path | None) -> dict[str, Any]:
    """Overrides of `training` whose relative paths are put under `folder` ({} if none)."""
    training = training or {}
    if folder is None:
        return {}
    out: dict[str, Any] = {}
    for key in ("data", "test_data"):
        if isinstance(training.get(key), str):
            out[key] = anchor_spec(training[key], folder)
    out["callbacks"] = [_anchor_callback(entry, folder)
                        for entry in training.get("callbacks") or []]
    return {k: v for k, v in out.items() if v != training.get(k, [] if k == "callbacks"
                                                                else None)}


def _anchor_callback(entry, folder: Path):
    option = CALLBACK_PATHS.get(entry.get("name")) if isinstance(entry, dict) else None
    if option is None:
        return entry
    value = entry.get(option, CALLBACKS[entry["name"]].get(option))
    if not isinstance(value, str) or value is REQUIRED:
        return entry
    return {**entry, option: anchored(value, folder)}
