"""The summary panel: a table like Keras' `model.summary()`, read from the analysis."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from ..canvas.render import shape_text


def summary_rows(doc, analysis) -> list[tuple[str, str, str, str]]:
    """(layer, kind, output shape, params) per node, in topological order."""
    rows = []
    for node in doc.topological_order():
        result = analysis.results.get(node.id)
        shapes = list(result.output_shapes or ()) if result is not None else []
        shape = ", ".join(shape_text(s) for s in shapes) if shapes else "?"
        count = result.count if result is not None and result.count else None
        rows.append((node.name, node.kind, shape, f"{sum(count):,}" if count else "?"))
    return rows


class SummaryPanel(QtWidgets.QWidget):
    """Layer table plus total, trainable and non-trainable parameter counts."""

    node_requested = QtCore.Signal(str)

    def __init__(self, doc, parent=None):
        super().__init__(parent)
        self.doc = doc
        self.table = QtWidgets.QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Layer", "Kind", "Output shape", "Params"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectRows)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.totals = QtWidgets.QLabel()
        self.totals.setObjectName("Totals")
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addWidget(self.totals)
        self.table.cellClicked.connect(self._on_cell_clicked)
        self._ids: list[str] = []
        self._shown = None
        self._pending = None  # an analysis not shown yet: the panel was hidden

    def show_analysis(self, analysis) -> None:
        """Show the analysis now, or when the panel is next shown (a hidden tab's table of
        every layer is not filled on each edit: a 500-layer project took 0.07 s a time)."""
        self._pending = analysis
        if self.isVisible():
            self._fill()

    def showEvent(self, event):  # noqa: N802 (Qt override)
        super().showEvent(event)
        if self._pending is not None:
            self._fill()

    def _fill(self) -> None:
        analysis, self._pending = self._pending, None
        rows = summary_rows(self.doc, analysis)
        trainable, frozen = analysis.total_params
        key = (tuple(rows), trainable, frozen)
        if key == self._shown:
            return
        self._shown = key
        self._ids = [n.id for n in self.doc.topological_order()]
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = QtWidgets.QTableWidgetItem(text)
                if c == 3:
                    item.setTextAlignment(QtCore.Qt.AlignRight | QtCore.Qt.AlignVCenter)
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        self.totals.setText(f"Total params: {trainable + frozen:,}    Trainable: {trainable:,}"
                            f"    Non-trainable: {frozen:,}")

    def _on_cell_clicked(self, row, column) -> None:
        if row < len(self._ids):
            self.node_requested.emit(self._ids[row])
