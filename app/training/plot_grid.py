"""The training plots' grid: one plot per metric and the learning rate, in as many
columns as give each plot the most room, their x axes linked."""

from __future__ import annotations

import os

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import pyqtgraph as pg  # noqa: E402  (the binding must be chosen first)

from .axes import ReadableAxis  # noqa: E402
from .legend import MARGIN  # noqa: E402

PLOT_ASPECT = 1.3  # width over height a plot needs before plots go side by side


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
        for index, plot in enumerate(plots):
            row, col = divmod(index, cols)
            if self.view.ci.getItem(row, col) is not plot:
                if plot in self.view.ci.items:
                    self.view.removeItem(plot)
                self.view.addItem(plot, row=row, col=col)
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
        plot = pg.PlotItem(title=name, axisItems={"left": ReadableAxis("left")})
        plot.setClipToView(True)
        plot.setDownsampling(auto=True, mode="peak")
        # No grid: its full-length lines made each repaint about three times as costly.
        plot.addLegend(offset=(-MARGIN, MARGIN))  # moved to the emptiest corner on redraws
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
