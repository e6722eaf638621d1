"""Read-only view of a block's contents: its sublayers with their shapes and counts."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from ..graph.blocks import trace_block
from ..graph.errors import KerasCanvasError
from .render import shape_text


def block_rows(doc, node_id: str, analysis) -> tuple[list[tuple[str, ...]], str | None]:
    """(rows of layer, kind, inputs, output shape, params), and a problem text or None."""
    node = doc.nodes[node_id]
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


class BlockDialog(QtWidgets.QDialog):
    """A table of the block's sublayers; "Expand block" replaces the block by them."""

    expand_requested = QtCore.Signal()

    def __init__(self, doc, node_id: str, analysis, parent=None):
        super().__init__(parent)
        node = doc.nodes[node_id]
        self.setWindowTitle(f"{node.name} ({node.kind})")
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
        note = QtWidgets.QLabel(problem or f"{len(rows)} layers, inlined into the model as "
                                f"{node.name}_<layer>. Read-only: expand the block to edit them.")
        note.setWordWrap(True)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.Close)
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
