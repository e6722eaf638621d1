"""User-defined blocks in the window: make one from the selection, edit, show, export, import.

`UserBlocksMixin` is mixed into `MainWindow` (like `FileMixin`); its methods are
the targets of the menu entries. `BlockDefinitionDialog` serves both "Make
Block…" and "Edit Block Definition…": a block name and a table of the inner
nodes' params, each with a box to expose it as a param of the block. The
edits themselves are commands of `graph.userblock_commands`, one undo step each.
"""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtWidgets

from ...graph import events as ev
from ...graph.commands import SetParam
from ...graph.document import UNSET
from ...graph.errors import DocumentError, KerasCanvasError
from ...graph.spec import INPUT, get_spec
from ...graph.userblock_commands import (
    SetBlockDefinition,
    export_block,
    import_block,
    library_dir,
    make_block,
)
from ...graph.userblocks import KIND, bound_spec, check_definition, definition_of, instances
from ..panels.editors import value_text

USER_BLOCK = KIND
PALETTE_PREFIX = f"{KIND}:"
COLUMNS = ["Expose", "Node", "Param", "Value", "Block param"]
OTHER_FILE = "Other file…"


def palette_kind(block: str) -> str:
    """The palette's kind text for instances of `block`."""
    return PALETTE_PREFIX + block


def split_palette_kind(text: str) -> tuple[str, dict | None]:
    """(kind, params) of a palette kind text: user blocks carry their definition's name."""
    if text.startswith(PALETTE_PREFIX):
        return KIND, {"block": text[len(PALETTE_PREFIX):]}
    return text, None


def _spec_of(blocks, kind: str, params: dict):
    return bound_spec(blocks, params.get("block")) if kind == KIND else get_spec(kind)


def param_rows(blocks, nodes) -> list[tuple[str, str, str, str]]:
    """(node id, node name, param, current value's text as the properties panel shows it)
    for nodes given as (id, name, kind, params)."""
    rows = []
    for nid, name, kind, params in nodes:
        spec = _spec_of(blocks, kind, params)
        for p in spec.params:
            if kind == KIND and p.name == "block":
                continue  # which definition an inner instance uses is not a tunable value
            rows.append((nid, name, p.name, value_text(p, params.get(p.name, p.start_value()))))
    return rows


def definition_problem(name: str, keys: list[str], taken) -> str | None:
    """Why `name` with block params `keys` would be refused, or None."""
    if name in taken:
        return f"A block named {name!r} already exists"
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        return f"Each block param needs its own name. Received twice: {', '.join(dupes)}"
    # The graph's own check decides which names are allowed; a one-node stand-in asks it.
    probe = {"nodes": [{"id": "a", "kind": "Dense", "name": "a"}], "edges": [],
             "inputs": [[{"node": "a"}]], "output": {"node": "a"},
             "params": {k: {"node": "a", "param": "units"} for k in keys}}
    try:
        check_definition(name, probe, {})
    except KerasCanvasError as exc:
        return str(exc).replace("blocks.", "", 1) if str(exc).startswith("blocks.") else str(exc)
    return None


def edit_definition(doc, stack, old: str, new: str, exposed: dict, doc_text: str = "") -> None:
    """Rename block `old` to `new` and/or change its exposed params, as one undo step.

    `exposed` maps block param name -> (inner node id, inner param). A param kept
    under a new name keeps its default and every instance's value; a param no
    longer exposed is written into the inner node, so instances keep the default.
    """
    definition = definition_of(doc, old)
    before = definition.get("params", {})
    target_key = {tuple(ref): key for key, ref in exposed.items()}
    renamed = {k: target_key.get((r["node"], r["param"])) for k, r in before.items()}
    nodes = {n["id"]: n for n in definition["nodes"]}
    params = {}
    for key, (nid, param) in exposed.items():
        old_key = next((k for k, n in renamed.items() if n == key), None)
        params[key] = dict(before[old_key]) if old_key else {
            "node": nid, "param": param,
            "default": nodes[nid].get("params", {}).get(param, _start(doc, nodes[nid], param))}
    for key, ref in before.items():
        if renamed[key] is None and "default" in ref:
            nodes[ref["node"]].setdefault("params", {})[ref["param"]] = ref["default"]
    definition["params"] = params
    definition.pop("doc", None)
    if doc_text:
        definition["doc"] = doc_text
    if new != old and new in doc.blocks:
        raise DocumentError(f"A block named {new!r} already exists")
    with stack.macro(f"Edit block {new}"):
        stack.push(SetBlockDefinition(doc, new, definition))
        for other in [b for b in doc.blocks if b not in (old, new)]:
            changed = _retarget(doc, other, old, new, renamed)
            if changed is not None:
                stack.push(SetBlockDefinition(doc, other, changed))
        for iid in instances(doc, old):
            _move_values(doc, stack, iid, renamed, new if new != old else None)
        if new != old:
            stack.push(SetBlockDefinition(doc, old, None))


def _start(doc, node: dict, param: str):
    return _spec_of(doc.blocks, node["kind"], node.get("params", {})).param(param).start_value()


def _move_values(doc, stack, iid: str, renamed: dict, block: str | None) -> None:
    values = dict(doc.node(iid).params)
    moved = {renamed[k]: values[k] for k in renamed if k in values and renamed[k] != k}
    for key in renamed:
        if key in values and renamed[key] != key:
            stack.push(SetParam(doc, iid, key, UNSET))
    for key, value in moved.items():
        if key is not None:
            stack.push(SetParam(doc, iid, key, value))
    if block is not None:
        stack.push(SetParam(doc, iid, "block", block))


def _retarget(doc, other: str, old: str, new: str, renamed: dict) -> dict | None:
    """Definition `other` with its inner instances of `old` following the edit, or None."""
    definition = definition_of(doc, other)
    inner = [n for n in definition["nodes"]
             if n["kind"] == KIND and n.get("params", {}).get("block") == old]
    if not inner:
        return None
    for node in inner:
        values = node.setdefault("params", {})
        moved = {renamed[k]: values.pop(k) for k in list(values)
                 if k in renamed and renamed[k] != k}
        values.update({k: v for k, v in moved.items() if k is not None})
        values["block"] = new
        for key, ref in definition.get("params", {}).items():
            if ref["node"] == node["id"] and ref["param"] in renamed:
                if renamed[ref["param"]] is None:
                    raise DocumentError(f"Block {other!r} exposes {ref['param']!r} of {old!r} "
                                        f"as {key!r}; keep it exposed or edit {other!r} first")
                ref["param"] = renamed[ref["param"]]
    return definition


class BlockDefinitionDialog(QtWidgets.QDialog):
    """Block name, one-line doc and the exposable params; `apply` returns a refusal or None."""

    def __init__(self, title: str, rows, exposed: dict, name: str, doc_text: str, taken,
                 apply, parent=None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(640, 420)
        self.rows, self.taken, self.apply = rows, set(taken), apply
        self.name_edit = QtWidgets.QLineEdit(name)
        self.doc_edit = QtWidgets.QLineEdit(doc_text, placeholderText="What the block does")
        self.table = QtWidgets.QTableWidget(len(rows), len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self._fill(exposed)
        self.problem = QtWidgets.QLabel()
        self.problem.setObjectName("Error")
        self.problem.setWordWrap(True)
        self.buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.Ok
                                                  | QtWidgets.QDialogButtonBox.Cancel)
        self.buttons.accepted.connect(self._on_ok_clicked)
        self.buttons.rejected.connect(self.reject)
        form = QtWidgets.QFormLayout()
        form.addRow("Block name", self.name_edit)
        form.addRow("Description", self.doc_edit)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QtWidgets.QLabel("Params to expose on every instance of the block:"))
        layout.addWidget(self.table)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.name_edit.textChanged.connect(self._validate)
        self.table.itemChanged.connect(self._validate)
        self._validate()

    def _fill(self, exposed: dict) -> None:
        chosen = {tuple(ref): key for key, ref in exposed.items()}
        names = [param for _, _, param, _ in self.rows]
        fixed = QtCore.Qt.ItemIsEnabled | QtCore.Qt.ItemIsSelectable
        for r, (nid, node_name, param, text) in enumerate(self.rows):
            key = chosen.get((nid, param))
            box = QtWidgets.QTableWidgetItem()
            box.setFlags(fixed | QtCore.Qt.ItemIsUserCheckable)
            box.setCheckState(QtCore.Qt.Checked if key else QtCore.Qt.Unchecked)
            default_key = param if names.count(param) == 1 else f"{node_name}_{param}"
            cells = [box, *(QtWidgets.QTableWidgetItem(t) for t in
                            (node_name, param, text, key or default_key))]
            for c, item in enumerate(cells):
                if 0 < c < 4:
                    item.setFlags(fixed)
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)

    def set_exposed(self, node_name: str, param: str, key: str | None = None) -> None:
        """Tick (and optionally name) the row of `node_name`.`param`."""
        for r, (_, name, p, _) in enumerate(self.rows):
            if (name, p) == (node_name, param):
                self.table.item(r, 0).setCheckState(QtCore.Qt.Checked)
                if key:
                    self.table.item(r, 4).setText(key)
                return
        raise KeyError(f"no row for {node_name}.{param}")

    def exposed(self) -> dict[str, tuple[str, str]]:
        """Block param name -> (inner node id, inner param) of the ticked rows."""
        return {self.table.item(r, 4).text().strip(): (nid, param)
                for r, (nid, _, param, _) in enumerate(self.rows)
                if self.table.item(r, 0).checkState() == QtCore.Qt.Checked}

    def _validate(self, *_args) -> bool:
        keys = [self.table.item(r, 4).text().strip() for r in range(len(self.rows))
                if self.table.item(r, 0).checkState() == QtCore.Qt.Checked]
        problem = definition_problem(self.name_edit.text().strip(), keys, self.taken)
        self.problem.setText(problem or "")
        self.buttons.button(QtWidgets.QDialogButtonBox.Ok).setEnabled(problem is None)
        return problem is None

    def _on_ok_clicked(self) -> None:
        if not self._validate():
            return
        problem = self.apply(self.name_edit.text().strip(), self.exposed(),
                             self.doc_edit.text().strip())
        if problem:
            self.problem.setText(problem)
        else:
            self.accept()


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
