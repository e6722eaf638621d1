"""One run's numbers for the live plots, without Qt.

`RunCurves` holds the batch loss (the mean of the batches between two reads, not
Keras' running mean since the epoch began), the per-epoch logs (train and `val_` names)
and the learning rate, each as a `Series` of float64 arrays that grow by doubling.
NaN values stay in the buffers; each NaN loss adds a note ("NaN loss at epoch e,
batch b") that the plots mark. An epoch a NaN loss dropped (its weights not kept, its
logs not in the history: `dropped`) keeps its values here, but the plots draw `drawn`:
the kept epochs only, and its NaN note beside their last loss, so the huge values that
led to the NaN do not stretch the axes past what the run kept.
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
        # The epoch (from 1) a NaN loss dropped, once the run's result says so.
        self.dropped: int | None = None
        self._kept_views: dict[int, tuple[tuple, Series]] = {}

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

    def drawn(self, series: Series) -> Series:
        """`series` as the plots draw it: without the points of the `dropped` epoch (a
        view kept while `series` does not grow, so an unchanged plot is not redrawn)."""
        if self.dropped is None:
            return series
        key = (len(series), self.dropped)
        kept = self._kept_views.get(id(series))
        if kept is None or kept[0] != key:
            kept = (key, series.copy(until=self.dropped - 1))
            self._kept_views[id(series)] = kept
        return kept[1]

    def drawn_notes(self) -> list[tuple[float, float, str]]:
        """The NaN notes as drawn: one in the `dropped` epoch beside the last finite loss
        the run kept (the epoch's, else its batches'; 0 without one), not at the huge
        value the dropped epoch reached before its NaN."""
        if self.dropped is None:
            return list(self.nan_notes)
        kept = [self.drawn(s).y for s in (self.epochs.get("loss"), self.batch_loss)
                if s is not None]
        finite = [y[np.isfinite(y)] for y in kept]
        y = next((float(v[-1]) for v in finite if len(v)), 0.0)
        start = self.dropped - 1
        return [(x, y if x > start else at, text) for x, at, text in self.nan_notes]

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
        """A copy; with `until`, what came past that epoch is left out (the batches of an
        epoch a stop cut short, an epoch a NaN loss dropped: a continued run trains them
        again)."""
        other = RunCurves()
        other.batch_loss, other.lr = self.batch_loss.copy(until), self.lr.copy(until)
        other.epochs = {k: s.copy(until) for k, s in self.epochs.items()}
        other.nan_notes = [note for note in self.nan_notes if note[0] <= until]
        other.version = self.version
        other.dropped = self.dropped if self.dropped is not None and \
            self.dropped <= until else None
        other.last_epoch, other.expected = self.last_epoch, list(self.expected)
        return other
