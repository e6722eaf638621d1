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
from ..canvas.render import shape_text
from .rows import Row, user_block_rows


def block_rows(doc, node_id: str, analysis) -> tuple[list[Row], str | None]:
    """The rows of a block node's layers, and a problem text or None."""
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
    source = _block_source(doc, node_id)
    for layer in expansion.layers:
        r = results[layer.name]
        inputs = ", ".join(source if i == "input" else f"{node.name}_{i}" for i in layer.inputs)
        rows.append(Row(layer.name, None, f"{node.name}_{layer.name}", layer.kind, inputs,
                        shape_text(r.output_shape), sum(r.count)))
    return rows, None


def _block_source(doc, node_id: str) -> str:
    """What the block's input is wired from (the layer its first layers will read once it is
    expanded); the block's own name read as one of its layers."""
    edges = doc.in_edges(node_id)
    return doc.nodes[edges[0].src].name if edges else "(block input, not connected)"


def is_nested_model(doc, node_id: str) -> bool:
    """Whether the node is an instance of a nested-model block."""
    node = doc.nodes[node_id]
    return node.kind == USER_BLOCK and is_model_block(doc.blocks, node.params.get("block"))


class BlockDialog(QtWidgets.QDialog):
    """A table of the block's sublayers; "Expand block" replaces the block node by them,
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
        self.tree = layer_tree(rows)
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
        expand = buttons.addButton("Expand block", QtWidgets.QDialogButtonBox.ActionRole)
        expand.clicked.connect(self._on_expand_clicked)
        buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.tree)
        layout.addWidget(buttons)

    def _on_expand_clicked(self) -> None:
        self.accept()
        self.expand_requested.emit()

    def _on_edit_clicked(self) -> None:
        self.accept()
        self.edit_requested.emit()


def layer_tree(rows: list[Row]) -> QtWidgets.QTreeWidget:
    """A read-only tree of the rows: a nested model's layers under its own row, expanded."""
    tree = QtWidgets.QTreeWidget()
    tree.setHeaderLabels(["Layer", "Kind", "Inputs", "Output shape", "Params"])
    tree.setEditTriggers(QtWidgets.QAbstractItemView.NoEditTriggers)
    items: dict[str, QtWidgets.QTreeWidgetItem] = {}
    for row in rows:
        parent = items.get(row.parent) if row.parent is not None else None
        item = QtWidgets.QTreeWidgetItem(list(row.texts()))
        items[row.key] = item
        if parent is None:
            tree.addTopLevelItem(item)
        else:
            parent.addChild(item)
    tree.expandAll()
    for column in range(tree.columnCount()):
        tree.resizeColumnToContents(column)
    return tree
