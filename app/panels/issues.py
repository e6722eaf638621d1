"""The issues panel: every problem validation reports, with its node and one-click fixes."""

from __future__ import annotations

from contextlib import contextmanager

from PySide6 import QtCore, QtGui, QtWidgets

from ...graph.fixes import FIX_LABELS

ISSUE_ROLE = QtCore.Qt.UserRole + 1
KEY_ROLE = QtCore.Qt.UserRole + 2  # what identifies a row's issue across re-validations
FIXES_ROLE = QtCore.Qt.UserRole + 3  # the fixes its buttons offer
HINT_ROLE = QtCore.Qt.UserRole + 4
BUTTON_MARGIN = 1  # above and below a row's fix buttons
SEVERITY_COLORS = {"error": QtGui.QColor(229, 57, 53), "warning": QtGui.QColor(255, 179, 0)}


@contextmanager
def _columns_sized_once(header: QtWidgets.QHeaderView):
    """Columns sized to their contents measure every row at each change of any cell: for a
    pasted copy of a 177-layer model (177 new warnings) that took 3.4 s. Fixed while the
    rows are filled, they are measured once at the end."""
    modes = {c: header.sectionResizeMode(c) for c in range(header.count())}
    for column, mode in modes.items():
        if mode == QtWidgets.QHeaderView.ResizeToContents:
            header.setSectionResizeMode(column, QtWidgets.QHeaderView.Fixed)
    try:
        yield
    finally:
        for column, mode in modes.items():
            header.setSectionResizeMode(column, mode)


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
        # Rows share one height (quick with many issues), taken from the first row: every
        # row asks for a fix button's, or a first row without fixes squashed the buttons below.
        self.setUniformRowHeights(True)
        self._row_height = QtWidgets.QPushButton("Fix").sizeHint().height() + 2 * BUTTON_MARGIN
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

    def show_issues(self, issues) -> None:
        """Show `issues`, errors first. Rows whose issue is still reported stay as they are
        (their fix buttons too), so a click on a button is never lost to a re-validation
        that reports the same problem again, e.g. when Keras' shapes arrive."""
        ordered = sorted(issues, key=lambda i: i.severity != "error")
        keys = numbered_keys(ordered)
        shown = [self.topLevelItem(r).data(0, KEY_ROLE) for r in range(self.topLevelItemCount())]
        if not self._keeps_order(shown, keys):
            self.clear()
            shown = []
        wanted = set(keys)
        for row in reversed(range(len(shown))):
            if shown[row] not in wanted:
                self.takeTopLevelItem(row)
        rows = {key: self.topLevelItem(r) for r, key in enumerate(k for k in shown if k in wanted)}
        with _columns_sized_once(self.header()):
            items = self._insert_new_rows([rows.get(key) for key in keys], keys)
            for item, issue in zip(items, ordered, strict=True):
                self._fill_row(item, issue)

    def _insert_new_rows(self, items: list, keys: list) -> list[QtWidgets.QTreeWidgetItem]:
        """`items` (None where a row is new) with the new rows made and inserted, a run of
        adjacent ones at a time, before any row gets its fix buttons: each insert moves the
        buttons of the rows already there, so one insert per row was quadratic (0.8 s for
        the 177 warnings of a pasted ResNet50 copy)."""
        run: list[QtWidgets.QTreeWidgetItem] = []
        for row, key in enumerate(keys):
            if items[row] is None:
                items[row] = QtWidgets.QTreeWidgetItem()
                items[row].setData(0, KEY_ROLE, key)
                run.append(items[row])
            if run and (row + 1 == len(keys) or items[row + 1] is not None):
                self.insertTopLevelItems(row + 1 - len(run), run)
                run = []
        return items

    @staticmethod
    def _keeps_order(shown: list, keys: list) -> bool:
        """Whether the rows that stay are already in the order `keys` wants them."""
        wanted, present = set(keys), set(shown)
        return [k for k in shown if k in wanted] == [k for k in keys if k in present]

    def _fill_row(self, item: QtWidgets.QTreeWidgetItem, issue) -> None:
        """Bring a row up to date with `issue`; its fix buttons are made anew only when the
        fixes on offer changed."""
        node = self.doc.nodes.get(issue.node) if issue.node else None
        item.setText(0, "●")
        item.setText(1, node.name if node else "(model)")
        item.setText(2, issue.message)
        item.setForeground(0, SEVERITY_COLORS.get(issue.severity, QtGui.QColor("white")))
        item.setToolTip(2, issue.message)
        item.setData(0, ISSUE_ROLE, issue)
        item.setSizeHint(3, QtCore.QSize(0, self._row_height))
        if item.data(0, FIXES_ROLE) != issue.fixes:
            item.setData(0, FIXES_ROLE, issue.fixes)
            if issue.fixes:
                self.setItemWidget(item, 3, self._fix_buttons(item, issue))
            else:
                self.removeItemWidget(item, 3)

    def show_hint(self, text: str) -> None:
        """One informative row instead of issues (an empty project has nothing to fix)."""
        if self.topLevelItemCount() == 1 and self.topLevelItem(0).data(0, HINT_ROLE) == text:
            return
        self.clear()
        item = QtWidgets.QTreeWidgetItem(["ℹ", "", text])
        item.setToolTip(2, text)
        item.setData(0, HINT_ROLE, text)
        self.addTopLevelItem(item)

    def _fix_buttons(self, item: QtWidgets.QTreeWidgetItem, issue) -> QtWidgets.QWidget:
        """One button per fix of `issue`; a click applies it to the row's issue as it is then."""
        box = QtWidgets.QWidget()
        row = QtWidgets.QHBoxLayout(box)
        row.setContentsMargins(2, BUTTON_MARGIN, 2, BUTTON_MARGIN)
        row.setSpacing(4)
        for code in issue.fixes:
            button = QtWidgets.QPushButton(FIX_LABELS.get(code, code))
            button.setObjectName(f"fix:{code}")
            button.setToolTip(f"{FIX_LABELS.get(code, code)}: fixes {issue.message}")
            button.clicked.connect(
                lambda _=False, c=code: self.fix_requested.emit(item.data(0, ISSUE_ROLE), c))
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
        if issue is not None and issue.node:
            self.node_requested.emit(issue.node)

    def _on_context_menu(self, pos) -> None:
        item = self.itemAt(pos)
        if item is None:
            return
        issue = item.data(0, ISSUE_ROLE)
        if issue is None:  # the hint row
            return
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


def numbered_keys(issues) -> list[tuple]:
    """A key per issue that stays the same while the problem does: its code, node, port and
    message, and which repeat of that it is (the same problem can be reported twice)."""
    seen: dict[tuple, int] = {}
    keys = []
    for issue in issues:
        key = (issue.code, issue.node, issue.port, issue.message)
        seen[key] = seen.get(key, 0) + 1
        keys.append((*key, seen[key]))
    return keys
