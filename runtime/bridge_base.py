"""What every training bridge shares: the sink its events go to, the stop, pause and
resume controls (from any thread), and the `train_begin` / `train_end` events.

`runtime.bridge.FastBridge` builds its progress events on it (and a search trial's
bridge on that). `stop_at_once` says whether a stop may cut a pass on this process
alone (not on several processes: `runtime.rank_sync` makes the ranks agree).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from . import events as ev
from .events import plain
from .keras_env import import_keras

keras = import_keras()

Sink = Callable[[ev.TrainingEvent], None]
__all__ = ["BridgeBase", "Sink", "drop"]


def drop(event: ev.TrainingEvent) -> None:
    """A sink that ignores every event."""

class BridgeBase(keras.callbacks.Callback):
    """What every bridge shares: the sink, stop/pause control, and `train_begin`.

    Args:
        sink: called with each event, on the training thread.
        settings: the resolved training settings, echoed in `train_begin`.
        batch_size: samples per batch. samples: training samples per epoch.
        max_rate: most batch events per second.
        clock: a monotonic time source (tests pass a fake one).
    """

    # Whether `runtime.train` scores the model after a stop request ended training (the
    # window shows that evaluation; a search trial has no use for it).
    evaluate_when_stopped = True

    def __init__(self, sink: Sink = drop, settings: Mapping[str, Any] | None = None,
                 batch_size: int | None = None, samples: int | None = None,
                 max_rate: float = 20.0, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self.sink = sink
        self.settings = dict(settings or {})
        self.batch_size = batch_size
        self.samples = samples
        self.min_interval = 1.0 / max_rate if max_rate > 0 else 0.0
        self.clock = clock
        self._running = threading.Event()
        self._running.set()
        self._stop_requested = False
        self.stop_count = 0  # stop requests so far
        self.stops_in_training: int | None = None  # stop_count when training ended
        # Several processes must stop after the same batch, so there the flag is only
        # read in a batch hook (`runtime.rank_sync.RankSync` shares it).
        self.stop_at_once = True
        self._last_sent = -math.inf
        self._epoch = 0
        self.epochs_run = 0
        self.initial_epoch = 0
        self.note = ""
        self.last_logs: dict[str, Any] = {}

    def describe(self, settings: Mapping[str, Any], batch_size: int | None,
                 samples: int | None, initial_epoch: int = 0, note: str = "") -> None:
        """Fill in what `train_begin` reports, where the creator left it out."""
        self.note = self.note or note
        self.settings = self.settings or dict(settings)
        self.batch_size = self.batch_size or batch_size
        self.samples = self.samples or samples
        self.initial_epoch = self.epochs_run = int(initial_epoch)

    # ---- control, from any thread --------------------------------------
    def request_stop(self) -> None:
        """End training, or a validation pass, after the current batch (also releases a
        pause)."""
        self._stop_requested = True
        self.stop_count += 1
        if self._model is not None and self.stop_at_once:  # Keras reads them after each batch
            self.model.stop_training = True
            self.model.stop_evaluating = True  # `evaluate` clears it when it begins
        self._running.set()

    def pause(self) -> None:
        """Hold training between batches until `resume()` or `request_stop()`."""
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def stopped(self) -> bool:
        return self._stop_requested

    # ---- shared hooks ---------------------------------------------------
    def _emit(self, event: ev.TrainingEvent) -> None:
        self.sink(event)

    def _steps(self) -> int | None:
        return (self.params or {}).get("steps")

    def _epochs(self) -> int:
        return (self.params or {}).get("epochs") or self.epochs_run

    def _wait_if_paused(self, batch: int | None = None) -> None:
        """Hold here while paused (before training batch `batch` of the epoch)."""
        if self._running.is_set():
            return
        self._emit(ev.Paused(self._epoch, batch))
        held_from = self.clock()
        self._running.wait()
        self._held(self.clock() - held_from)
        self._emit(ev.Resumed(self._epoch))

    def _held(self, seconds: float) -> None:
        """Training was held (paused) this long: timings made since must leave it out."""

    def on_train_begin(self, logs=None):
        self.stops_in_training = None  # training (again: a fine-tune's second phase)
        if self._stop_requested:  # a stop asked for before training began
            self.model.stop_training = True
        self._emit(ev.TrainBegin(plain(self.settings), self._epochs() or None, self._steps(),
                                 self.samples, self.batch_size, self.initial_epoch,
                                 self.note))

    def on_train_end(self, logs=None):
        self.stops_in_training = self.stop_count  # later ones are `CutOnStop`'s
        self._emit(ev.TrainEnd(self.epochs_run, self._stop_requested,
                               plain(logs or self.last_logs)))
