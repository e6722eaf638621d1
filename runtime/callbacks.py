"""Keras callbacks from the settings, a torch TensorBoard writer, and the fast bridge.

Why `FastBridge` exists: when any callback overrides `on_train_batch_end` (or
`on_batch_end`), Keras' CallbackList turns the batch logs into Python floats
after every batch, and each conversion waits for the GPU. `FastBridge` takes
its batch events from `on_train_batch_begin` instead, whose logs are empty,
and reads the model's running metrics only when the throttle lets an event
through (about 20 per second). So a run with the live view trains as fast as
a plain `fit`. Its events are those of `runtime.bridge.EventBridge`.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from kerascanvas.graph.training_schema import CALLBACKS, REQUIRED, check_callbacks

from .bridge import plain
from .keras_env import import_keras
from .optim import current_learning_rate

keras = import_keras()

Sink = Callable[[dict[str, Any]], None]


class TensorBoardLogger(keras.callbacks.Callback):
    """Epoch scalars (losses, metrics, learning rate) as TensorBoard events.

    Keras' own TensorBoard callback refuses the torch backend, so this one
    writes with `torch.utils.tensorboard.SummaryWriter` (which needs the
    `tensorboard` package). Tags are "train/<name>", "validation/<name>" and
    "learning_rate", stepped by epoch.
    """

    def __init__(self, log_dir: str = "logs"):
        super().__init__()
        self.log_dir = str(log_dir)
        self.writer = None

    def on_train_begin(self, logs=None):
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as exc:
            raise RuntimeError("The tensorboard callback needs the 'tensorboard' package "
                               "(pip install tensorboard)") from exc
        self.writer = SummaryWriter(log_dir=self.log_dir)

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            tag = f"validation/{key[4:]}" if key.startswith("val_") else f"train/{key}"
            self.writer.add_scalar(tag, float(value), epoch)
        rate = current_learning_rate(self.model.optimizer)
        if math.isfinite(rate):
            self.writer.add_scalar("learning_rate", rate, epoch)
        self.writer.flush()

    def on_train_end(self, logs=None):
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def _keras_callback(cls_name: str) -> Callable[..., Any]:
    return lambda **options: getattr(keras.callbacks, cls_name)(**options)


def _checkpoint(**options):
    Path(options["filepath"]).parent.mkdir(parents=True, exist_ok=True)
    return keras.callbacks.ModelCheckpoint(**options)


def _csv_logger(**options):
    Path(options["filename"]).parent.mkdir(parents=True, exist_ok=True)
    return keras.callbacks.CSVLogger(**options)


FACTORIES: dict[str, Callable[..., Any]] = {
    "early_stopping": _keras_callback("EarlyStopping"),
    "model_checkpoint": _checkpoint,
    "reduce_lr_on_plateau": _keras_callback("ReduceLROnPlateau"),
    "csv_logger": _csv_logger,
    # Keras' own: it checks every batch, which syncs with the GPU each time.
    "terminate_on_nan": _keras_callback("TerminateOnNaN"),
    "tensorboard": lambda **options: TensorBoardLogger(**options),
}


def make_callbacks(settings: Mapping[str, Any]) -> list:
    """The Keras callbacks listed in `settings["callbacks"]`, in order.

    Args:
        settings: training settings; each callback is `{"name": ..., **options}` with
            options named as Keras' keywords (see `graph.training_schema.CALLBACKS`).

    Raises:
        ValueError: an unknown callback or option, or a missing path, naming the field.
    """
    errors = [i for i in check_callbacks({"validation_split": 1.0, **settings})
              if i.severity == "error"]
    if errors:
        raise ValueError("; ".join(i.message for i in errors))
    made = []
    for entry in settings.get("callbacks") or []:
        defaults = {k: v for k, v in CALLBACKS[entry["name"]].items() if v is not REQUIRED}
        options = {k: v for k, v in entry.items() if k != "name"}
        made.append(FACTORIES[entry["name"]](**{**defaults, **options}))
    return made


class FastBridge(keras.callbacks.Callback):
    """Training progress as dict events without a per-batch GPU sync; stop and pause.

    Events: train_begin, epoch_begin, batch_end (running means since the epoch
    began; throttled to `max_rate` per second, the last batch always sent),
    epoch_end (logs, lr, samples_per_s over the training part of the epoch,
    eta_s), paused / resumed, train_end. A NaN loss seen in any read stops
    training after the current batch and sets `nan_at` to (epoch, batch).

    Args:
        sink: called with each event, on the training thread.
        settings: echoed in train_begin.
        batch_size: samples per batch. samples: training samples per epoch.
        max_rate: most batch events per second.
        clock: a monotonic time source (tests pass a fake one).
    """

    def __init__(self, sink: Sink, settings: Mapping[str, Any] | None = None,
                 batch_size: int | None = None, samples: int | None = None,
                 max_rate: float = 20.0, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self.sink, self.settings = sink, dict(settings or {})
        self.batch_size, self.samples = batch_size, samples
        self.min_interval = 1.0 / max_rate if max_rate > 0 else 0.0
        self.clock = clock
        self._running = threading.Event()
        self._running.set()
        self._stop_requested = False
        self._last_sent = -math.inf
        self._epoch, self._batch, self._epoch_start, self._train_time = 0, 0, 0.0, None
        self._epoch_times: list[float] = []
        self.epochs_run = 0
        self.last_logs: dict[str, Any] = {}
        self.nan_at: tuple[int, int] | None = None

    # ---- control, from any thread --------------------------------------
    def request_stop(self) -> None:
        """End training after the current batch (also releases a pause)."""
        self._stop_requested = True
        if self.model is not None:
            self.model.stop_training = True
        self._running.set()

    def pause(self) -> None:
        """Hold training before the next batch until `resume()` or `request_stop()`."""
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def stopped(self) -> bool:
        return self._stop_requested

    # ---- Keras hooks (no batch_end hook, on purpose) ---------------------
    def _emit(self, event: str, **fields) -> None:
        self.sink({"event": event, **plain(fields)})

    def _steps(self) -> int | None:
        return (self.params or {}).get("steps")

    def on_train_begin(self, logs=None):
        if self._stop_requested:
            self.model.stop_training = True
        self._emit("train_begin", settings=self.settings,
                   epochs=(self.params or {}).get("epochs"), steps=self._steps(),
                   samples=self.samples, batch_size=self.batch_size)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch, self._train_time = epoch, None
        self._epoch_start = self._last_sent = self.clock()
        self._emit("epoch_begin", epoch=epoch)

    def on_train_batch_begin(self, batch, logs=None):
        self._batch = batch
        if batch > 0:
            now = self.clock()
            if now - self._last_sent >= self.min_interval:
                self._last_sent = now
                self._batch_event(batch - 1, self.model.get_metrics_result())
        self._hold_if_paused()
        if self._stop_requested:
            self.model.stop_training = True

    def _batch_event(self, batch: int, logs: Mapping[str, Any]) -> None:
        loss = logs.get("loss")
        if loss is not None and not math.isfinite(float(loss)) and self.nan_at is None:
            self.nan_at = (self._epoch, batch)
            self.model.stop_training = True
        self._emit("batch_end", epoch=self._epoch, batch=batch, steps=self._steps(), logs=logs)

    def _hold_if_paused(self) -> None:
        if self._running.is_set():
            return
        self._emit("paused", epoch=self._epoch)
        self._running.wait()
        self._emit("resumed", epoch=self._epoch)

    def on_test_begin(self, logs=None):
        # Validation runs inside the epoch; the training rate should not count it.
        if self._train_time is None:
            self._train_time = self.clock() - self._epoch_start

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        elapsed = max(self.clock() - self._epoch_start, 1e-9)
        train_time = max(self._train_time or elapsed, 1e-9)
        self._epoch_times.append(elapsed)
        self.epochs_run, self.last_logs = epoch + 1, logs
        train_logs = {k: v for k, v in logs.items() if not k.startswith("val_")}
        self._batch_event(self._batch, train_logs)
        epochs = (self.params or {}).get("epochs") or self.epochs_run
        mean = sum(self._epoch_times) / len(self._epoch_times)
        self._emit("epoch_end", epoch=epoch, logs=logs,
                   lr=current_learning_rate(self.model.optimizer),
                   samples_per_s=self._rate(train_time),
                   eta_s=mean * max(epochs - self.epochs_run, 0))

    def _rate(self, elapsed: float) -> float:
        samples = self.samples
        if samples is None and self.batch_size and self._steps():
            samples = self.batch_size * self._steps()
        return float(samples) / elapsed if samples else math.nan

    def on_train_end(self, logs=None):
        self._emit("train_end", epochs_run=self.epochs_run, stopped=self._stop_requested,
                   logs=logs or self.last_logs)


def overrides_batch_end(callbacks: Sequence[Any]) -> list[str]:
    """Names of the callbacks that make Keras convert batch logs (and sync) every batch."""
    base = keras.callbacks.Callback
    return [type(cb).__name__ for cb in callbacks
            if type(cb).on_train_batch_end is not base.on_train_batch_end
            or type(cb).on_batch_end is not base.on_batch_end]


class LastFiniteWeights(keras.callbacks.Callback):
    """Keep the weights of the last epoch whose loss was finite; stop on a NaN epoch.

    Epoch hooks only, so no per-batch sync. `restore()` puts the kept weights back.
    """

    def __init__(self):
        super().__init__()
        self.weights = None
        self.good_epochs = 0
        self.nan_epoch: int | None = None

    def on_train_begin(self, logs=None):
        self.weights = self.model.get_weights()

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.nan_epoch = epoch
            self.model.stop_training = True
        elif self.nan_epoch is None:
            self.weights, self.good_epochs = self.model.get_weights(), epoch + 1

    def restore(self) -> None:
        if self.weights is not None:
            self.model.set_weights(self.weights)


class FaultInjector(keras.callbacks.Callback):
    """Fail on purpose at `at_batch` of the first epoch: "oom" raises torch's
    out-of-memory error, "nan" poisons the weights. For tests and UI checks."""

    def __init__(self, at_batch: int = 0, error: str = "oom"):
        super().__init__()
        if error not in ("oom", "nan"):
            raise ValueError(f"fault error: expected 'oom' or 'nan'. Received: {error!r}")
        self.at_batch, self.error = int(at_batch), error

    def on_train_batch_begin(self, batch, logs=None):
        if batch != self.at_batch or self.model.optimizer.iterations > batch:
            return
        if self.error == "oom":
            import torch

            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB "
                                         "(injected fault)")
        self.model.set_weights([w * float("nan") for w in self.model.get_weights()])
