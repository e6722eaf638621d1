"""Widths in the Training dock that follow what they show.

The settings column is never narrower than its fields, whatever rows the form gains (an
output added after the dock was built brought a wide loss list, cut off behind a sideways
scroll bar), and keeps one width from session to session (`SettingsWidth`: it followed
what it first showed, some 300 px with synthetic data, 530 with a project's images); a
list in it may shrink to `FIELD_CHARS` characters, its text then elided with the whole
text as its tooltip; and the Runs tab's columns fit their header and values.
"""

from __future__ import annotations

import shiboken6
from PySide6 import QtCore, QtWidgets

from ..window.dock_sizes import keep_widths, kept_widths

FIELD_CHARS = 14  # a settings list narrower than its text shows at least this many
COLUMN_GAP = 12  # between a list's columns: the style's check box took more than it said


class SettingsScroll(QtWidgets.QScrollArea):
    """Scrolls its widget up and down only: at least as wide as the widget's minimum, which
    it follows as the widget's rows change, and preferring the widget's own width."""

    def __init__(self, widget: QtWidgets.QWidget, parent=None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarAlwaysOff)
        self.setWidget(widget)  # the scroll area filters the widget's events from now on
        self.follow_widget()

    def _around(self) -> int:
        """The width the scroll area adds around its widget (frame and scroll bar)."""
        return self.verticalScrollBar().sizeHint().width() + 2 * self.frameWidth()

    def follow_widget(self) -> None:
        width = self.widget().minimumSizeHint().width() + self._around()
        if width != self.minimumWidth():
            self.setMinimumWidth(width)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt override)
        if watched is self.widget() and event.type() == QtCore.QEvent.LayoutRequest:
            self.follow_widget()
        return super().eventFilter(watched, event)

    def sizeHint(self) -> QtCore.QSize:  # noqa: N802 (Qt override)
        hint = super().sizeHint()
        return QtCore.QSize(self.widget().sizeHint().width() + self._around(), hint.height())


SETTINGS_WIDTH = 400  # the settings column unless the user left it at another width (digits_cnn
# needs some 395 px under X at 1024x700: its fields are whole)
SETTINGS_SHARE = 0.45  # of the Training dock's width, at most, by default or as kept
SETTINGS = "training_settings"  # its name among the widths kept per screen size
KEEP_MS = 500  # a drag of the splitter is kept once it pauses this long


class SettingsWidth(QtCore.QObject):
    """The settings column's width in `splitter` (its first widget): the width the user left
    it at on a screen of this size when that still fits (from its fields' minimum up to
    `SETTINGS_SHARE` of the splitter), else `SETTINGS_WIDTH` within those bounds. Set when
    the splitter is first shown; the column to its right takes any later change of the
    dock's width."""

    def __init__(self, splitter: QtWidgets.QSplitter):
        super().__init__(splitter)
        self.splitter, self.placed = splitter, False
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.installEventFilter(self)
        self._keep = QtCore.QTimer(self, singleShot=True, interval=KEEP_MS)
        self._keep.timeout.connect(self._on_keep_timeout)
        splitter.splitterMoved.connect(self._keep.start)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt override)
        if (not self.placed and event.type() in (QtCore.QEvent.Show, QtCore.QEvent.Resize)
                and watched.isVisible() and watched.width() > 0):
            self.placed = True
            self.place()
        return False

    def width_for(self, total: int) -> int:
        low = self.splitter.widget(0).minimumWidth()
        high = max(low, int(total * SETTINGS_SHARE))
        kept = kept_widths(self.splitter).get(SETTINGS)
        return kept if kept is not None and low <= kept <= high else \
            min(max(SETTINGS_WIDTH, low), high)

    def place(self) -> None:
        total = sum(self.splitter.sizes())
        width = self.width_for(total)
        self.splitter.setSizes([width, total - width])

    def _on_keep_timeout(self) -> None:
        keep_widths(self.splitter, {SETTINGS: self.splitter.sizes()[0]})


class _ElidedText(QtCore.QObject):
    """Paints a combo box's text elided to the room it has (Qt cuts it off mid-letter)."""

    def eventFilter(self, combo, event) -> bool:  # noqa: N802 (Qt override)
        if event.type() != QtCore.QEvent.Paint:
            return False
        option = QtWidgets.QStyleOptionComboBox()
        combo.initStyleOption(option)
        painter = QtWidgets.QStylePainter(combo)
        painter.drawComplexControl(QtWidgets.QStyle.CC_ComboBox, option)
        room = combo.style().subControlRect(QtWidgets.QStyle.CC_ComboBox, option,
                                            QtWidgets.QStyle.SC_ComboBoxEditField, combo)
        option.currentText = elided(combo, option.currentText, room.width())
        painter.drawControl(QtWidgets.QStyle.CE_ComboBoxLabel, option)
        return True


def elided(widget: QtWidgets.QWidget, text: str, width: int) -> str:
    """`text` as it fits in `width` pixels of `widget` (whole, or cut with an ellipsis)."""
    return widget.fontMetrics().elidedText(text, QtCore.Qt.ElideRight, width)


def compact_combo(combo: QtWidgets.QComboBox) -> None:
    """Let a list keep its preferred width (its longest entry) yet shrink to `FIELD_CHARS`
    characters, its text elided; the tooltip holds the whole text. Call again after its
    entries change."""
    if combo.property("elided") is None:
        combo.setProperty("elided", True)
        combo.installEventFilter(_ElidedText(combo))
    metrics = combo.fontMetrics()
    longest = max((metrics.horizontalAdvance(combo.itemText(i)) for i in range(combo.count())),
                  default=0)
    chrome = max(0, combo.sizeHint().width() - longest)  # arrow, frame, padding
    combo.setMinimumWidth(min(combo.sizeHint().width(),
                              chrome + metrics.horizontalAdvance("x" * FIELD_CHARS)))
    combo.setToolTip(combo.currentText())


class _Gap(QtWidgets.QStyledItemDelegate):
    def sizeHint(self, option, index) -> QtCore.QSize:  # noqa: N802 (Qt override)
        return super().sizeHint(option, index) + QtCore.QSize(COLUMN_GAP, 0)


def fit_columns(tree: QtWidgets.QTreeWidget, capped: int | None = None) -> None:
    """Every column but the last as wide as its header and values (kept so as they change);
    the last takes the rest of the width. The `capped` column stops at `CAP_SHARE` of the
    tree's width, its texts elided (give them tooltips), so the columns after it stay in
    view."""
    tree.setItemDelegate(_Gap(tree))
    header = tree.header()
    header.setStretchLastSection(True)
    for column in range(tree.columnCount() - 1):
        header.setSectionResizeMode(column, QtWidgets.QHeaderView.ResizeToContents)
    if capped is not None:
        header.setSectionResizeMode(capped, QtWidgets.QHeaderView.Interactive)
        _CappedColumn(tree, capped)


CAP_SHARE = 0.5  # of the tree's width, at most, for a capped column


class _CappedColumn(QtCore.QObject):
    """Keeps a column as wide as its texts, up to `CAP_SHARE` of the tree's width, as rows
    arrive or change and as the tree is resized. A row added or a cell changed widens it
    when that cell's text is wider (fitting over every row took 0.05 s a change at 2,000
    runs); rows removed, many added at once, a reset or a resize fit it to all rows."""

    def __init__(self, tree: QtWidgets.QTreeWidget, column: int):
        super().__init__(tree)
        self.tree, self.column = tree, column
        model = tree.model()
        model.rowsInserted.connect(self._on_rows_inserted)
        model.dataChanged.connect(self._on_data_changed)
        model.rowsRemoved.connect(self.fit)
        model.modelReset.connect(self.fit)
        tree.viewport().installEventFilter(self)
        self.fit()

    def fit(self, *_) -> None:
        tree = self.tree
        if not shiboken6.isValid(tree):  # its model empties as the tree is deleted
            return
        wanted = max(tree.sizeHintForColumn(self.column),
                     tree.header().sectionSizeHint(self.column))
        tree.header().resizeSection(self.column, min(wanted, self._cap()))

    def _cap(self) -> int:
        return int(CAP_SHARE * self.tree.viewport().width())

    def _on_rows_inserted(self, parent, first: int, last: int) -> None:
        if first != last:
            self.fit()
        else:
            self._widen(self.tree.model().index(first, self.column, parent))

    def _on_data_changed(self, top_left, bottom_right, *_) -> None:
        if not top_left.column() <= self.column <= bottom_right.column():
            return
        if top_left.row() != bottom_right.row():
            self.fit()
        else:
            self._widen(top_left.siblingAtColumn(self.column))

    def _widen(self, index: QtCore.QModelIndex) -> None:
        """Widen the column to `index`'s text when that is wider (up to the cap)."""
        tree = self.tree
        if not shiboken6.isValid(tree) or not index.isValid():
            return
        header, wanted = tree.header(), tree.sizeHintForIndex(index).width()
        if wanted > header.sectionSize(self.column):
            header.resizeSection(self.column, min(wanted, self._cap()))

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QtCore.QEvent.Resize:
            self.fit()
        return False
