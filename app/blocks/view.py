"""Read-only view of a block's contents: its sublayers with their shapes and counts.

Built-in blocks list their expansion; a user block (kind "UserBlock") lists its
definition's layers as the model inlines them (or, for a nested-model block, as the
nested model names them), with shapes from inference on the flattened document, so what
is shown is what is built.
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from ...graph.blocks import trace_block
from ...graph.errors import KerasCanvasError
from ...graph.nested import is_model_block
from ...graph.userblocks import KIND as USER_BLOCK
from ...graph.userblocks import flatten
from ...graph.validate import analyze
from ..canvas.render import shape_text


def block_rows(doc, node_id: str, analysis) -> tuple[list[tuple[str, ...]], str | None]:
    """(rows of layer, kind, inputs, output shape, params), and a problem text or None."""
    node = doc.nodes[node_id]
    if node.kind == USER_BLOCK:
        return user_block_rows(doc, node_id)
    result = analysis.results.get(node_id)
    shapes = list(result.input_shapes or ()) if result is not None else []
    try:
        params = node.spec.resolve(node.params)
        expansion, results = trace_block(node.kind, params, shapes)
    except (KerasCanvasError, IndexError) as exc:
        reason = str(exc) if shapes else "connect the block's input to see the shapes"
        return [], reason
    rows = []
    for layer in expansion.layers:
        r = results[layer.name]
        inputs = ", ".join(node.name if i == "input" else f"{node.name}_{i}" for i in layer.inputs)
        rows.append((f"{node.name}_{layer.name}", layer.kind, inputs,
                     shape_text(r.output_shape), f"{sum(r.count):,}"))
    return rows, None


def user_block_rows(doc, node_id: str) -> tuple[list[tuple[str, ...]], str | None]:
    """Rows like `block_rows` for a user block instance, nested blocks inlined too. The
    layers of a nested model are listed by their own names, as the model keeps them."""
    try:
        flat = flatten(doc)
    except KerasCanvasError as exc:
        return [], str(exc)
    results = analyze(flat).results
    prefix = f"{node_id}."
    names = {nid: n.name for nid, n in flat.nodes.items()}
    if is_nested_model(doc, node_id):
        own = f"{doc.nodes[node_id].name}_"
        names = {nid: name[len(own):] if nid.startswith(prefix) else name
                 for nid, name in names.items()}
    rows, unknown = [], False
    for nid, inner in flat.nodes.items():
        if not nid.startswith(prefix):
            continue
        result = results.get(nid)
        shapes = result.output_shapes if result is not None else None
        unknown |= not shapes
        inputs = ", ".join(names[e.src] for e in flat.in_edges(nid))
        count = f"{sum(result.count):,}" if shapes else ""
        rows.append((names[nid], inner.kind, inputs, shape_text(shapes[0] if shapes else None),
                     count))
    problem = None
    if unknown:
        problem = ("Some shapes are unknown: connect the block's inputs and see the Issues "
                   "panel for problems upstream or inside the block.")
    return rows, problem


def is_nested_model(doc, node_id: str) -> bool:
    """Whether the node is an instance of a nested-model block."""
    node = doc.nodes[node_id]
    return node.kind == USER_BLOCK and is_model_block(doc.blocks, node.params.get("block"))


class BlockDialog(QtWidgets.QDialog):
    """A table of the block's sublayers; "Expand block" replaces a built-in block by them,
    "Edit definition…" opens a user block's definition."""

    expand_requested = QtCore.Signal()
    edit_requested = QtCore.Signal()

    def __init__(self, doc, node_id: str, analysis, parent=None):
        super().__init__(parent)
        node = doc.nodes[node_id]
        kind = f"block {node.params.get('block')}" if node.kind == USER_BLOCK else node.kind
        self.setWindowTitle(f"{node.name} ({kind})")
        self.resize(760, 460)
        rows, problem = block_rows(doc, node_id, analysis)
        self.table = QtWidgets.QTableWidget(len(rows), 5)
        self.table.setHorizontalHeaderLabels(["Layer", "Kind", "Inputs", "Output shape",
                                              "Params"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.NoEditTriggers)
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                self.table.setItem(r, c, QtWidgets.QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        user = node.kind == USER_BLOCK
        how = "edit the definition" if user else "expand the block"
        built = (f"built as the nested model {node.name!r}, whose layers keep these names"
                 if is_nested_model(doc, node_id)
                 else f"inlined into the model as {node.name}_<layer>")
        note = QtWidgets.QLabel(problem or f"{len(rows)} layers, {built}. Read-only: {how} "
                                "to edit them.")
        note.setWordWrap(True)
        self.note = note
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.Close)
        if user:
            edit = buttons.addButton("Edit definition…", QtWidgets.QDialogButtonBox.ActionRole)
            edit.clicked.connect(self._on_edit_clicked)
        else:
            expand = buttons.addButton("Expand block", QtWidgets.QDialogButtonBox.ActionRole)
            expand.clicked.connect(self._on_expand_clicked)
        buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.table)
        layout.addWidget(buttons)

    def _on_expand_clicked(self) -> None:
        self.accept()
        self.expand_requested.emit()

    def _on_edit_clicked(self) -> None:
        self.accept()
        self.edit_requested.emit()
