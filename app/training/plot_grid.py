"""The training plots' grid: one plot per metric and the learning rate, in as many
columns as give each plot the most room, their x axes linked."""

from __future__ import annotations

import os

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import pyqtgraph as pg  # noqa: E402  (the binding must be chosen first)
from PySide6 import QtCore, QtGui  # noqa: E402

from .axes import EpochAxis, ReadableAxis  # noqa: E402
from .legend import MARGIN, TEXT_SIZE  # noqa: E402

LEGEND_ALPHA = 190  # of the legend's black box: the curves show faintly through it
PLOT_ASPECT = 1.3  # width over height a plot needs before plots go side by side
TITLE_SIZE_PT = 11  # pyqtgraph's title size


class ElidedTitle(pg.LabelItem):
    """A plot's title that asks for no width: a long metric name
    (sparse_top_k_categorical_accuracy) is cut to the plot's width with "…", its full name
    in the tooltip. pyqtgraph's title asks for its text's width, so its plot took the
    row's width from the others (the loss plot shrank to ~70 px in a narrow tab)."""

    def __init__(self, text: str):
        self.full = text
        super().__init__(text, size=f"{TITLE_SIZE_PT}pt")
        self.setToolTip(text)

    def updateMin(self) -> None:  # noqa: N802 (pyqtgraph override)
        super().updateMin()
        height = self._sizeHint[QtCore.Qt.SizeHint.MinimumSize][1]
        self.setMinimumWidth(0)
        for hint in (QtCore.Qt.SizeHint.MinimumSize, QtCore.Qt.SizeHint.PreferredSize):
            self._sizeHint[hint] = (0, height)
        self.updateGeometry()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        font = QtGui.QFont(self.item.font())
        font.setPointSizeF(TITLE_SIZE_PT)
        room = max(self.rect().width() - 8, 0)  # the text item's own margins
        shown = QtGui.QFontMetricsF(font).elidedText(self.full, QtCore.Qt.ElideRight, room)
        if shown != self.text and room > 0:
            self.setText(shown)  # calls this again, with the same room: ends there
            return
        super().resizeEvent(event)


def set_title(plot: pg.PlotItem, name: str) -> None:
    """Give `plot` an `ElidedTitle` reading `name`."""
    plot.layout.removeItem(plot.titleLabel)
    plot.titleLabel.setParentItem(None)  # a new plot: in no scene yet
    plot.titleLabel = ElidedTitle(name)
    plot.titleLabel.setParentItem(plot)
    plot.layout.addItem(plot.titleLabel, 0, 1)
    plot.setTitle(name)


class PlotGridMixin:
    """Mixed into `TrainingPlots`: the plots (made once, kept while their metric is shown)
    and their places; expects `view`, `plots`, `items`, `lr_log` and `_shown`, `_owners`."""

    def _rebuild(self, names: list[str]) -> None:
        """Add plots for new metrics and drop unused ones; existing plots are kept,
        because making a PlotItem (menus, axes) is what a new epoch's metric costs."""
        wanted = [*names, "learning rate"]
        for name in [n for n in self.plots if n not in wanted]:
            self._remove_plot(name)
        lr = self.plots.pop("learning rate", None)
        if lr is not None:
            self.view.removeItem(lr)
        for name in names:
            if name not in self.plots:
                self.plots[name] = self._new_plot(name)
        # In the names' order, which the redraw timer compares with: a metric logged
        # after the expected ones were placed must not leave the grid out of order.
        self.plots = {name: self.plots[name] for name in names}
        if lr is None:
            lr = self._new_plot("learning rate")
            lr.setLogMode(y=self.lr_log.isChecked())
            if self.lr_log.isChecked():  # empty, it spans 1e-4..1e-2, not 1..10 labelled 2, 5
                lr.setYRange(-4, -2, padding=0)
            self._lr_range = None
        self.plots["learning rate"] = lr
        self._place()

    def columns(self) -> int:
        """The column count that gives each plot the most room: side by side in a wide,
        short view (the Training tab under the canvas), one above the other in a tall one.
        A plot's room is the lesser of its width and `PLOT_ASPECT` times its height."""
        count = max(len(self.plots), 1)
        width, height = self.view.width(), self.view.height()

        def room(cols: int) -> float:
            return min(width / cols, PLOT_ASPECT * height / -(-count // cols))
        return max(range(1, count + 1), key=room)

    def _place(self) -> None:
        """Lay the plots out in `columns()` columns, in order; the x axes are linked, so only
        the bottom plot of each column shows (and pays to paint) a labelled epoch axis."""
        plots = list(self.plots.values())
        cols = self.columns()
        self._placed = cols
        for col in range(len(plots)):  # the plots of a row share its width equally
            self.view.ci.layout.setColumnStretchFactor(col, 1 if col < cols else 0)
        # Every plot out of its cell leaves first: one moved into a cell another still
        # held was laid over it (its order changed), and the grid broke on removal.
        moved = [index for index, plot in enumerate(plots)
                 if self.view.ci.getItem(*divmod(index, cols)) is not plot]
        for plot in [plots[i] for i in moved if plots[i] in self.view.ci.items]:
            self.view.removeItem(plot)
        for index in moved:
            row, col = divmod(index, cols)
            self.view.addItem(plots[index], row=row, col=col)
        for index, plot in enumerate(plots):
            if index + cols >= len(plots):  # nothing below it
                plot.showAxis("bottom")
                plot.setLabel("bottom", "epoch")
            else:
                plot.hideAxis("bottom")

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        if self.plots and self.columns() != getattr(self, "_placed", None):
            for plot in self.plots.values():  # re-placed from an empty layout
                self.view.removeItem(plot)
            self._place()

    def _new_plot(self, name: str) -> pg.PlotItem:
        plot = pg.PlotItem(axisItems={"left": ReadableAxis("left"),
                                        "bottom": EpochAxis("bottom")})
        set_title(plot, name)
        plot.setClipToView(True)
        plot.setDownsampling(auto=True, mode="peak")
        # No grid: its full-length lines made each repaint about three times as costly.
        # Placed off the curves (see `legend`); the dark box keeps the names readable over
        # a curve in a plot too short for a legend row (then a corner covers the fewest).
        plot.addLegend(offset=(-MARGIN, MARGIN), brush=pg.mkBrush(0, 0, 0, LEGEND_ALPHA),
                       labelTextSize=TEXT_SIZE, verSpacing=-4)
        if "loss" in self.plots:
            plot.setXLink(self.plots["loss"])
        plot.hideAxis("bottom")
        return plot

    def _remove_plot(self, name: str) -> None:
        plot = self.plots.pop(name)
        self.view.removeItem(plot)
        for key in [k for k, owner in self._owners.items() if owner == name]:
            item = self.items.pop(key)
            self._shown.pop(id(item), None)
            del self._owners[key]
