"""User-defined blocks in the window: make one from the selection, edit, show, export, import.

`UserBlocksMixin` is mixed into `MainWindow` (like `FileMixin`); its methods are
the targets of the menu entries. `BlockDefinitionDialog` serves both "Make
Block…" and "Edit Block Definition…": a block name and a table of the inner
nodes' params, each with a box to expose it as a param of the block. The
edits themselves are commands of `graph.userblock_commands`, one undo step each.
The dialog is in `definition_dialog`, the definition edits it applies in `definition_edits`
(their public names are importable here too).
"""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtWidgets

from ...graph import events as ev
from ...graph.errors import KerasCanvasError
from ...graph.spec import APPLICATION, INPUT
from ...graph.userblock_commands import export_block, import_block, library_dir, make_block
from ...graph.userblocks import KIND, instances
from .definition_dialog import COLUMNS, BlockDefinitionDialog  # noqa: F401 - public here too
from .definition_edits import (  # noqa: F401 - public here too
    definition_problem,
    edit_definition,
    param_rows,
)

USER_BLOCK = KIND
PALETTE_PREFIX = f"{KIND}:"
OTHER_FILE = "Other file…"


def palette_kind(block: str) -> str:
    """The palette's kind text for instances of `block`."""
    return PALETTE_PREFIX + block


def split_palette_kind(text: str) -> tuple[str, dict | None]:
    """(kind, params) of a palette kind text: user blocks carry their definition's name,
    the palette's Applications their architecture ("Application:MobileNetV2")."""
    if text.startswith(PALETTE_PREFIX):
        return KIND, {"block": text[len(PALETTE_PREFIX):]}
    if text.startswith(f"{APPLICATION}:"):
        return APPLICATION, {"architecture": text[len(APPLICATION) + 1:]}
    return text, None


class UserBlocksMixin:
    """Mixed into `MainWindow`; expects `doc`, `stack`, `canvas`, `palette`, `analysis`,
    `show_message` and `show_error`."""

    # Tests replace these to answer the pickers without showing them.
    pick_block = None
    pick_export_folder = None
    pick_import_file = None

    def init_user_blocks(self) -> None:
        self.doc.events.blocks_changed.connect(self._on_user_blocks_changed)
        self.doc.events.reset.connect(self._on_user_blocks_changed)
        self._refresh_user_blocks()

    def _on_user_blocks_changed(self, event: ev.BlocksChanged | ev.Reset) -> None:
        self._refresh_user_blocks()

    def _refresh_user_blocks(self) -> None:
        docs = {name: d.get("doc") or f"Your block {name}" for name, d in self.doc.blocks.items()}
        self.palette.set_user_blocks(docs)

    def user_block_menu(self, menu: QtWidgets.QMenu, ids: list[str]) -> None:
        """Add the user block entries that apply to the selection `ids` to `menu`."""
        if ids:
            menu.addAction(self.actions["make_block_dialog"])
        if len(ids) == 1 and self.doc.nodes[ids[0]].kind == KIND:
            menu.addAction(self.actions["show_block_dialog"])
            menu.addAction(self.actions["expand_selected_block"])
            menu.addAction(self.actions["edit_block_definition"])

    def _selected_instance(self) -> str | None:
        ids = self.canvas.selected_ids()
        if len(ids) == 1 and self.doc.nodes[ids[0]].kind == KIND:
            return ids[0]
        self.show_message("Select one instance of your own block")
        return None

    # ---- make and edit --------------------------------------------------
    def make_block_dialog(self) -> BlockDefinitionDialog | None:
        """Open the dialog that turns the selected nodes into a new block."""
        ids = [n for n in self.doc.nodes if n in set(self.canvas.selected_ids())]
        if not ids:
            self.show_message("Select the nodes that should become a block")
            return None
        nodes = [(n, self.doc.nodes[n].name, self.doc.nodes[n].kind,
                  self.doc.nodes[n].params) for n in ids if self.doc.nodes[n].kind != INPUT]
        rows = param_rows(self.doc.blocks, nodes)
        name = next(f"block{i}" for i in range(1, 10_000) if f"block{i}" not in self.doc.blocks)

        def apply(name, exposed, doc_text):
            try:
                instance = make_block(self.doc, self.stack, ids, name, exposed, doc_text,
                                      self.measure, self.canvas.node_sizes())
            except KerasCanvasError as exc:
                return str(exc)
            self.canvas.select([instance.id])
            self.show_message(f"Made block {name}; it is in the palette under My blocks")
            return None

        return self._open(BlockDefinitionDialog("Make Block", rows, {}, name, "",
                                                self.doc.blocks, apply, self))

    def edit_block_definition(self, node_id: str | None = None) -> BlockDefinitionDialog | None:
        """Reopen the definition of the selected instance's block: rename, expose params."""
        node_id = node_id or self._selected_instance()
        if node_id is None:
            return None
        block = self.doc.nodes[node_id].params.get("block")
        if block not in self.doc.blocks:
            self.show_message(f"There is no block definition named {block!r}")
            return None
        definition = self.doc.blocks[block]
        nodes = [(n["id"], n["name"], n["kind"], n.get("params", {}))
                 for n in definition["nodes"]]
        exposed = {k: (r["node"], r["param"]) for k, r in definition.get("params", {}).items()}

        def apply(name, exposed, doc_text):
            try:
                edit_definition(self.doc, self.stack, block, name, exposed, doc_text)
            except KerasCanvasError as exc:
                return str(exc)
            self.show_message(f"Block {name} changed in {len(instances(self.doc, name))} "
                              "instance(s)")
            return None

        taken = [b for b in self.doc.blocks if b != block]
        return self._open(BlockDefinitionDialog(
            f"Edit Block {block}", param_rows(self.doc.blocks, nodes), exposed, block,
            definition.get("doc", ""), taken, apply, self))

    def show_user_block(self, node_id: str):
        """The read-only table of an instance's layers and shapes."""
        from .view import BlockDialog

        dialog = BlockDialog(self.doc, node_id, self.analysis, self)
        dialog.edit_requested.connect(lambda: self.edit_block_definition(node_id))
        dialog.expand_requested.connect(lambda: self.expand_block(node_id))
        return self._open(dialog)

    def _open(self, dialog):
        dialog.setAttribute(QtCore.Qt.WA_DeleteOnClose)
        dialog.open()
        return dialog

    # ---- the library ----------------------------------------------------
    def export_block_dialog(self) -> Path | None:
        """Choose a definition, then the library folder or another folder, and write it."""
        names = sorted(self.doc.blocks)
        if not names:
            self.show_message("The project has no blocks of its own to export")
            return None
        name = (self.pick_block or self._ask_block)(names)
        if not name:
            return None
        folder = (self.pick_export_folder or self._ask_export_folder)()
        if folder is False:
            return None
        return self.export_block_to(name, folder)

    def export_block_to(self, name: str, folder=None) -> Path | None:
        """Write block `name` to `folder` (None: the library folder); errors are shown."""
        try:
            path = export_block(self.doc, name, folder)
        except (OSError, KerasCanvasError) as exc:
            self.show_error("Cannot export block", f"{name}: {exc}")
            return None
        self.show_message(f"Exported block {name} to {path}")
        return path

    def import_block_dialog(self) -> str | None:
        """Choose a library block or another file and add its definitions to the project."""
        path = (self.pick_import_file or self._ask_import_file)()
        return self.import_block_from(path) if path else None

    def import_block_from(self, path) -> str | None:
        """Add the block in file `path`; a bad file changes nothing and shows why."""
        try:
            name = import_block(self.doc, self.stack, path)
        except (OSError, KerasCanvasError) as exc:
            self.show_error("Cannot import block", str(exc))
            return None
        self.show_message(f"Imported block {name}; it is in the palette under My blocks")
        return name

    def _ask_block(self, names: list[str]) -> str | None:
        name, ok = QtWidgets.QInputDialog.getItem(self, "Export Block", "Block:", names, 0,
                                                  False)
        return name if ok else None

    def _ask_export_folder(self):
        """None for the library folder, a folder path, or False when cancelled."""
        box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Question, "Export Block",
                                    f"Save the block in your library ({library_dir()})?",
                                    QtWidgets.QMessageBox.Cancel, self)
        library = box.addButton("Library", QtWidgets.QMessageBox.AcceptRole)
        other = box.addButton("Other folder…", QtWidgets.QMessageBox.ActionRole)
        box.exec()
        if box.clickedButton() is library:
            return None
        if box.clickedButton() is other:
            return QtWidgets.QFileDialog.getExistingDirectory(self, "Export block to") or False
        return False

    def _ask_import_file(self) -> str | None:
        folder = library_dir()
        found = sorted(folder.glob("*.json")) if folder.is_dir() else []
        if found:
            items = [p.stem for p in found] + [OTHER_FILE]
            choice, ok = QtWidgets.QInputDialog.getItem(self, "Import Block",
                                                        "Block from your library:", items, 0,
                                                        False)
            if not ok:
                return None
            if choice != OTHER_FILE:
                return str(folder / f"{choice}.json")
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Import block", str(folder),
                                                        "Block files (*.json);;All files (*)")
        return path or None
