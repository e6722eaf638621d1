"""The searched parameters' table of the Search tab: one row per entry of the `search`
section, its key and its range (editable), and a row for an entry whose node is gone.

Deleting a node keeps its entries in the section, so that undoing the delete brings
them back with the node (the node keeps its id). Until then such an entry is
dangling: its row reads `hidden.units (node deleted)` in the error colour, by the name
the node last had in this window (its id for a file that came that way), says why in its
tooltip, cannot be edited, and has a Remove button, the fix that stops searching it (one
undoable step). A search does not start while one is there (`graph.search_check`).
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from ...graph.search import key_of
from .views import FAILED_COLOR

DANGLING = "node deleted"
COLUMNS = ("parameter", "range", "")


def is_dangling(doc, entry) -> bool:
    """Whether `entry` searches a parameter of a node the document no longer holds."""
    return entry.node is not None and entry.node not in doc.nodes


class ParamsTable(QtWidgets.QTableWidget):
    """Key, range and (for a dangling entry) its Remove fix; see the module doc."""

    remove_requested = QtCore.Signal(object)  # the dangling entry's target

    def __init__(self, parent=None):
        super().__init__(0, len(COLUMNS), parent)
        self.setObjectName("SearchParams")
        self.setHorizontalHeaderLabels(list(COLUMNS))
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QtWidgets.QHeaderView.Interactive)
        header.setSectionResizeMode(1, QtWidgets.QHeaderView.Stretch)
        header.setSectionResizeMode(2, QtWidgets.QHeaderView.ResizeToContents)
        self.verticalHeader().setVisible(False)
        self._names: dict[str, str] = {}  # node id -> the name it last had here

    def minimumSizeHint(self) -> QtCore.QSize:
        """Two whole rows under the header: on a 1024x700 screen the tab squeezed the
        table to one and a half (the dock scrolls instead)."""
        hint = super().minimumSizeHint()
        rows = 2 * self.verticalHeader().defaultSectionSize()
        height = self.horizontalHeader().sizeHint().height() + rows + 2 * self.frameWidth()
        return QtCore.QSize(hint.width(), max(hint.height(), height))

    def show_entries(self, doc, entries, range_text) -> None:
        """Fill the rows from `entries` (`range_text(entry)` writes a range)."""
        self._names.update({e.node: doc.nodes[e.node].name for e in entries
                            if e.node in doc.nodes})
        with QtCore.QSignalBlocker(self):
            self.setRowCount(len(entries))
            for row, entry in enumerate(entries):
                dangling = is_dangling(doc, entry)
                key = QtWidgets.QTableWidgetItem(self._key_text(doc, entry, dangling))
                key.setFlags(key.flags() & ~QtCore.Qt.ItemIsEditable)
                span = QtWidgets.QTableWidgetItem(range_text(entry))
                if dangling:
                    self._mark(entry, key, span)
                self.setItem(row, 0, key)
                self.setItem(row, 1, span)
                self._set_fix(row, entry if dangling else None)
        for column in (0, 2):
            self.resizeColumnToContents(column)

    def dangling_rows(self) -> list[int]:
        return [row for row in range(self.rowCount()) if self.cellWidget(row, 2) is not None]

    def _key_text(self, doc, entry, dangling: bool) -> str:
        if not dangling:
            return key_of(doc, entry.target)
        return f"{self._names.get(entry.node, entry.node)}.{entry.param} ({DANGLING})"

    def _mark(self, entry, key, span) -> None:
        name = self._names.get(entry.node)
        which = f"{name!r} ({entry.node})" if name else f"with id {entry.node!r}"
        tip = (f"The node {which} is not in the graph: it was deleted. Its range stays so "
               "that undoing the delete brings it back; a search does not start while it "
               "is here. Remove stops searching it.")
        for item in (key, span):
            item.setForeground(QtGui.QBrush(QtGui.QColor(FAILED_COLOR)))
            item.setToolTip(tip)
        span.setFlags(span.flags() & ~QtCore.Qt.ItemIsEditable)

    def _set_fix(self, row: int, entry) -> None:
        if entry is None:
            self.removeCellWidget(row, 2)
            return
        button = QtWidgets.QPushButton("Remove")
        button.setObjectName("SearchRemoveDangling")
        button.setToolTip(f"Stop searching {entry.param} of the deleted node (undoable)")
        button.clicked.connect(lambda _=False, t=entry.target: self.remove_requested.emit(t))
        self.setCellWidget(row, 2, button)
