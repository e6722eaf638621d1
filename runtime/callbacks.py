"""Keras callbacks from the settings, a torch TensorBoard writer, NaN helpers and atomic
saves (the faults tests inject live in `runtime.fault_callbacks`).

`FastBridge`, the progress bridge, lives in `runtime.bridge` and is re-exported
here. None of these callbacks has a batch-end hook except Keras' own
TerminateOnNaN (asked for by name): `overrides_batch_end` lists the callbacks
that would make every batch wait for the GPU.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from kerascanvas.graph import atomicfile
from kerascanvas.graph.training_schema import CALLBACKS, REQUIRED, check_callbacks

from .bridge import FastBridge
from .keras_env import import_keras
from .optim import current_learning_rate, optimizer_state, restore_state

keras = import_keras()

__all__ = ["AtomicCheckpoint", "FastBridge", "LastFiniteWeights",
           "TensorBoardLogger", "defines", "make_callbacks", "non_finite_losses",
           "overrides_batch_end", "save_atomic"]


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
    return AtomicCheckpoint(**options)


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


def defines(callback, *hooks: str) -> bool:
    """Whether `callback` overrides any of `hooks` of `keras.callbacks.Callback`: in its
    class, or on the instance (as `keras.callbacks.LambdaCallback` sets them)."""
    base, own = keras.callbacks.Callback, getattr(callback, "__dict__", {})
    return any(hook in own or getattr(type(callback), hook) is not getattr(base, hook)
               for hook in hooks)


def overrides_batch_end(callbacks: Sequence[Any]) -> list[str]:
    """Names of the callbacks that make Keras convert batch logs (and sync) every batch."""
    return [type(cb).__name__ for cb in callbacks
            if defines(cb, "on_train_batch_end", "on_batch_end")]


def non_finite_losses(logs: Mapping[str, Any] | None) -> list[str]:
    """The training losses of `logs` that are NaN or infinite ("loss", "out_loss"...;
    validation losses are not the weights' fault and are left out).

    >>> non_finite_losses({"loss": float("nan"), "out_loss": 1.0, "val_loss": 2.0})
    ['loss']
    """
    found = []
    for name, value in (logs or {}).items():
        if not name.endswith("loss") or name.startswith("val_"):
            continue
        try:
            finite = math.isfinite(float(value))
        except (TypeError, ValueError):
            continue
        if not finite:
            found.append(name)
    return found


class LastFiniteWeights(keras.callbacks.Callback):
    """Keep the weights of the last epoch whose loss was finite; stop on a NaN epoch.

    Epoch hooks only, so no per-batch sync. `restore()` puts the kept weights back,
    and the optimizer's state with them.
    `good_epochs` counts as Keras numbers epochs: a run continued from epoch 5 whose
    first epoch diverges keeps the weights of epoch 5.
    """

    def __init__(self, initial_epoch: int = 0):
        super().__init__()
        self.weights = None
        self.good_epochs = int(initial_epoch)
        self.nan_epoch: int | None = None
        self.nan_losses: list[str] = []  # the losses of that epoch that were not finite

    def on_train_begin(self, logs=None):
        if self.nan_epoch is None:  # a later fit (fine-tuning's phase 2) keeps them
            self._keep()

    def on_epoch_end(self, epoch, logs=None):
        losses = non_finite_losses(logs)
        if losses and self.nan_epoch is None:
            self.nan_epoch, self.nan_losses = epoch, losses
            self.model.stop_training = True
        elif self.nan_epoch is None:
            self._keep()
            self.good_epochs = epoch + 1

    def _keep(self) -> None:
        """The weights and the optimizer's state (its slots go NaN with the weights)."""
        self.weights = self.model.get_weights()
        self.state = optimizer_state(self.model.optimizer)

    def restore(self) -> None:
        if self.weights is not None:
            self.model.set_weights(self.weights)
            restore_state(self.model.optimizer, self.state)


def save_atomic(model, path: str | Path, weights_only: bool = False, **options) -> None:
    """`model.save(path)` (or `save_weights`) under a partial name in the same folder,
    synced to disk, then renamed (`graph.atomicfile`): a process killed while saving
    leaves the previous file whole. Partial files of killed saves are removed."""
    keras_model = keras.Model
    Path(path).parent.mkdir(parents=True, exist_ok=True)  # a run's folder may be new
    atomicfile.remove_stale_partials(path)
    temporary = atomicfile.partial_path(path)
    saver = keras_model.save_weights if weights_only else keras_model.save
    try:
        saver(model, str(temporary), **options)
        atomicfile.commit(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


class AtomicCheckpoint(keras.callbacks.ModelCheckpoint):
    """Keras' ModelCheckpoint whose files are written atomically (see `save_atomic`):
    a run killed in the middle of a checkpoint keeps the last complete one."""

    def _save_model(self, epoch, batch, logs):
        model = self.model
        model.save = lambda path, **kw: save_atomic(model, path, **kw)
        model.save_weights = lambda path, **kw: save_atomic(model, path, True, **kw)
        try:
            super()._save_model(epoch, batch, logs)
        finally:
            model.__dict__.pop("save", None)
            model.__dict__.pop("save_weights", None)
