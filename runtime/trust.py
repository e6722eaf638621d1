"""Which projects' custom code the user trusted. Kept outside every project file.

The store is `trust.json` in the data folder (`graph.paths.data_dir`). A project
is trusted by its absolute path and the digest of all its custom code
(`graph.layers.custom.project_digest`), so editing the code, or the same file
moved elsewhere, asks again. A project file cannot mark itself trusted: nothing
in it is read here. Imports neither keras nor torch.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from kerascanvas.graph.layers import custom
from kerascanvas.graph.paths import data_dir
from kerascanvas.graph.projectfile import write_text_atomic

FILE_NAME = "trust.json"


def store_path() -> Path:
    """Where the trust store lives."""
    return data_dir() / FILE_NAME


def _key(path: str | os.PathLike) -> str:
    return str(Path(path).resolve())


def _read() -> dict[str, str]:
    try:
        data = json.loads(store_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    entries = data.get("projects") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        return {}
    return {k: v for k, v in entries.items() if isinstance(k, str) and isinstance(v, str)}


def is_trusted(path: str | os.PathLike | None, doc) -> bool:
    """Whether the user trusted `doc`'s current custom code for the project at `path`."""
    digest = custom.project_digest(doc)
    if digest is None or path is None:
        return False
    return _read().get(_key(path)) == digest


def trust(path: str | os.PathLike, doc) -> None:
    """Record that the user trusts `doc`'s current custom code at `path`."""
    digest = custom.project_digest(doc)
    if digest is None:
        return
    entries = _read()
    entries[_key(path)] = digest
    _write(entries)


def revoke(path: str | os.PathLike) -> None:
    """Forget the trust given to the project at `path`."""
    entries = _read()
    if entries.pop(_key(path), None) is not None:
        _write(entries)


def _write(entries: dict[str, str]) -> None:
    target = store_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"format": "kerascanvas-trust", "version": 1, "projects": entries},
                      indent=2, sort_keys=True)
    write_text_atomic(target, text + "\n")


def apply(doc, trusted: bool) -> custom.CustomContext:
    """Give `doc` a fresh context that trusts its current code if `trusted`, else nothing.

    Returns the context (results start empty: shapes are computed again).
    """
    ctx = custom.CustomContext(trusted=frozenset(custom.code_digests(doc) if trusted else ()))
    custom.set_context(doc, ctx)
    return ctx
