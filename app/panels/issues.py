"""The issues panel: every problem validation reports, with its node and one-click fixes."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from ..keys import Keys
from .columns import resize_sections, text_width
from .fix_buttons import BUTTON_MARGIN, button_box, fix_labels, fix_menu, fix_tooltip, wrapped_tip
from .issue_keys import longest_rising, numbered_keys
from .shown import on_screen

ISSUE_ROLE = QtCore.Qt.UserRole + 1
KEY_ROLE = QtCore.Qt.UserRole + 2  # what identifies a row's issue across re-validations
FIXES_ROLE = QtCore.Qt.UserRole + 3  # its buttons' labels (None: no buttons made yet)
HINT_ROLE = QtCore.Qt.UserRole + 4
COPY_PROBLEMS = Keys("Copy the Selected Problems (Issues)", ("Ctrl+C",))
SEVERITY_COLORS = {"error": QtGui.QColor(229, 57, 53), "warning": QtGui.QColor(255, 179, 0)}


class IssuesPanel(QtWidgets.QTreeWidget):
    """A table of issues. Clicking one selects its node; each fix is a button on its row
    (and an entry of its context menu).

    Each analysis updates only the rows whose issue changed, keyed by the issue
    (`numbered_keys`). A row's buttons are made when the row first comes into view: made
    for every row, they cost more than the rest of an update (the 177 warnings of a pasted
    ResNet50 copy, after an undo of a delete of everything or a redo of the paste).

    While its window is shown and the panel is not (its dock closed, or its tab behind
    another), an update only notes what to show: the last one is shown when the panel is
    next seen (`showEvent`, or its dock's `visibilityChanged`)."""

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
        self._box_widths: dict[tuple[str, ...], int] = {}
        self.setWordWrap(True)
        self.setContextMenuPolicy(QtCore.Qt.CustomContextMenu)
        # Ctrl+A selects every row, Shift/Ctrl+click several; Ctrl+C copies their messages.
        self.setSelectionMode(QtWidgets.QAbstractItemView.ExtendedSelection)
        header = self.header()
        for column in (0, 1, 3):  # sized by `_fit_columns`, from the texts and fixes shown
            header.setSectionResizeMode(column, QtWidgets.QHeaderView.Fixed)
        header.setSectionResizeMode(2, QtWidgets.QHeaderView.Stretch)
        header.setStretchLastSection(False)
        self._fit_columns("●", [""], [()])
        self._pending: tuple | None = None  # (method, argument) held while hidden
        self.itemClicked.connect(self._on_item_clicked)
        self.customContextMenuRequested.connect(self._on_context_menu)

    # ---- updates, held while the panel cannot be seen ----------------------------
    def show_issues(self, issues) -> None:
        """Show `issues` (see `_show_issues`), now or when the panel is next seen."""
        self._update(self._show_issues, list(issues))

    def show_hint(self, text: str) -> None:
        """One informative row instead of issues (an empty project has nothing to fix),
        now or when the panel is next seen."""
        self._update(self._show_hint, text)

    def _update(self, method, argument) -> None:
        self._pending = (method, argument)
        if not self._hidden():
            self._catch_up()

    def _hidden(self) -> bool:
        """In a shown window, but not seen itself. A window not shown yet (being built, or
        driven without a screen) is kept up to date: nothing tells it when it is shown."""
        return self.window().isVisible() and not on_screen(self)

    def _catch_up(self) -> None:
        if self._pending is not None:
            (method, argument), self._pending = self._pending, None
            method(argument)

    def showEvent(self, event: QtGui.QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self._catch_up()

    def on_dock_visibility_changed(self, visible: bool) -> None:
        """Its dock's tab came to the front (no show event comes then): show the last update."""
        if visible:
            self._catch_up()

    def _show_issues(self, issues) -> None:
        """Show `issues`, errors first. Rows whose issue is still reported stay as they are
        (their fix buttons too), so a click on a button is never lost to a re-validation
        that reports the same problem again, e.g. when Keras' shapes arrive. The selected
        and current rows and the row at the top of a scrolled list follow their issues."""
        ordered = sorted(issues, key=lambda i: i.severity != "error")
        keys = numbered_keys(ordered)
        view = self._view_state()
        kept = self._keep_rows(keys)
        items = self._insert_new_rows([kept.get(key) for key in keys], keys)
        names = [self._node_name(issue) for issue in ordered]
        for item, issue, name in zip(items, ordered, names, strict=True):
            self._fill_row(item, issue, name)
        self._fit_columns("●", names, [fix_labels(issue, self.doc) for issue in ordered])
        self._restore_view(view, dict(zip(keys, items, strict=True)))
        self._make_visible_buttons()

    def _keep_rows(self, keys: list) -> dict:
        """Remove the rows whose issue is gone, and the fewest rows that stand in another
        order than `keys` wants (all but a longest run already in that order); returns the
        rest by key."""
        place = {key: at for at, key in enumerate(keys)}
        shown = [self.topLevelItem(r) for r in range(self.topLevelItemCount())]
        staying = [(place[key], item) for item in shown
                   if (key := item.data(0, KEY_ROLE)) is not None and key in place]
        in_order = set(longest_rising([at for at, _ in staying]))
        if not in_order:
            self.clear()
            return {}
        for row in reversed(range(len(shown))):
            if place.get(shown[row].data(0, KEY_ROLE)) not in in_order:
                self.takeTopLevelItem(row)
        return {keys[at]: item for at, item in staying if at in in_order}

    def _insert_new_rows(self, items: list, keys: list) -> list[QtWidgets.QTreeWidgetItem]:
        """`items` (None where a row is new) with the new rows made and inserted, a run of
        adjacent ones at a time: one insert per row moved the rows below each time."""
        run: list[QtWidgets.QTreeWidgetItem] = []
        for row, key in enumerate(keys):
            if items[row] is None:
                items[row] = QtWidgets.QTreeWidgetItem()
                items[row].setData(0, KEY_ROLE, key)
                # Its height before it goes in: rows share the first row's, and the kept
                # rows' buttons were placed at an empty row's height, squashed between rows.
                items[row].setSizeHint(3, QtCore.QSize(0, self._row_height))
                run.append(items[row])
            if run and (row + 1 == len(keys) or items[row + 1] is not None):
                self.insertTopLevelItems(row + 1 - len(run), run)
                run = []
        return items

    def _node_name(self, issue) -> str:
        node = self.doc.nodes.get(issue.node) if issue.node else None
        if node is not None:
            return node.name
        # the data check's findings on no node (a source the reader refuses, a split)
        return "(training data)" if str(issue.code).startswith("data_") else "(model)"

    def _fill_row(self, item: QtWidgets.QTreeWidgetItem, issue, name: str) -> None:
        """Bring a row up to date with `issue` (nothing to do when neither it nor its node's
        name changed); its fix buttons go only when the fixes on offer changed."""
        labels = fix_labels(issue, self.doc)  # a fix's label may name other nodes
        if item.data(0, ISSUE_ROLE) == issue and item.text(1) == name and \
                item.data(0, FIXES_ROLE) in (None, labels):
            return
        item.setText(0, "●")
        item.setText(1, name)
        item.setText(2, issue.message)
        item.setForeground(0, SEVERITY_COLORS.get(issue.severity, QtGui.QColor("white")))
        item.setToolTip(2, wrapped_tip(issue.message))
        item.setData(0, ISSUE_ROLE, issue)
        shown = item.data(0, FIXES_ROLE)
        if shown is not None and shown != labels:  # another fix, or a name a label gives
            item.setData(0, FIXES_ROLE, None)
            self.removeItemWidget(item, 3)  # made again, with the new fixes, when in view
        elif shown is not None:
            for button in self.itemWidget(item, 3).findChildren(QtWidgets.QPushButton):
                button.setToolTip(fix_tooltip(button.objectName()[4:], issue, self.doc))

    def _fit_columns(self, mark: str, names: list[str], fixes: list[tuple]) -> None:
        """Size the mark, node and fix columns to what they show: the texts' widths, and
        the width of each set of fix buttons, measured once (`columns`)."""
        resize_sections(self.header(), {
            0: text_width(self, [mark]), 1: text_width(self, names),
            3: max(map(self._buttons_width, set(fixes)), default=0)})

    # ---- fix buttons, made as rows come into view ------------------------------
    def _make_visible_buttons(self) -> None:
        """Give the rows in view (made or scrolled there) their fix buttons."""
        count = self.topLevelItemCount()
        if not count:
            return
        top = self.indexAt(QtCore.QPoint(0, 0)).row()
        bottom = self.indexAt(QtCore.QPoint(0, self.viewport().height() - 1)).row()
        for row in range(max(top, 0), count if bottom < 0 else bottom + 1):
            self._make_buttons(self.topLevelItem(row))

    def _make_buttons(self, item: QtWidgets.QTreeWidgetItem) -> None:
        issue = item.data(0, ISSUE_ROLE)
        if issue is None or not issue.fixes or item.data(0, FIXES_ROLE) is not None:
            return
        item.setData(0, FIXES_ROLE, fix_labels(issue, self.doc))
        box = button_box(issue, doc=self.doc)
        for button in box.findChildren(QtWidgets.QPushButton):
            code = button.objectName()[4:]
            button.clicked.connect(
                lambda _=False, c=code: self.fix_requested.emit(item.data(0, ISSUE_ROLE), c))
        self.setItemWidget(item, 3, box)

    def _buttons_width(self, labels: tuple[str, ...]) -> int:
        """The width of a row's buttons, measured once per set of labels: the column is
        sized to it whether or not the row's buttons are made yet."""
        if labels not in self._box_widths:
            box = button_box(None, labels) if labels else None
            self._box_widths[labels] = box.sizeHint().width() if box else 0
            if box is not None:
                box.deleteLater()
        return self._box_widths[labels]

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        self._make_visible_buttons()

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:
        super().resizeEvent(event)
        self._make_visible_buttons()

    def fix_buttons(self, row: int) -> list[QtWidgets.QPushButton]:
        """The fix buttons of a row (none when its issue has no fix), made now if the row
        has not been in view yet."""
        item = self.topLevelItem(row)
        self._make_buttons(item)
        box = self.itemWidget(item, 3)
        return [] if box is None else box.findChildren(QtWidgets.QPushButton)

    # ---- selection and scroll, kept by issue ------------------------------------
    def _view_state(self) -> tuple[list, object, object]:
        """The keys of the selected rows, of the current row, and of the top row in view
        when the list is scrolled (at the top, new rows above show)."""
        selected = [item.data(0, KEY_ROLE) for item in self.selectedItems()]
        current = self.currentItem()
        top = self.itemAt(0, 0) if self.verticalScrollBar().value() else None
        return (selected, current.data(0, KEY_ROLE) if current else None,
                top.data(0, KEY_ROLE) if top else None)

    def _restore_view(self, view: tuple[list, object, object], rows: dict) -> None:
        selected, current, top = view
        if current in rows and self.currentItem() is not rows[current]:
            self.setCurrentItem(rows[current], 0, QtCore.QItemSelectionModel.NoUpdate)
        for key in selected:
            if key in rows and not rows[key].isSelected():
                rows[key].setSelected(True)
        if top in rows and self.itemAt(0, 0) is not rows[top]:
            self.scrollToItem(rows[top], QtWidgets.QAbstractItemView.PositionAtTop)

    def _show_hint(self, text: str) -> None:
        if self.topLevelItemCount() == 1 and self.topLevelItem(0).data(0, HINT_ROLE) == text:
            return
        self.clear()
        item = QtWidgets.QTreeWidgetItem(["ℹ", "", text])
        item.setToolTip(2, wrapped_tip(text))
        item.setData(0, HINT_ROLE, text)
        self.addTopLevelItem(item)
        self._fit_columns("ℹ", [""], [()])

    def issue_at(self, row: int):
        return self.topLevelItem(row).data(0, ISSUE_ROLE)

    def _on_item_clicked(self, item, column) -> None:
        issue = item.data(0, ISSUE_ROLE)
        if issue is not None and issue.node:
            self.node_requested.emit(issue.node)

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:  # noqa: N802 (Qt override)
        if COPY_PROBLEMS.pressed(event):
            rows = sorted(self.selectedItems(), key=self.indexOfTopLevelItem)
            QtWidgets.QApplication.clipboard().setText("\n".join(map(row_message, rows)))
        else:
            super().keyPressEvent(event)

    def _on_context_menu(self, pos) -> None:
        item = self.itemAt(pos)
        if item is not None:
            self.row_menu(item).exec(self.viewport().mapToGlobal(pos))

    def row_menu(self, item: QtWidgets.QTreeWidgetItem) -> QtWidgets.QMenu:
        """A row's context menu: its issue's fixes, and Copy message (a message longer
        than the row is cut there; pasted elsewhere it can be read, and searched, whole)."""
        issue = item.data(0, ISSUE_ROLE)
        menu = fix_menu(self, [issue] if issue is not None else [], self.fix_requested.emit,
                        self.doc)
        if menu.actions():
            menu.addSeparator()
        text = row_message(item)
        menu.addAction("Copy message",
                       lambda: QtWidgets.QApplication.clipboard().setText(text))
        return menu


def row_message(item: QtWidgets.QTreeWidgetItem) -> str:
    """A row's whole message (its issue's, or the hint's text)."""
    issue = item.data(0, ISSUE_ROLE)
    return issue.message if issue is not None else item.text(2)
