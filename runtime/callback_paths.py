"""The files and folders the training callbacks write, checked before training starts.

A CSV log or checkpoint named like an existing folder, or a TensorBoard folder named
like an existing file, failed only once training had begun (the callback opened it),
ending the run with an OSError and its traceback. Checked first, such a path is a
refusal that names its field and the path received, and nothing is trained.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

# callback name -> (its path option, whether that names a "file" or a "folder")
PATH_OPTIONS = {"model_checkpoint": ("filepath", "file"), "csv_logger": ("filename", "file"),
                "tensorboard": ("log_dir", "folder")}


def callback_path_problem(callbacks: Any) -> str | None:
    """Why a callback could not write where its options say, or None.

    >>> callback_path_problem([{"name": "csv_logger", "filename": "/"}])
    "training.callbacks[0].filename: '/' is a folder; expected the path of a file"
    """
    for i, callback in enumerate(callbacks if isinstance(callbacks, list) else []):
        entry = PATH_OPTIONS.get(callback.get("name")) if isinstance(callback, Mapping) \
            else None
        value = callback.get(entry[0]) if entry else None
        if isinstance(value, str) and value:
            problem = _path_problem(Path(value), entry[1])
            if problem:
                return f"training.callbacks[{i}].{entry[0]}: {value!r} {problem}"
    return None


def _path_problem(path: Path, kind: str) -> str | None:
    if kind == "file" and path.is_dir():
        return "is a folder; expected the path of a file"
    if kind == "folder" and path.exists() and not path.is_dir():
        return "is a file; expected a folder (the callback writes files into it)"
    blocking = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        return f"cannot be made: {str(blocking)!r} is a file, not a folder"
    return None
