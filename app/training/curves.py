"""One run's numbers for the live plots, without Qt.

`RunCurves` holds the batch loss (the mean of the batches between two reads, not
Keras' running mean since the epoch began), the per-epoch logs (train and `val_` names)
and the learning rate, each as a `Series` of float64 arrays that grow by doubling.
NaN values stay in the buffers; each NaN loss adds a note ("NaN loss at epoch e,
batch b") that the plots mark.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np


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

    @classmethod
    def of(cls, x, y) -> Series:
        """A series of these points, copied in one step (a saved run's thousands of batch
        losses took seconds point by point).

        Raises:
            ValueError: `x` and `y` differ in length.
        """
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        if x.shape != y.shape or x.ndim != 1:
            raise ValueError(f"A series needs as many x as y values in one row. "
                             f"Received x of shape {x.shape} and y of shape {y.shape}")
        series = cls(max(len(x), 1))
        series._x[:len(x)], series._y[:len(x)], series._n = x, y, len(x)
        return series

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
        # The rate of the epoch in progress, from its batches: (its end, rate). Drawn held
        # over that epoch until the epoch's own logged rate replaces it, so the plot shows
        # the rate from the first batch on, not after a first epoch that may take hours.
        self.lr_now: tuple[float, float] | None = None
        self._lr_drawn: tuple[tuple, Series] | None = None
        self.nan_notes: list[tuple[float, float, str]] = []
        self.version = 0
        # The run's last epoch, once known: the x axis is fixed to it, so a growing
        # curve does not rescale (and repaint) every linked plot on each redraw.
        self.last_epoch: int | None = None
        # Metric names expected from the settings: their plots are made before the
        # first epoch ends, not in the middle of training.
        self.expected: list[str] = []

    def add_batch(self, epoch: int, batch: int, steps: int | None, loss, lr=None) -> None:
        """The mean loss of the batches since the previous point (up to `batch`); a NaN
        adds a note naming epoch and batch (1-based). `lr`: the rate now, held over the
        epoch in `lr_shown` until the epoch's logs come."""
        rate = _number(lr)
        if math.isfinite(rate):
            self.lr_now = (epoch + 1.0, rate)
        x = epoch + (batch + 1) / steps if steps else epoch + 1.0
        value = _number(loss)
        previous = self.batch_loss.y[-1] if len(self.batch_loss) else 0.0
        # A NaN batch leaves the epoch's running mean, and so every later point, NaN:
        # note where a stretch of NaN begins.
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
        if self.lr_now is not None and self.lr_now[0] <= x:
            self.lr_now = None
        self.version += 1

    def lr_shown(self) -> Series:
        """The rates to draw: those logged at each epoch's end, then the rate of the epoch
        in progress (`lr_now`) when no rate is logged for it yet."""
        now = self.lr_now
        if now is None or (len(self.lr) and self.lr.x[-1] >= now[0]):
            return self.lr
        key = (len(self.lr), now)
        if self._lr_drawn is None or self._lr_drawn[0] != key:
            shown = self.lr.copy()
            shown.append(*now)
            self._lr_drawn = (key, shown)
        return self._lr_drawn[1]

    def _note(self, x: float, series: Series, text: str) -> None:
        finite = series.y[np.isfinite(series.y)]
        self.nan_notes.append((x, float(finite[-1]) if len(finite) else 0.0, text))

    def metric_names(self) -> list[str]:
        """Base metric names ("loss" first), each drawn with its `val_` twin."""
        names = {n[4:] if n.startswith("val_") else n for n in self.epochs}
        names.update(["loss", *self.expected])
        return ["loss", *sorted(names - {"loss"})]

    def epochs_logged(self) -> int:
        """The last epoch (from 1) whose logs arrived; 0 before any."""
        return int(max((s.x[-1] for s in self.epochs.values() if len(s)), default=0))

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
