"""Live training curves: numpy buffers filled per event, pyqtgraph redrawn from a timer.

`RunCurves` holds one run's numbers (no Qt): the per-batch loss, the per-epoch
logs (train and `val_` names) and the learning rate, each as float64 arrays
that grow by doubling. `TrainingPlots` draws the current run and any overlaid
earlier runs. It never redraws per event: a 15 Hz timer compares each run's
`version` with the one last drawn. NaN values stay in the buffers (the finite
check breaks the line there) and each NaN loss is marked with a red cross and
a red "NaN loss at epoch e, batch b" note.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping

import numpy as np

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import pyqtgraph as pg  # noqa: E402  (the binding must be chosen first)
from PySide6 import QtCore, QtWidgets  # noqa: E402

from .axes import ReadableAxis  # noqa: E402
from .legend import MARGIN, place_legend  # noqa: E402

REDRAW_HZ = 10
TRAIN_COLOR, VAL_COLOR, BATCH_COLOR, NAN_COLOR = "#4f9cf9", "#f5a142", "#7fa7d9", "#ff4d4d"
OVERLAY_COLORS = ("#66c2a5", "#e78ac3", "#a6d854", "#ffd92f", "#b3b3b3", "#8da0cb")


class Series:
    """Growable float64 (x, y) arrays; `x` and `y` are views of the filled part."""

    def __init__(self, capacity: int = 256):
        self._x = np.empty(capacity, dtype=np.float64)
        self._y = np.empty(capacity, dtype=np.float64)
        self._n = 0

    def append(self, x: float, y: float) -> None:
        if self._n == len(self._x):
            self._x = np.resize(self._x, 2 * self._n)
            self._y = np.resize(self._y, 2 * self._n)
        self._x[self._n], self._y[self._n] = x, y
        self._n += 1

    def __len__(self) -> int:
        return self._n

    @property
    def x(self) -> np.ndarray:
        return self._x[:self._n]

    @property
    def y(self) -> np.ndarray:
        return self._y[:self._n]

    def copy(self, until: float = math.inf) -> Series:
        """A copy of the points up to x = `until`."""
        n = int(np.searchsorted(self.x, until, side="right")) if until < math.inf else self._n
        other = Series(max(len(self._x), 1))
        other._x[:n], other._y[:n], other._n = self._x[:n], self._y[:n], n
        return other


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


class RunCurves:
    """The curves of one run. x counts epochs: batch b of epoch e is at e + (b + 1) / steps."""

    def __init__(self):
        self.batch_loss = Series()
        self.epochs: dict[str, Series] = {}
        self.lr = Series()
        self.nan_notes: list[tuple[float, float, str]] = []
        self.version = 0
        # The run's last epoch, once known: the x axis is fixed to it, so a growing
        # curve does not rescale (and repaint) every linked plot on each redraw.
        self.last_epoch: int | None = None
        # Metric names expected from the settings: their plots are made before the
        # first epoch ends, not in the middle of training.
        self.expected: list[str] = []

    def add_batch(self, epoch: int, batch: int, steps: int | None, loss) -> None:
        """One running-mean loss; a NaN adds a note naming epoch and batch (1-based)."""
        x = epoch + (batch + 1) / steps if steps else epoch + 1.0
        value = _number(loss)
        previous = self.batch_loss.y[-1] if len(self.batch_loss) else 0.0
        # Running means stay NaN once hit: note where a stretch of NaN begins.
        if not math.isfinite(value) and math.isfinite(previous):
            self._note(x, self.batch_loss, f"NaN loss at epoch {epoch + 1}, batch {batch + 1}")
        self.batch_loss.append(x, value)
        self.version += 1

    def add_epoch(self, epoch: int, logs: Mapping[str, object], lr=None) -> None:
        """The logs of a finished epoch (0-based `epoch`), drawn at x = epoch + 1."""
        x = epoch + 1.0
        for name, value in logs.items():
            self.epochs.setdefault(name, Series()).append(x, _number(value))
        loss = _number(logs.get("loss", 0.0))
        if not math.isfinite(loss) and not any(n[0] >= epoch and n[0] <= x
                                                for n in self.nan_notes):
            self._note(x, self.epochs["loss"], f"NaN loss at epoch {epoch + 1}")
        if lr is not None:
            self.lr.append(x, _number(lr))
        self.version += 1

    def _note(self, x: float, series: Series, text: str) -> None:
        finite = series.y[np.isfinite(series.y)]
        self.nan_notes.append((x, float(finite[-1]) if len(finite) else 0.0, text))

    def metric_names(self) -> list[str]:
        """Base metric names ("loss" first), each drawn with its `val_` twin."""
        names = {n[4:] if n.startswith("val_") else n for n in self.epochs}
        names.update(["loss", *self.expected])
        return ["loss", *sorted(names - {"loss"})]

    def last_epoch_logs(self) -> dict[str, float]:
        return {name: float(s.y[-1]) for name, s in self.epochs.items() if len(s)}

    def copy(self, until: float = math.inf) -> RunCurves:
        """A copy; with `until`, the batch losses past that epoch are left out (those of
        an epoch a stop cut short, which a continued run trains again)."""
        other = RunCurves()
        other.batch_loss, other.lr = self.batch_loss.copy(until), self.lr.copy()
        other.epochs = {k: s.copy() for k, s in self.epochs.items()}
        other.nan_notes, other.version = list(self.nan_notes), self.version
        other.last_epoch, other.expected = self.last_epoch, list(self.expected)
        return other


def _plot_item(plot: pg.PlotItem, color: str, width: float = 2.0, dashed: bool = False,
               name: str | None = None) -> pg.PlotDataItem:
    style = QtCore.Qt.DashLine if dashed else QtCore.Qt.SolidLine
    # connect="finite": a NaN breaks the line instead of hiding the whole curve.
    item = pg.PlotDataItem(pen=pg.mkPen(color, width=width, style=style), name=name,
                           connect="finite", symbol="o" if width > 1 else None, symbolSize=4,
                           symbolBrush=color, symbolPen=None)
    plot.addItem(item)
    return item


PLOT_ASPECT = 1.3  # width over height a plot needs before plots go side by side


class TrainingPlots(QtWidgets.QWidget):
    """Loss (per batch and per epoch), one plot per metric, and the learning rate."""

    def __init__(self, parent=None, rate_hz: float = REDRAW_HZ):
        super().__init__(parent)
        self.view = pg.GraphicsLayoutWidget()
        # Learning rates span decades (1e-5 .. 1e-1): a log axis shows them, and a linear
        # one is scaled to the values (a constant 0.003 is not drawn as 0 on a ±0.4 axis).
        self.lr_log = QtWidgets.QCheckBox("Learning rate on a log scale")
        self.lr_log.setChecked(True)
        self.lr_log.toggled.connect(self._on_lr_log_toggled)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.lr_log)
        self.plots: dict[str, pg.PlotItem] = {}
        self.items: dict[tuple[str, str], pg.PlotDataItem] = {}
        self.nan_texts: list[pg.TextItem] = []
        self.current: RunCurves | None = None
        self.overlays: list[tuple[str, RunCurves, str]] = []
        self.redraw_count = 0
        self._drawn: tuple | None = None
        self._touched: set[tuple[str, str]] = set()
        # What each item shows, as (series id, length): unchanged items are not touched,
        # so only the plots that grew are repainted (painting dominates the GUI's time).
        self._shown: dict[int, tuple] = {}
        self._notes_shown: tuple | None = None
        self._x_extent: tuple | None = None
        self._fresh_axes = False
        self._owners: dict[tuple[str, str], str] = {}
        self.timer = QtCore.QTimer(self)
        self.timer.setInterval(int(1000 / rate_hz))
        self.timer.timeout.connect(self._on_timer_timeout)
        self.timer.start()

    # ---- what to show ---------------------------------------------------
    def show_run(self, curves: RunCurves | None) -> None:
        """Draw `curves` as the current run (at the next timer tick). Another run starts
        from clean axes: the previous run's ranges would hold until its first data."""
        self._fresh_axes = self._fresh_axes or curves is not self.current
        self.current = curves
        self._drawn = None

    def _reset_ranges(self) -> None:
        """Empty plots with a fresh plot's axes, fitted to the data drawn next (an autorange
        over the previous run's data would keep its ranges until the new one's came)."""
        self._fresh_axes, self._x_extent, self._lr_range = False, None, None
        for item in self.items.values():
            item.setData([], [])
        self._shown.clear()
        for name, plot in self.plots.items():
            if name != "learning rate" or not self.lr_log.isChecked():
                plot.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
            else:  # a log axis's range is in decades
                plot.setRange(xRange=(0, 1), yRange=(-4, -2), padding=0)
            plot.enableAutoRange()

    def set_overlays(self, runs: list[tuple[str, RunCurves]]) -> None:
        """Earlier runs to draw under the current one, each as (label, curves)."""
        self.overlays = [(label, curves, OVERLAY_COLORS[i % len(OVERLAY_COLORS)])
                         for i, (label, curves) in enumerate(runs)]
        self._drawn = None

    @property
    def nan_notes(self) -> list[str]:
        """The NaN notes shown now."""
        return [t.textItem.toPlainText() for t in self.nan_texts]

    # ---- drawing ------------------------------------------------------------
    def _state(self) -> tuple:
        runs = [self.current, *(c for _, c, _ in self.overlays)]
        return tuple((id(c), c.version) for c in runs if c is not None)

    def _on_timer_timeout(self) -> None:
        if self._state() != self._drawn:
            self.redraw()

    def redraw(self) -> None:
        """Push every buffer to its plot item now."""
        self._drawn = self._state()
        self.redraw_count += 1
        names = self._metric_names()
        if list(self.plots) != [*names, "learning rate"]:
            self._rebuild(names)
        if self._fresh_axes:
            self._reset_ranges()
        self._touched: set[tuple[str, str]] = set()
        for label, curves, color in self.overlays:
            self._draw_run(label, curves, color, color, overlay=True)
        if self.current is not None:
            self._draw_run("", self.current, TRAIN_COLOR, VAL_COLOR, overlay=False)
        self._draw_nan(self.current)
        for key, item in self.items.items():
            if key not in self._touched and self._shown.pop(id(item), None) is not None:
                item.setData([], [])
        self._fix_x_range()
        self._sync_legends()
        for plot in self.plots.values():
            place_legend(plot)

    def _sync_legends(self) -> None:
        """Legends name the curves drawn: not those of a previous run or of an overlay
        unchecked, whose items stay (empty) for reuse."""
        for key, item in self.items.items():
            legend, name = self.plots[self._owners[key]].legend, item.name()
            if legend is None or not name:
                continue
            listed = legend.getLabel(item) is not None
            drawn = item.xData is not None and len(item.xData) > 0
            if listed and not drawn:
                legend.removeItem(item)
            elif drawn and not listed:
                legend.addItem(item, name)

    def _fix_x_range(self) -> None:
        runs = [self.current, *(c for _, c, _ in self.overlays)]
        ends = [c.last_epoch for c in runs if c is not None and c.last_epoch]
        extent = (0.0, float(max(ends))) if ends else None
        if extent == self._x_extent:
            return
        self._x_extent = extent
        loss = self.plots["loss"]
        if extent is None:
            loss.enableAutoRange(x=True)
        else:
            loss.setXRange(*extent, padding=0.02)

    def _metric_names(self) -> list[str]:
        names = ["loss"]
        for curves in [self.current, *(c for _, c, _ in self.overlays)]:
            if curves is not None:
                names += [n for n in curves.metric_names() if n not in names]
        return names

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

    def _item(self, key: tuple[str, str], plot: str, color: str, width=2.0, dashed=False,
              name=None) -> pg.PlotDataItem:
        if key not in self.items:
            self.items[key] = _plot_item(self.plots[plot], color, width, dashed, name)
            self._owners[key] = plot
        self._touched.add(key)
        return self.items[key]

    def _draw_run(self, label: str, curves: RunCurves, train: str, val: str,
                  overlay: bool) -> None:
        prefix = f"{label} " if label else ""
        if not overlay:
            batch = self._item((label, "batch"), "loss", BATCH_COLOR, 1.0, name="batch loss")
            self._push(batch, curves.batch_loss)
        for name, series in curves.epochs.items():
            base = name[4:] if name.startswith("val_") else name
            is_val = name.startswith("val_")
            item = self._item((label, name), base, val if is_val else train, 2.0,
                              dashed=overlay and is_val,
                              name=f"{prefix}{'validation' if is_val else 'train'}")
            self._push(item, series)
        if len(curves.lr):
            lr = self._item((label, "lr"), "learning rate", train, 2.0,
                            name=label or "learning rate")
            self._push(lr, curves.lr)
            if not overlay:
                self._scale_lr(curves.lr.y)

    def _on_lr_log_toggled(self, on: bool) -> None:
        if "learning rate" in self.plots:
            self.plots["learning rate"].setLogMode(y=on)
        self._lr_range = None
        if self.current is not None and len(self.current.lr):
            self._scale_lr(self.current.lr.y)

    def _scale_lr(self, values: np.ndarray) -> None:
        """Fit the learning-rate axis to the values, with room when they are constant."""
        finite = values[np.isfinite(values) & (values > 0)] if self.lr_log.isChecked() \
            else values[np.isfinite(values)]
        if not len(finite):
            return
        low, high = float(finite.min()), float(finite.max())
        if self.lr_log.isChecked():
            low, high = np.log10(low) - 0.3, np.log10(high) + 0.3  # half a decade around
        else:
            pad = (high - low) * 0.1 or abs(high) * 0.5 or 1.0
            low, high = low - pad, high + pad
        if getattr(self, "_lr_range", None) != (low, high):
            self._lr_range = (low, high)
            self.plots["learning rate"].setYRange(low, high, padding=0)

    def lr_axis_range(self) -> tuple[float, float]:
        """The learning-rate values at the bottom and top of its axis (not logarithms)."""
        low, high = self.plots["learning rate"].viewRange()[1]
        return (10 ** low, 10 ** high) if self.lr_log.isChecked() else (low, high)

    def _push(self, item: pg.PlotDataItem, series: Series) -> None:
        state = (id(series), len(series))
        if self._shown.get(id(item)) != state:
            self._shown[id(item)] = state
            item.setData(series.x, series.y)

    def _draw_nan(self, curves: RunCurves | None) -> None:
        notes = tuple(curves.nan_notes) if curves is not None else ()
        key = ("", "nan")
        if key in self.items and notes == self._notes_shown:
            self._touched.add(key)
            return
        self._notes_shown = notes
        plot = self.plots["loss"]
        for text in self.nan_texts:
            plot.removeItem(text)
        self.nan_texts = []
        marks = self._item(key, "loss", NAN_COLOR, 0.0)
        marks.setPen(None)
        marks.setSymbol("x")
        marks.setSymbolSize(14)
        marks.setSymbolBrush(NAN_COLOR)
        marks.setSymbolPen(pg.mkPen(NAN_COLOR, width=2))
        marks.setData([n[0] for n in notes], [n[1] for n in notes])
        for x, y, message in notes[:5]:
            text = pg.TextItem(message, color=NAN_COLOR, anchor=(0, 1))
            text.setPos(x, y)
            plot.addItem(text)
            self.nan_texts.append(text)
