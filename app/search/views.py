"""The study's views: the trials table, overlaid curves, parameters vs metric, importances.

`TrialRecord`s hold what the events said of each trial; the views redraw from
them when the panel's timer finds something changed.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import pyqtgraph as pg  # noqa: E402  (the binding must be chosen first)
from PySide6 import QtCore, QtWidgets  # noqa: E402

from ..training.axes import EpochAxis, ReadableAxis  # noqa: E402

CURVE_COLOR, BEST_COLOR, FAILED_COLOR = "#7f8c9d", "#f5a142", "#ff4d4d"


@dataclass
class TrialRecord:
    """One trial as the window knows it."""

    number: int
    params: dict[str, Any] = field(default_factory=dict)
    state: str = "running"
    value: float | None = None
    message: str = ""
    duration_s: float | None = None
    curve: list[tuple[int, float]] = field(default_factory=list)
    # (epoch, batch, batches) where the trial's process said it holds paused; None when it
    # did not, or said it goes on (`pause_state`)
    held: tuple[int, int | None, int | None] | None = None

    def best_seen(self, maximize: bool) -> float | None:
        """The best epoch value so far (the final value for a complete trial)."""
        values = [v for _, v in self.curve if math.isfinite(v)]
        if not values:
            return self.value
        return max(values) if maximize else min(values)


def records_from(summaries) -> dict[int, TrialRecord]:
    """Records of trials as `runtime.search.study.trial_summary` gives them."""
    return {s["number"]: TrialRecord(s["number"], s["params"], s["state"], s["value"],
                                     s["message"], s["duration_s"],
                                     [(e, v) for e, v in s["curve"].items() if v is not None])
            for s in summaries}


def fold_events(records: dict[int, TrialRecord], events) -> dict[str, float] | None:
    """Fold a run's study events into `records`; the latest importances among them (None
    when none came)."""
    from kerascanvas.runtime.events import (
        Importances,
        TrialEnd,
        TrialEpoch,
        TrialPaused,
        TrialResumed,
        TrialStart,
        require_study,
    )

    importances = None
    for event in events:
        if isinstance(require_study(event), TrialStart):
            records[event.number] = TrialRecord(event.number, dict(event.params))
        elif isinstance(event, TrialEpoch):
            records.setdefault(event.number, TrialRecord(event.number)).curve.append(
                (event.epoch, event.value))
        elif isinstance(event, TrialPaused | TrialResumed):
            records.setdefault(event.number, TrialRecord(event.number)).held = (
                (event.epoch, event.batch, event.batches) if isinstance(event, TrialPaused)
                else None)
        elif isinstance(event, TrialEnd):
            record = records.setdefault(event.number, TrialRecord(event.number))
            for name in ("state", "value", "message", "duration_s"):
                setattr(record, name, getattr(event, name))
            record.params, record.held = dict(event.params) or record.params, None
        elif isinstance(event, Importances):
            importances = event.importances
    return importances


def best_record(records: dict[int, TrialRecord], maximize: bool) -> TrialRecord | None:
    done = [r for r in records.values() if r.state == "complete" and r.value is not None]
    if not done:
        return None
    return (max if maximize else min)(done, key=lambda r: r.value)


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


class TrialsTable(QtWidgets.QTableWidget):
    """#, state, best metric, final value, duration (less the time held paused), one
    column per parameter, then a note: why a trial failed or was pruned (it was a tooltip
    only), or where a paused trial holds."""

    FIXED = ("#", "state", "best", "value", "seconds")

    def __init__(self, parent=None):
        super().__init__(0, len(self.FIXED), parent)
        self.setObjectName("SearchTrials")
        self.setHorizontalHeaderLabels(list(self.FIXED))  # not Qt's 1, 2, 3 before a study
        self.setEditTriggers(QtWidgets.QAbstractItemView.NoEditTriggers)
        self.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectRows)
        self.verticalHeader().setVisible(False)
        self.keys: list[str] = []

    def show_records(self, records: dict[int, TrialRecord], keys: list[str],
                     maximize: bool, best: TrialRecord | None,
                     shown=lambda record: (record.state, record.message)) -> None:
        """One row per record; `shown(record)` gives its state and note cells."""
        self.keys = keys
        headers = [*self.FIXED, *keys, "note"]
        self.setColumnCount(len(headers))
        self.setHorizontalHeaderLabels(headers)
        self.setRowCount(len(records))
        for row, record in enumerate(sorted(records.values(), key=lambda r: r.number)):
            state, note = shown(record)
            cells = [record.number, state, record.best_seen(maximize), record.value,
                     record.duration_s, *(record.params.get(k) for k in keys), note]
            for column, value in enumerate(cells):
                item = QtWidgets.QTableWidgetItem(_text(value))
                if column in (1, len(cells) - 1) and note:  # the note's cell cuts it short
                    item.setToolTip(note)
                if best is not None and record.number == best.number:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.setItem(row, column, item)


class StudyPlots(QtWidgets.QTabWidget):
    """Curves of every trial (the best one highlighted), a parameter against the metric,
    and the parameter importances."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.curves = pg.PlotWidget(axisItems={"bottom": EpochAxis("bottom")})
        self.curves.setLabel("bottom", "epoch")
        # A log-scale parameter (the learning rate) labels 1, 2 and 5 times each power of ten
        # only: every minor tick's label crowded the top of each decade.
        self.scatter = pg.PlotWidget(axisItems={"bottom": ReadableAxis("bottom")})
        self.curves.getPlotItem().addLegend(offset=(-10, 10))
        self.param_box = QtWidgets.QComboBox()
        self.param_box.setObjectName("ScatterParam")
        self.param_box.currentIndexChanged.connect(self._on_param_box_changed)
        holder = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(holder)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.param_box)
        layout.addWidget(self.scatter)
        self.importance = pg.PlotWidget()
        self.importance.setLabel("bottom", "share of the metric's variance (fANOVA)")
        for plot in (self.curves, self.scatter, self.importance):
            for side in ("left", "bottom"):  # an accuracy of 0.7 is not "700 (x0.001)"
                plot.getAxis(side).enableAutoSIPrefix(False)
        self.addTab(self.curves, "Curves")
        self.addTab(holder, "Parameters")
        self.addTab(self.importance, "Importance")
        self._records: dict[int, TrialRecord] = {}
        self._metric, self._maximize, self._log_keys = "", True, set()
        self.curve_items: dict[int, pg.PlotDataItem] = {}
        self.scatter_item = pg.ScatterPlotItem(size=9, brush=CURVE_COLOR)
        self.scatter.addItem(self.scatter_item)
        self.best_number: int | None = None

    def set_study(self, metric: str, maximize: bool, keys: list[str], log_keys: set[str]):
        self._metric, self._maximize, self._log_keys = metric, maximize, set(log_keys)
        self.curves.clear()
        self.curve_items.clear()
        self.curves.setLabel("left", metric)
        self.scatter.setLabel("left", metric)
        with QtCore.QSignalBlocker(self.param_box):
            self.param_box.clear()
            self.param_box.addItems(keys)
        self.importance.clear()

    def redraw(self, records: dict[int, TrialRecord]) -> None:
        self._records = records
        best = best_record(records, self._maximize)
        self.best_number = best.number if best else None
        for number, record in records.items():
            item = self.curve_items.get(number)
            if item is None:
                item = self.curve_items[number] = self.curves.plot([], [])
            x = np.array([e + 1 for e, _ in record.curve], dtype=np.float64)
            y = np.array([v for _, v in record.curve], dtype=np.float64)
            pen = self._pen(record, number == self.best_number)
            # Marks at each epoch: a trial with one epoch so far is a point, not nothing.
            item.setData(x, y, connect="finite", symbol="o", symbolSize=5,
                         symbolBrush=pen.color(), symbolPen=None)
            item.setPen(pen)
            item.setZValue(10 if number == self.best_number else 0)
        self._draw_scatter()

    def _pen(self, record: TrialRecord, best: bool):
        if best:
            return pg.mkPen(BEST_COLOR, width=3)
        color = FAILED_COLOR if record.state == "failed" else CURVE_COLOR
        return pg.mkPen(color, width=1, style=QtCore.Qt.DashLine if record.state == "pruned"
                        else QtCore.Qt.SolidLine)

    def _on_param_box_changed(self, _index: int) -> None:
        self._draw_scatter()

    def _draw_scatter(self) -> None:
        key = self.param_box.currentText()
        points = [(r.params.get(key), r.value, r.number) for r in self._records.values()
                  if r.value is not None and isinstance(r.params.get(key), int | float)]
        log = key in self._log_keys
        self.scatter.setLogMode(x=log, y=False)
        self.scatter.setLabel("bottom", key)
        spots = [{"pos": (math.log10(x) if log and x > 0 else x, y), "data": n,
                  "brush": BEST_COLOR if n == self.best_number else CURVE_COLOR}
                 for x, y, n in points if not log or x > 0]
        self.scatter_item.setData(spots)

    def show_importances(self, importances: dict[str, float]) -> None:
        self.importance.clear()
        if not importances:
            return
        names = list(importances)
        bars = pg.BarGraphItem(x0=0, y=np.arange(len(names)), height=0.6,
                               width=[importances[n] for n in names], brush=BEST_COLOR)
        self.importance.addItem(bars)
        self.importance.getAxis("left").setTicks([list(enumerate(names))])
