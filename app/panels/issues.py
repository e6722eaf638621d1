"""The issues panel: every problem validation reports, with its node and one-click fixes."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from ...graph.fixes import FIX_LABELS

ISSUE_ROLE = QtCore.Qt.UserRole + 1
SEVERITY_COLORS = {"error": QtGui.QColor(229, 57, 53), "warning": QtGui.QColor(255, 179, 0)}


class IssuesPanel(QtWidgets.QTreeWidget):
    """A table of issues. Clicking one selects its node; each fix is a button on its row
    (and an entry of its context menu)."""

    node_requested = QtCore.Signal(str)
    fix_requested = QtCore.Signal(object, str)

    def __init__(self, doc, parent=None):
        super().__init__(parent)
        self.doc = doc
        self.setColumnCount(4)
        self.setHeaderLabels(["", "Node", "Problem", "Fix"])
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setWordWrap(True)
        self.setContextMenuPolicy(QtCore.Qt.CustomContextMenu)
        header = self.header()
        header.setSectionResizeMode(0, QtWidgets.QHeaderView.ResizeToContents)
        header.setSectionResizeMode(1, QtWidgets.QHeaderView.ResizeToContents)
        header.setSectionResizeMode(2, QtWidgets.QHeaderView.Stretch)
        header.setSectionResizeMode(3, QtWidgets.QHeaderView.ResizeToContents)
        header.setStretchLastSection(False)
        self.itemClicked.connect(self._on_item_clicked)
        self.customContextMenuRequested.connect(self._on_context_menu)
        self._shown: tuple = ()

    def show_issues(self, issues) -> None:
        key = tuple(issues)
        if key == self._shown:
            return
        self._shown = key
        self.clear()
        for issue in sorted(issues, key=lambda i: i.severity != "error"):
            node = self.doc.nodes.get(issue.node) if issue.node else None
            item = QtWidgets.QTreeWidgetItem(["●", node.name if node else "(model)",
                                              issue.message])
            item.setForeground(0, SEVERITY_COLORS.get(issue.severity, QtGui.QColor("white")))
            item.setToolTip(2, issue.message)
            item.setData(0, ISSUE_ROLE, issue)
            self.addTopLevelItem(item)
            if issue.fixes:
                self.setItemWidget(item, 3, self._fix_buttons(issue))

    def show_hint(self, text: str) -> None:
        """One informative row instead of issues (an empty project has nothing to fix)."""
        if self._shown == (text,):
            return
        self._shown = (text,)
        self.clear()
        item = QtWidgets.QTreeWidgetItem(["ℹ", "", text])
        item.setToolTip(2, text)
        self.addTopLevelItem(item)

    def _fix_buttons(self, issue) -> QtWidgets.QWidget:
        """One button per fix of `issue`; a click applies it."""
        box = QtWidgets.QWidget()
        row = QtWidgets.QHBoxLayout(box)
        row.setContentsMargins(2, 1, 2, 1)
        row.setSpacing(4)
        for code in issue.fixes:
            button = QtWidgets.QPushButton(FIX_LABELS.get(code, code))
            button.setObjectName(f"fix:{code}")
            button.setToolTip(f"{FIX_LABELS.get(code, code)}: fixes {issue.message}")
            button.clicked.connect(lambda _=False, c=code: self.fix_requested.emit(issue, c))
            row.addWidget(button)
        return box

    def fix_buttons(self, row: int) -> list[QtWidgets.QPushButton]:
        """The fix buttons shown on a row (none when its issue has no fix)."""
        box = self.itemWidget(self.topLevelItem(row), 3)
        return [] if box is None else box.findChildren(QtWidgets.QPushButton)

    def issue_at(self, row: int):
        return self.topLevelItem(row).data(0, ISSUE_ROLE)

    def _on_item_clicked(self, item, column) -> None:
        issue = item.data(0, ISSUE_ROLE)
        if issue.node:
            self.node_requested.emit(issue.node)

    def _on_context_menu(self, pos) -> None:
        item = self.itemAt(pos)
        if item is None:
            return
        issue = item.data(0, ISSUE_ROLE)
        menu = fix_menu(self, [issue], self.fix_requested.emit)
        if menu.actions():
            menu.exec(self.viewport().mapToGlobal(pos))


def fix_menu(parent, issues, apply) -> QtWidgets.QMenu:
    """A menu with one action per fix offered by `issues`; choosing one calls apply(issue, code)."""
    menu = QtWidgets.QMenu("Fix", parent)
    for issue in issues:
        for code in issue.fixes:
            action = menu.addAction(FIX_LABELS.get(code, code))
            action.setToolTip(issue.message)
            action.triggered.connect(lambda _=False, i=issue, c=code: apply(i, c))
    return menu
