"""The learning-rate plot of the training plots: drawn as steps, on a log or linear axis.

A rate is set for a whole epoch, so each logged value is drawn flat over its epoch
(`step_points`). Rates span decades (1e-5 .. 1e-1): a log axis shows them, and a linear
one is scaled to the values (a constant 0.003 is not drawn as 0 on a ±0.4 axis). The
axis is fitted to the current run's rates with half a decade of room
(`LearningRateAxisMixin`).
"""

from __future__ import annotations

import os

import numpy as np

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from PySide6 import QtWidgets  # noqa: E402  (the binding must be chosen first)

LR_PLOT = "learning rate"  # the plot's name, last in the grid


def step_points(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points drawing each value as held over its epoch: the value logged at x = e + 1
    runs flat from e to e + 1 and changes upright at the boundary (a rate set for an
    epoch does not slide into it)."""
    if not len(x):
        return x, y
    starts = np.concatenate(([x[0] - 1.0], x[:-1]))
    return np.column_stack((starts, x)).ravel(), np.repeat(y, 2)


class LearningRateAxisMixin:
    """Mixed into `TrainingPlots`: the log-scale switch under the plots and the fitting of
    the learning-rate axis; expects `plots` and `current` (the run drawn)."""

    def _make_lr_toggle(self) -> QtWidgets.QCheckBox:
        self._lr_range: tuple[float, float] | None = None
        self.lr_log = QtWidgets.QCheckBox("Learning rate on a log scale")
        self.lr_log.setChecked(True)
        self.lr_log.toggled.connect(self._on_lr_log_toggled)
        return self.lr_log

    def _on_lr_log_toggled(self, on: bool) -> None:
        if LR_PLOT in self.plots:
            self.plots[LR_PLOT].setLogMode(y=on)
        self._lr_range = None
        if self.current is not None and len(self.current.lr_shown()):
            self._scale_lr(self.current.lr_shown().y)

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
        if self._lr_range != (low, high):
            self._lr_range = (low, high)
            self.plots[LR_PLOT].setYRange(low, high, padding=0)

    def _reset_lr_range(self, plot) -> None:
        """An empty learning-rate plot's axis: 1e-4 .. 1e-2 on a log scale (its range is
        in decades), 0 .. 1 on a linear one."""
        self._lr_range = None
        low, high = (-4, -2) if self.lr_log.isChecked() else (0, 1)
        plot.setRange(xRange=(0, 1), yRange=(low, high), padding=0)

    def lr_axis_range(self) -> tuple[float, float]:
        """The learning-rate values at the bottom and top of its axis (not logarithms)."""
        low, high = self.plots[LR_PLOT].viewRange()[1]
        return (10 ** low, 10 ** high) if self.lr_log.isChecked() else (low, high)
