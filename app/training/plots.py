"""Live training curves: pyqtgraph plots redrawn from a timer, never per event.

`TrainingPlots` draws the current run's `RunCurves` (see `curves`) and any
overlaid earlier runs, laid out by `PlotGridMixin` (see `plot_grid`), the learning
rate's axis fitted by `LearningRateAxisMixin` (see `lr_plot`). A 10 Hz
timer compares each run's `version` with the one last drawn, while the plots are
visible; each changed curve gets one `setData` of its whole buffers. NaN values stay in
the buffers (the finite check breaks the line there) and each NaN loss is marked
with a red cross and a red "NaN loss at epoch e, batch b" note (`nan_marks`). An epoch
a NaN loss dropped is not drawn, but for its cross (`RunCurves.drawn`): its huge values
would set the axes, not the epochs the run kept.
"""

from __future__ import annotations

import os

import numpy as np

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import pyqtgraph as pg  # noqa: E402  (the binding must be chosen first)
from PySide6 import QtCore, QtWidgets  # noqa: E402

from .curves import RunCurves, Series  # noqa: E402
from .legend import place_legend  # noqa: E402
from .lr_plot import LR_PLOT, LearningRateAxisMixin, step_points  # noqa: E402
from .nan_marks import NAN_MARK_SIZE, NanMarksMixin  # noqa: E402
from .plot_grid import PlotGridMixin  # noqa: E402

__all__ = ["RunCurves", "Series", "TrainingPlots", "step_points"]

REDRAW_HZ = 10
TRAIN_COLOR, VAL_COLOR, BATCH_COLOR = "#4f9cf9", "#f5a142", "#7fa7d9"
OVERLAY_COLORS = ("#66c2a5", "#e78ac3", "#a6d854", "#ffd92f", "#b3b3b3", "#8da0cb")
# Room (pixels) left of epoch 0 and right of the last epoch: the widest mark drawn at the
# last epoch (a NaN cross) stays whole; a share of the width alone left 4 px on a narrow
# dock, and the marks there were cut in half.
EDGE_PX = NAN_MARK_SIZE // 2 + 5


def _plot_item(plot: pg.PlotItem, color: str, width: float = 2.0, dashed: bool = False,
               name: str | None = None) -> pg.PlotDataItem:
    style = QtCore.Qt.DashLine if dashed else QtCore.Qt.SolidLine
    # connect="finite": a NaN breaks the line instead of hiding the whole curve.
    item = pg.PlotDataItem(pen=pg.mkPen(color, width=width, style=style), name=name,
                           connect="finite", symbol="o" if width > 1 else None, symbolSize=4,
                           symbolBrush=color, symbolPen=None)
    plot.addItem(item)
    return item


class TrainingPlots(PlotGridMixin, LearningRateAxisMixin, NanMarksMixin,
                    QtWidgets.QWidget):
    """Loss (per batch and per epoch), one plot per metric, and the learning rate."""

    def __init__(self, parent=None, rate_hz: float = REDRAW_HZ):
        super().__init__(parent)
        self.view = pg.GraphicsLayoutWidget()
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self._make_lr_toggle())
        self.plots: dict[str, pg.PlotItem] = {}
        self.items: dict[tuple[str, str], pg.PlotDataItem] = {}
        self.current: RunCurves | None = None
        self.current_label = ""
        self.overlays: list[tuple[str, RunCurves, str]] = []
        self.redraw_count = 0
        self._drawn: tuple | None = None
        self._touched: set[tuple[str, str]] = set()
        # What each item shows, as (series id, length): unchanged items are not touched,
        # so only the plots that grew are repainted (painting dominates the GUI's time).
        self._shown: dict[int, tuple] = {}
        self._init_nan_marks()
        self._x_extent: tuple | None = None
        self._planned = 1  # the epochs the settings train: the span of plots with no epoch
        self._fresh_axes = False
        self._owners: dict[tuple[str, str], str] = {}
        self.timer = QtCore.QTimer(self)
        self.timer.setInterval(int(1000 / rate_hz))
        self.timer.timeout.connect(self._on_timer_timeout)
        self.timer.start()

    # ---- what to show ---------------------------------------------------
    def show_run(self, curves: RunCurves | None, label: str = "") -> None:
        """Draw `curves` as the current run (at the next timer tick), named `label` in the
        legends beside earlier runs. Another run starts from clean axes: the previous
        run's ranges would hold until its first data."""
        self._fresh_axes = self._fresh_axes or curves is not self.current
        self.current, self.current_label = curves, label
        self._drawn = None

    def set_planned_epochs(self, epochs: int) -> None:
        """The epochs the settings train: plots with no epoch yet span 0 .. `epochs`,
        ticked in whole epochs (their bare 0 .. 1 showed no tick label at all)."""
        self._planned = max(int(epochs), 1)
        self._fix_x_range()

    def _reset_ranges(self) -> None:
        """Empty plots with a fresh plot's axes, fitted to the data drawn next (an autorange
        over the previous run's data would keep its ranges until the new one's came)."""
        self._fresh_axes, self._x_extent = False, None
        self._pinned_y.clear()
        for item in self.items.values():
            item.setData([], [])
        self._shown.clear()
        for name, plot in self.plots.items():
            if name == LR_PLOT:
                self._reset_lr_range(plot)
            else:
                plot.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
            plot.enableAutoRange()

    def set_overlays(self, runs: list[tuple[str, RunCurves]]) -> None:
        """Earlier runs to draw under the current one, each as (label, curves)."""
        self.overlays = [(label, curves, OVERLAY_COLORS[i % len(OVERLAY_COLORS)])
                         for i, (label, curves) in enumerate(runs)]
        self._drawn = None

    # ---- drawing ------------------------------------------------------------
    def _state(self) -> tuple:
        runs = [self.current, *(c for _, c, _ in self.overlays)]
        return tuple((id(c), c.version) for c in runs if c is not None)

    def _on_timer_timeout(self) -> None:
        # Hidden (another tab raised, say, while a project's runs arrive): nothing is drawn
        # until the plots are shown, since building and painting them takes the GUI thread.
        # (A dock behind another tab counts as visible: its region on screen is empty.)
        if self.visibleRegion().isEmpty() or self._state() == self._drawn:
            return
        names = self._metric_names()
        if list(self.plots) != [*names, LR_PLOT]:
            # One new plot a tick, then the curves: short waits rather than one long one.
            missing = [n for n in names if n not in self.plots][:1]
            self._rebuild([n for n in names if n in self.plots or n in missing])
            return
        self.redraw()

    def redraw(self) -> None:
        """Push every buffer to its plot item now."""
        self._drawn = self._state()
        self.redraw_count += 1
        names = self._metric_names()
        if list(self.plots) != [*names, LR_PLOT]:
            self._rebuild(names)
        if self._fresh_axes:
            self._reset_ranges()
        self._touched: set[tuple[str, str]] = set()
        for label, curves, color in self.overlays:
            self._draw_run(label, curves, color, color, overlay=True)
        if self.current is not None:  # named beside earlier runs only
            shown = self.current_label if self.overlays else ""
            self._draw_run("", self.current, TRAIN_COLOR, VAL_COLOR, overlay=False,
                           shown=shown)
        self._draw_nan(self.current)
        self._frame_flat_plots()
        for key, item in self.items.items():
            if key not in self._touched and self._shown.pop(id(item), None) is not None:
                item.setData([], [])
        self._fix_x_range()
        self._sync_legends()
        self._place_legends()

    def _sync_legends(self) -> None:
        """Legends name the curves drawn, in plots drawing two or more (a lone curve is
        named by its title): not those of a previous run or of an overlay unchecked, whose
        items stay (empty) for reuse."""
        drawn = {key: item.xData is not None and len(item.xData) > 0
                 for key, item in self.items.items()}
        counts: dict[str, int] = {}
        for key, shown in drawn.items():
            counts[self._owners[key]] = counts.get(self._owners[key], 0) + shown
        for key, item in self.items.items():
            legend, name = self.plots[self._owners[key]].legend, item.name()
            if legend is None or not name:
                continue
            label = legend.getLabel(item)
            listed = drawn[key] and counts[self._owners[key]] > 1
            if label is not None and (not listed or label.text != name):  # renamed: anew
                legend.removeItem(item)
                label = None
            if listed and label is None:
                legend.addItem(item, name)

    def _place_legends(self) -> None:
        """Place each legend again when its names, the epochs or the points drawn in its
        plot changed: the loss plot's as its batches are drawn (at most once a redraw, 10
        a second), not only at the epoch's end, so a batch loss climbing into the legend's
        corner does not run under it for the rest of the epoch."""
        runs = [self.current, *(c for _, c, _ in self.overlays)]
        epochs = tuple((id(c), len(c.epochs.get("loss", ()))) for c in runs if c is not None)
        for plot in self.plots.values():
            points = tuple(0 if item.xData is None else len(item.xData)
                           for item in plot.listDataItems())
            key = (epochs, points, tuple(label.text for _, label in plot.legend.items))
            if getattr(plot, "legend_key", None) != key:
                plot.legend_key = key
                place_legend(plot)

    def _fix_x_range(self, *_) -> None:
        """Fix the epoch axis to the runs' last epoch (with no run, to the epochs planned),
        with `EDGE_PX` of room at each end (again when the plot's width changes, unless
        the user moved the view), or autorange while no last epoch is known."""
        if "loss" not in self.plots:
            return
        runs = [c for c in (self.current, *(c for _, c, _ in self.overlays)) if c is not None]
        ends = [c.last_epoch for c in runs if c.last_epoch]
        loss = self.plots["loss"]
        # Plots in other columns copy the loss plot's range: the narrowest sets the room.
        width = min(plot.getViewBox().width() for plot in self.plots.values())
        last = max(ends) if ends else None if runs else self._planned
        extent = (0.0, float(last)) if last else None
        previous = self._x_extent
        if previous is not None and extent == previous[0]:
            if extent is None or width == previous[1] or not self._x_range_is_ours(loss):
                return
        self._x_extent = (extent, width)
        if extent is None:
            loss.enableAutoRange(x=True)
            return
        # setXRange pads each side by `padding` times the span: EDGE_PX of the width
        # is left once the span is widened by 2 * padding.
        share = EDGE_PX / width if width > 4 * EDGE_PX else 0.0
        loss.setXRange(*extent, padding=max(share / (1 - 2 * share), 0.02))
        self._x_set = tuple(loss.viewRange()[0])

    def _x_range_is_ours(self, loss: pg.PlotItem) -> bool:
        """Whether the epoch axis still shows the range `_fix_x_range` set (not a zoom)."""
        shown = getattr(self, "_x_set", None)
        return shown is not None and np.allclose(loss.viewRange()[0], shown)

    def _new_plot(self, name: str) -> pg.PlotItem:
        plot = super()._new_plot(name)
        # The room at the ends is in pixels: kept when a plot's width changes.
        plot.getViewBox().sigResized.connect(self._fix_x_range)
        plot.getViewBox().sigResized.connect(lambda *_: place_legend(plot))
        return plot

    def _metric_names(self) -> list[str]:
        names = ["loss"]
        for curves in [self.current, *(c for _, c, _ in self.overlays)]:
            if curves is not None:
                names += [n for n in curves.metric_names() if n not in names]
        return names

    def _item(self, key: tuple[str, str], plot: str, color: str, width=2.0, dashed=False,
              name=None) -> pg.PlotDataItem:
        if key not in self.items:
            self.items[key] = _plot_item(self.plots[plot], color, width, dashed, name)
            self._owners[key] = plot
        elif name is not None and self.items[key].name() != name:
            self.items[key].opts["name"] = name  # the legend follows in `_sync_legends`
        self._touched.add(key)
        return self.items[key]

    def _draw_run(self, label: str, curves: RunCurves, train: str, val: str,
                  overlay: bool, shown: str = "") -> None:
        """Draw one run's curves, keyed by `label` and named by it (or by `shown`)."""
        named = label or shown
        prefix = f"{named} " if named else ""
        if not overlay:
            batch = self._item((label, "batch"), "loss", BATCH_COLOR, 1.0,
                               name=f"{prefix}batch loss")
            self._push(batch, curves.drawn(curves.batch_loss))
        for name, series in curves.epochs.items():
            base = name[4:] if name.startswith("val_") else name
            is_val = name.startswith("val_")
            item = self._item((label, name), base, val if is_val else train, 2.0,
                              dashed=overlay and is_val,
                              name=f"{prefix}{'validation' if is_val else 'train'}")
            self._push(item, curves.drawn(series))  # a NaN-dropped epoch: not drawn
        rates = curves.lr_shown()
        if len(rates):
            lr = self._item((label, "lr"), LR_PLOT, train, 2.0,
                            name=named or LR_PLOT)
            if lr.opts["symbol"] is not None:  # steps mark the epochs; dots would double
                lr.setSymbol(None)
            self._push(lr, rates, steps=True)
            if not overlay:
                self._scale_lr(rates.y)

    def _push(self, item: pg.PlotDataItem, series: Series, steps: bool = False) -> None:
        state = (id(series), len(series))
        if self._shown.get(id(item)) != state:
            self._shown[id(item)] = state
            item.setData(*(step_points(series.x, series.y) if steps else (series.x, series.y)))
