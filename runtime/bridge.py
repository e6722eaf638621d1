"""The callback bridge: Keras training progress as plain dict events.

`EventBridge` is a `keras.callbacks.Callback` that sends JSON-serializable dicts
to a sink callable (a queue's `put`, a log writer, a Qt signal's `emit`):

    {"event": "train_begin", "settings": {...}, "epochs": 10, "steps": 45, "samples": 1437}
    {"event": "epoch_begin", "epoch": 0}
    {"event": "batch_end", "epoch": 0, "batch": 7, "steps": 45, "logs": {"loss": 2.1, ...}}
    {"event": "epoch_end", "epoch": 0, "logs": {"loss": .., "val_loss": ..},
     "lr": 0.001, "samples_per_s": 5300.0, "eta_s": 4.2}
    {"event": "paused"} / {"event": "resumed"}
    {"event": "train_end", "epochs_run": 10, "stopped": false, "logs": {...}}

Batch logs are Keras' running means since the start of the epoch. Batch events
are throttled by time (at most `max_rate` per second), but the last batch of an
epoch is always sent. `request_stop()` ends training after the current batch;
`pause()` blocks the training thread between batches until `resume()`.
`BridgeBase` holds the sink and these controls for other bridges to build on.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from .keras_env import import_keras

keras = import_keras()

Sink = Callable[[dict[str, Any]], None]


def plain(value: Any) -> Any:
    """A JSON-friendly copy: numbers become float/int (NaN stays a float), tuples lists."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, bool | int | str) or value is None:
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


class BridgeBase(keras.callbacks.Callback):
    """What every bridge shares: the sink, stop/pause control, and `train_begin`.

    Subclasses decide where batch events come from (`EventBridge` uses the batch-end
    hook) and call `_wait_if_paused()` between batches.
    """

    def __init__(self, sink: Sink, settings: Mapping[str, Any] | None = None,
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
        self._last_sent = -math.inf
        self._epoch = 0
        self.epochs_run = 0
        self.last_logs: dict[str, Any] = {}

    # ---- control, from any thread --------------------------------------
    def request_stop(self) -> None:
        """End training after the current batch (also releases a pause)."""
        self._stop_requested = True
        if self._model is not None:  # Keras reads the flag after each batch's callbacks
            self.model.stop_training = True
        self._running.set()

    def pause(self) -> None:
        """Block training between batches until `resume()` or `request_stop()`."""
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
    def _emit(self, event: str, **fields) -> None:
        self.sink({"event": event, **plain(fields)})

    def _steps(self) -> int | None:
        return (self.params or {}).get("steps")

    def _wait_if_paused(self) -> None:
        if self._running.is_set():
            return
        self._emit("paused", epoch=self._epoch)
        self._running.wait()
        self._emit("resumed", epoch=self._epoch)

    def on_train_begin(self, logs=None):
        if self._stop_requested:  # a stop asked for before training began
            self.model.stop_training = True
        self._emit("train_begin", settings=self.settings,
                   epochs=(self.params or {}).get("epochs"), steps=self._steps(),
                   samples=self.samples, batch_size=self.batch_size)


class EventBridge(BridgeBase):
    """Send training progress to `sink` as dict events; obey stop and pause requests.

    Args:
        sink: called with each event, on the training thread.
        settings: the resolved training settings, echoed in `train_begin`.
        batch_size: samples per batch, for the samples per second figure.
        samples: training samples per epoch.
        max_rate: most batch events per second.
        clock: a monotonic time source (tests pass a fake one).
    """

    def __init__(self, sink: Sink, settings: Mapping[str, Any] | None = None, **options):
        super().__init__(sink, settings, **options)
        self._epoch_start = 0.0
        self._epoch_times: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._epoch_start = self.clock()
        self._emit("epoch_begin", epoch=epoch)

    def on_train_batch_end(self, batch, logs=None):
        steps = self._steps()
        now = self.clock()
        last = steps is not None and batch + 1 >= steps
        if last or now - self._last_sent >= self.min_interval:
            self._last_sent = now
            self._emit("batch_end", epoch=self._epoch, batch=batch, steps=steps,
                       logs=logs or {})
        self._wait_if_paused()
        if self._stop_requested:
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        elapsed = max(self.clock() - self._epoch_start, 1e-9)
        self._epoch_times.append(elapsed)
        self.epochs_run = epoch + 1
        self.last_logs = dict(logs or {})
        epochs = (self.params or {}).get("epochs") or self.epochs_run
        mean = sum(self._epoch_times) / len(self._epoch_times)
        self._emit("epoch_end", epoch=epoch, logs=self.last_logs,
                   lr=self.learning_rate(), samples_per_s=self._rate(elapsed),
                   eta_s=mean * max(epochs - self.epochs_run, 0))

    def _rate(self, elapsed: float) -> float:
        samples = self.samples
        if samples is None and self.batch_size and self._steps():
            samples = self.batch_size * self._steps()
        return float(samples) / elapsed if samples else math.nan

    def learning_rate(self) -> float:
        """The optimizer's current learning rate (schedules included), or NaN."""
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None:
            return math.nan
        try:
            return float(keras.ops.convert_to_numpy(optimizer.learning_rate))
        except (TypeError, ValueError, AttributeError):
            return math.nan

    def on_train_end(self, logs=None):
        self._emit("train_end", epochs_run=self.epochs_run, stopped=self._stop_requested,
                   logs=logs or self.last_logs)
