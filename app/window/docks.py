"""The window's docks: palette left, properties and code right, issues and summary below,
their sizes at the first show (the side docks' as kept for the screen size, `dock_sizes`),
each bottom tab's own height (Issues, Summary, Training, Search), and the View menu's toggles for
them."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from ..panels.code import CodePanel
from ..panels.issues import IssuesPanel
from ..panels.palette import PalettePanel
from ..panels.properties import PropertiesPanel
from ..panels.summary import SummaryPanel
from .dock_sizes import fitted, keep_widths, kept_widths, side_room

SIDE_WIDTH = 352  # right docks at start: the widest property rows stay unclipped
SIDE_FRAMES = 8  # what the window's layout takes beside the docks and separators
DOCK_HEIGHT = 150  # the bottom panels at start: the canvas keeps most of the window
# The Training tab, once raised: half the window (at least this), so its plots are readable.
TRAINING_HEIGHT, TRAINING_SHARE = 420, 0.5
# A window made shorter: the bottom docks give up height down to this share of it, so the
# canvas is not squeezed alone (1500x920 -> 1024x700 left it 195 px under a 434 px dock).
BOTTOM_SHARE = 0.5
SUMMARY_HEIGHT = 360  # the Summary tab, once raised: some ten rows of its table


class DocksMixin:
    """Mixed into `MainWindow`: makes the panels' docks and sizes them once shown."""

    def _dock(self, title: str, widget, area) -> QtWidgets.QDockWidget:
        dock = QtWidgets.QDockWidget(title, self)
        dock.setObjectName(title.replace(" ", ""))
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        self.palette = PalettePanel()
        self.properties = PropertiesPanel(self.project)
        self.issues = IssuesPanel(self.doc)
        self.summary = SummaryPanel(self.doc)
        self.code = CodePanel(self.project)
        left, right = QtCore.Qt.LeftDockWidgetArea, QtCore.Qt.RightDockWidgetArea
        bottom = QtCore.Qt.BottomDockWidgetArea
        self.palette_dock = self._dock("Layers", self.palette, left)
        self.properties_dock = self._dock("Properties", self.properties, right)
        self.issues_dock = self._dock("Issues", self.issues, bottom)
        self.summary_dock = self._dock("Summary", self.summary, bottom)
        self.code_dock = self._dock("Code", self.code, right)
        # a tab coming to the front gets no show event: its panel hears it from its dock
        self.summary_dock.visibilityChanged.connect(self.summary.on_dock_visibility_changed)
        for dock in (self.issues_dock, self.summary_dock):
            self.follow_bottom_tab(dock)
        self.code_dock.visibilityChanged.connect(self.code.on_dock_visibility_changed)
        self.code.status_message.connect(self.show_message)
        self.issues_dock.visibilityChanged.connect(self.issues.on_dock_visibility_changed)
        self.tabifyDockWidget(self.issues_dock, self.summary_dock)
        self.tabifyDockWidget(self.properties_dock, self.code_dock)
        self.issues_dock.raise_()
        self.properties_dock.raise_()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if not getattr(self, "_docks_sized", False):  # sizes given before the first show are lost
            self._docks_sized = True
            self._size_side_docks()
            self.resizeDocks([self.issues_dock], [DOCK_HEIGHT], QtCore.Qt.Vertical)
            self._bottom_tab = self.issues_dock.objectName()

    def _side_docks(self) -> dict[str, QtWidgets.QDockWidget]:
        return {"palette": self.palette_dock, "properties": self.properties_dock}

    def _size_side_docks(self) -> None:
        """The side docks at their preferred widths, or those kept for this screen size
        (`dock_sizes`), narrowed so that the canvas keeps `CANVAS_SHARE` of the window."""
        # and room for the form's scroll bar, which comes with a shorter dock (the
        # Training tab raised): without it kernel_initializer's row broke in two
        bar = self.style().pixelMetric(QtWidgets.QStyle.PM_ScrollBarExtent)
        wanted = {"palette": self.palette.preferred_width(), "properties": SIDE_WIDTH + bar}
        wanted.update((name, width) for name, width in kept_widths(self).items()
                      if name in wanted)
        separator = self.style().pixelMetric(QtWidgets.QStyle.PM_DockWidgetSeparatorExtent)
        widths = fitted(wanted, side_room(self.width(), 2 * separator + SIDE_FRAMES))
        docks = self._side_docks()
        self.resizeDocks([docks[name] for name in widths], list(widths.values()),
                         QtCore.Qt.Horizontal)

    def keep_dock_widths(self) -> None:
        """Keep the side docks' widths for this screen size (the window is closing)."""
        keep_widths(self, {name: dock.width() for name, dock in self._side_docks().items()
                           if dock.isVisible() and not dock.isFloating()})

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        if event.size().height() < event.oldSize().height():
            self._cap_bottom()

    def _cap_bottom(self) -> None:
        """The shown bottom dock (its tabs share its height) within `BOTTOM_SHARE`."""
        limit = int(self.height() * BOTTOM_SHARE)
        area = QtCore.Qt.BottomDockWidgetArea
        tall = [dock for dock in self.findChildren(QtWidgets.QDockWidget)
                if self.dockWidgetArea(dock) == area and dock.isVisible()
                and not dock.isFloating() and dock.height() > limit]
        if tall:
            self.resizeDocks(tall[:1], [limit], QtCore.Qt.Vertical)

    def follow_bottom_tab(self, dock: QtWidgets.QDockWidget) -> None:
        """Give the bottom area the height of `dock`'s tab whenever that tab is raised."""
        dock.visibilityChanged.connect(lambda shown: shown and self._on_bottom_tab(dock))

    def _on_bottom_tab(self, dock: QtWidgets.QDockWidget) -> None:
        """Each bottom tab keeps its own height: the one it was left at, else its own start
        (Issues 150 px, Summary ten rows, Training and Search half the window). The tab
        left behind keeps the height it had, a drag of the user's included. Raising Training
        grew the area for good: back on Issues the canvas stayed squeezed (230 of 768 px)."""
        if not self.isVisible() or dock.isFloating() or \
                self.dockWidgetArea(dock) != QtCore.Qt.BottomDockWidgetArea:
            return
        shown = getattr(self, "_bottom_tab", None)
        if shown in (None, dock.objectName()):  # the first show sizes it; no tab changed
            self._bottom_tab = dock.objectName()
            return
        heights = self.__dict__.setdefault("_tab_heights", {})
        if not self.__dict__.get("_tab_resizing"):  # else that tab was never drawn at it
            heights[shown] = dock.height()  # the area's height, as the tab left behind had it
        self._bottom_tab = dock.objectName()
        height = heights.get(dock.objectName()) or self._start_height(dock)
        # Asked even when the dock is that high now: a tab raised in this same turn (Train >
        # Start raises Training, a run refused for its data Issues) has its height still to
        # be laid out, and it would land on this one.
        self.resizeDocks([dock], [height], QtCore.Qt.Vertical)
        self._tab_resizing = True
        QtCore.QTimer.singleShot(0, self, lambda: self._settle_bottom(
            dock, height, height, None))

    def _settle_bottom(self, dock: QtWidgets.QDockWidget, height: int, asked: int,
                       before: int | None, tries: int = 3) -> None:
        """`resizeDocks` sizes the tabbed area by rules of its own (a tab asked for the
        124 px it was left at came back at 106): once laid out, ask again for what is
        missing, a few times, while the tab is still the one shown and each ask moves it."""
        self._tab_resizing = False  # laid out: the tab shown has the height it was given
        now = dock.height()
        off = height - now
        if not tries or now == before or self._bottom_tab != dock.objectName() or \
                not dock.isVisible() or dock.isFloating() or not 1 < abs(off) < 80:
            return
        asked += off
        self.resizeDocks([dock], [asked], QtCore.Qt.Vertical)
        QtCore.QTimer.singleShot(0, self, lambda: self._settle_bottom(
            dock, height, asked, now, tries - 1))

    def _start_height(self, dock: QtWidgets.QDockWidget) -> int:
        """The height a bottom tab gets the first time it is raised."""
        if dock is self.summary_dock:
            return min(SUMMARY_HEIGHT, int(self.height() * BOTTOM_SHARE))
        if dock is self.issues_dock:
            return DOCK_HEIGHT
        return max(TRAINING_HEIGHT, int(self.height() * TRAINING_SHARE))

    def _build_status_bar(self) -> None:
        self.params_label = QtWidgets.QLabel()
        self.problems_label = QtWidgets.QLabel()
        self.statusBar().addPermanentWidget(self.params_label)
        self.statusBar().addPermanentWidget(self.problems_label)
        view = self.menuBar().actions()[2].menu()
        view.addSeparator()
        for dock in (self.palette_dock, self.properties_dock, self.code_dock,
                     self.issues_dock, self.summary_dock):
            view.addAction(dock.toggleViewAction())


def stacked(*widgets: QtWidgets.QWidget) -> QtWidgets.QWidget:
    """The widgets one above the other, edge to edge."""
    holder = QtWidgets.QWidget()
    column = QtWidgets.QVBoxLayout(holder)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(0)
    for widget in widgets:
        column.addWidget(widget)
    return holder


class SteadyScroll(QtWidgets.QScrollArea):
    """A scroll area that scrolls to the next focused widget on Tab, but not when the focus
    moves on because its widget was disabled (Start disables itself: the Search tab jumped
    to the widget after it, hiding the tables' headers)."""

    def focusNextPrevChild(self, forward: bool) -> bool:  # noqa: N802 (Qt override)
        focused = QtWidgets.QApplication.focusWidget()
        if focused is None or focused.isEnabled():
            return super().focusNextPrevChild(forward)
        bars = (self.horizontalScrollBar(), self.verticalScrollBar())
        kept = [bar.value() for bar in bars]
        moved = super().focusNextPrevChild(forward)
        for bar, value in zip(bars, kept, strict=True):
            bar.setValue(value)
        return moved


def scrolled(widget: QtWidgets.QWidget) -> QtWidgets.QScrollArea:
    """`widget` in a scroll area, so its minimum height does not squeeze the canvas."""
    scroll = SteadyScroll()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QtWidgets.QFrame.NoFrame)
    scroll.setWidget(widget)
    return scroll
