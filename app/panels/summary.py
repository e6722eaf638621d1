"""The summary panel: a table like Keras' `model.summary()`, read from the analysis."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from ...graph.names import shown_name
from ...graph.summary import connected_to, left_out_note
from ..canvas.render import shape_text
from .columns import resize_sections, text_width
from .shown import on_screen


def summary_rows(doc, analysis, order=None) -> list[tuple[str, str, str, str, str]]:
    """(layer, kind, output shape, params, connected to) per node, in topological order
    (`order`, the document's nodes in that order, when the caller has it)."""
    rows = []
    for node in doc.topological_order() if order is None else order:
        result = analysis.results.get(node.id)
        shapes = list(result.output_shapes or ()) if result is not None else []
        shape = ", ".join(shape_text(s) for s in shapes) if shapes else "?"
        count = result.count if result is not None and result.count else None
        rows.append((shown_name(node.name), node.kind, shape, f"{sum(count):,}" if count else "?",
                     ", ".join(connected_to(doc, node.id))))
    return rows


PARAMS = 3  # the column of parameter counts, right-aligned
UNTITLED = QtGui.QColor(130, 136, 148)  # "(no name)": a layer named "" (or spaces only)


class SummaryPanel(QtWidgets.QWidget):
    """Layer table plus total, trainable and non-trainable parameter counts."""

    node_requested = QtCore.Signal(str)

    def __init__(self, doc, parent=None):
        super().__init__(parent)
        self.doc = doc
        self.table = QtWidgets.QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["Layer", "Kind", "Output shape", "Params",
                                              "Connected to"])
        for column in range(5):  # each title over its values (Qt centres them)
            self.table.horizontalHeaderItem(column).setTextAlignment(
                (QtCore.Qt.AlignRight if column == PARAMS else QtCore.Qt.AlignLeft)
                | QtCore.Qt.AlignVCenter)
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
        """Show the analysis now, or when the panel is next seen (a table of every layer
        behind another tab is not filled on each edit: 0.07 s a time for 500 layers)."""
        self._pending = analysis
        if on_screen(self):
            self._fill()

    def showEvent(self, event):  # noqa: N802 (Qt override)
        super().showEvent(event)
        if self._pending is not None:
            self._fill()

    def on_dock_visibility_changed(self, visible: bool) -> None:
        """Its dock's tab came to the front: show what came meanwhile."""
        if visible and self._pending is not None:
            self._fill()

    def _fill(self) -> None:
        analysis, self._pending = self._pending, None
        order = self.doc.topological_order()
        rows = summary_rows(self.doc, analysis, order)
        trainable, frozen = analysis.total_params
        note = left_out_note(self.doc, analysis)
        key = (tuple(rows), trainable, frozen, note)
        if key == self._shown:
            return
        before = self._shown[0] if self._shown else ()
        self._shown = key
        self._ids = [n.id for n in order]
        self._write_rows(before, rows)
        header = self.table.horizontalHeader()
        resize_sections(header, {c: text_width(self.table, (row[c] for row in rows))
                                 for c in range(header.count() - 1)})  # the last stretches
        self.totals.setText(f"Total params: {trainable + frozen:,}    Trainable: {trainable:,}"
                            f"    Non-trainable: {frozen:,}{note}")

    def _write_rows(self, before: tuple, rows: list[tuple[str, ...]]) -> None:
        """Only the cells whose text changed are written: after an edit of one layer, or a
        paste of 177 after the rest, the other rows stay as they are."""
        table = self.table
        table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            old = before[r] if r < len(before) else None
            if row == old:
                continue
            for c, text in enumerate(row):
                item = table.item(r, c)
                if item is None:
                    item = QtWidgets.QTableWidgetItem(text)
                    if c == PARAMS:
                        item.setTextAlignment(QtCore.Qt.AlignRight | QtCore.Qt.AlignVCenter)
                    table.setItem(r, c, item)
                elif old is None or old[c] != text:
                    item.setText(text)
            self._mark_untitled(table.item(r, 0), r)

    def _mark_untitled(self, item: QtWidgets.QTableWidgetItem, row: int) -> None:
        """A layer named "" or with spaces only: its "(no name)" in grey italics, not
        taken for a layer so named."""
        node = self.doc.nodes.get(self._ids[row])
        untitled = node is not None and not node.name.strip()
        font = item.font()
        if font.italic() != untitled:
            font.setItalic(untitled)
            item.setFont(font)
            item.setData(QtCore.Qt.ForegroundRole, UNTITLED if untitled else None)

    def _on_cell_clicked(self, row, column) -> None:
        if row < len(self._ids):
            self.node_requested.emit(self._ids[row])
