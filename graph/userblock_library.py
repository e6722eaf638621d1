"""Block definitions as wholes: set, replaced or deleted undoably, and kept in a library.

`SetBlockDefinition` adds, replaces or deletes a definition (every instance follows), and
`export_block`/`import_block` move definitions between a document and the user's library
folder (`library_dir`). Making a block from a selection and expanding an instance are in
`graph.userblock_commands`.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import events as ev
from .commands import Command, UndoStack
from .document import Document
from .errors import DocumentError, ProjectFileError
from .limits import parse_json
from .projectfile import write_text_atomic
from .userblocks import KIND, BlockDefinitionError, blocks_key, check_definition, instances

LIBRARY_FORMAT = "kerascanvas-block"


class SetBlockDefinition(Command):
    """Add, replace (`definition`) or delete (`None`) a block definition; every instance follows.

    The definition is checked first, so a refused one leaves no trace.
    """

    def __init__(self, doc: Document, name: str, definition: dict | None):
        self.doc, self.name = doc, name
        self.definition = copy.deepcopy(definition)
        self.text = f"Edit block {name}" if definition is not None else f"Delete block {name}"
        if definition is not None:
            check_definition(name, self.definition, doc.blocks)
        elif instances(doc, name):
            raise DocumentError(f"Block {name!r} still has instances: "
                                f"{', '.join(doc.node(i).name for i in instances(doc, name))}")

    def do(self):
        self.old = copy.deepcopy(self.doc.blocks.get(self.name))
        self._set(self.definition)

    def undo(self):
        self._set(self.old)

    def _set(self, definition):
        if definition is None:
            self.doc.blocks.pop(self.name, None)
        else:
            self.doc.blocks[self.name] = copy.deepcopy(definition)
        self.doc.events.emit(ev.BlocksChanged(None, self.name))


# ---- the user library ---------------------------------------------------------
def library_dir() -> Path:
    """The user-block library: `blocks/` in the data folder (`graph.paths.data_dir`)."""
    from .paths import data_dir

    return data_dir() / "blocks"


def export_block(doc: Document, name: str, folder: str | Path | None = None) -> Path:
    """Write block `name` and the blocks it uses to `folder/NAME.json`; return the path."""
    folder = Path(folder) if folder is not None else library_dir()
    folder.mkdir(parents=True, exist_ok=True)
    needed = _closure(doc.blocks, name)
    data = {"format": LIBRARY_FORMAT, "version": 1, "block": name,
            "blocks": {b: doc.blocks[b] for b in needed}}
    path = folder / f"{name}.json"
    write_text_atomic(path, json.dumps(data, sort_keys=True, indent=2) + "\n")
    return path


def read_library_file(path: str | Path) -> tuple[str, dict]:
    """(block name, definitions) from a library file; BlockDefinitionError names the field."""
    try:
        data = parse_json(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError, ProjectFileError) as exc:
        raise BlockDefinitionError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != LIBRARY_FORMAT:
        raise BlockDefinitionError(f"{path} is not a block library file: expected format "
                                   f"{LIBRARY_FORMAT!r}", "format")
    blocks = data.get("blocks")
    if not isinstance(blocks, dict) or data.get("block") not in blocks:
        raise BlockDefinitionError(f"{path}: expected the block's own definition in blocks",
                                   "block")
    for key, definition in blocks.items():
        check_definition(key, definition, blocks)
    return data["block"], blocks


def import_block(doc: Document, stack: UndoStack, path: str | Path) -> str:
    """Add a library block (and the blocks it uses) to the document, as one undo step.

    A definition already in the document under the same name must be identical.
    """
    name, blocks = read_library_file(path)
    with stack.macro(f"Import block {name}"):
        for key, definition in blocks.items():
            if key in doc.blocks:
                if blocks_key(doc.blocks[key]) != blocks_key(definition):
                    raise DocumentError(f"The document already has a different block {key!r}")
                continue
            stack.push(SetBlockDefinition(doc, key, definition))
    return name


def _closure(blocks: Mapping[str, Any], name: str) -> list[str]:
    out, stack = [], [name]
    while stack:
        block = stack.pop()
        if block in out or block not in blocks:
            continue
        out.append(block)
        stack += [n.get("params", {}).get("block") for n in blocks[block]["nodes"]
                  if n["kind"] == KIND]
    return out
