"""Training a document's model: compile from its settings, fit, evaluate.

`train` never raises for the failures a user causes while training (a loss that
becomes NaN, running out of memory); it returns a `TrainResult` whose `status`
and `message` say what happened, with the model as trained so far.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kerascanvas.graph.document import Document
from kerascanvas.graph.projectfile import from_dict, to_dict
from kerascanvas.graph.training import resolve_training

from .build import build_model, input_nodes
from .data import Dataset
from .keras_env import choose_device, device_scope, import_keras, set_threads

OK, STOPPED, NAN, OOM = "ok", "stopped", "nan", "oom"


@dataclass
class TrainResult:
    """What a training run gave.

    Attributes:
        status: "ok", "stopped" (on request), "nan" (loss diverged) or "oom".
        message: a sentence for the user; empty when all went well.
        history: Keras' epoch logs, name -> one value per epoch run.
        metrics: the final evaluation (Keras names), on `evaluated_on` data.
        evaluated_on: "validation", "training", or "" when no evaluation ran.
        epochs_run: completed epochs.
        device: "cpu" or "cuda".
        settings: the resolved training settings used.
        model: the trained keras.Model (None if it could not be built).
    """

    status: str
    message: str = ""
    history: dict[str, list[float]] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    evaluated_on: str = ""
    epochs_run: int = 0
    device: str = "cpu"
    settings: dict[str, Any] = field(default_factory=dict)
    model: Any = None

    @property
    def ok(self) -> bool:
        return self.status in (OK, STOPPED)


def resolve_settings(doc: Document, overrides: Mapping[str, Any] | None = None) -> dict:
    """The document's training settings with `overrides` applied, then resolved."""
    if not overrides:
        return resolve_training(doc)
    copied = from_dict(copy.deepcopy(to_dict(doc)))
    copied.training = {**copied.training, **copy.deepcopy(dict(overrides))}
    return resolve_training(copied)


def make_optimizer(options: Mapping[str, Any]):
    """A Keras optimizer from `{"name": "adam", "learning_rate": 1e-3, ...}`."""
    keras = import_keras()
    options = dict(options)
    name = options.pop("name")
    cls = type(keras.optimizers.get(name))
    return cls(**options)


def _by_output(values: Mapping[str, Any], names: Sequence[str]):
    # Lists in output order: the one form Keras maps the same way for every model.
    out = [values[n] for n in names]
    return out[0] if len(out) == 1 else out


def compile_model(model, settings: Mapping[str, Any], output_names: Sequence[str]) -> None:
    """Compile with the optimizer, per-output losses, metrics and loss weights."""
    weights = settings.get("loss_weights")
    model.compile(
        optimizer=make_optimizer(settings["optimizer"]),
        loss=_by_output(settings["loss"], output_names),
        metrics=_by_output(settings["metrics"], output_names),
        loss_weights=_by_output(weights, output_names) if weights else None,
    )


def split_validation(data: Dataset, fraction: float):
    """(train x, train y, val x, val y) dicts; the last `fraction` of samples is held out."""
    if data.has_validation:
        return data.x, data.y, data.x_val, data.y_val
    n = data.num_samples
    cut = int(math.floor(n * (1.0 - fraction))) if fraction > 0 else n
    if cut in (0, n):
        return data.x, data.y, None, None
    head = {k: v[:cut] for k, v in data.x.items()}, {k: v[:cut] for k, v in data.y.items()}
    tail = {k: v[cut:] for k, v in data.x.items()}, {k: v[cut:] for k, v in data.y.items()}
    return (*head, *tail)


def run_fit(model, **kwargs):
    """`model.fit(**kwargs)`. A seam: tests replace it to inject failures such as OOM."""
    return model.fit(**kwargs)


def is_out_of_memory(exc: BaseException) -> bool:
    import torch

    return isinstance(exc, torch.OutOfMemoryError) or (
        isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower())


def _guard_class():
    keras = import_keras()

    class NanGuard(keras.callbacks.Callback):
        """Record epoch logs; on a NaN loss stop and restore the last finite weights."""

        def __init__(self):
            super().__init__()
            self.history: dict[str, list[float]] = {}
            self.nan_at: tuple[int, int] | None = None
            self.epoch = 0
            self.completed = 0  # epochs that ended with a finite loss
            self._good = None

        def on_train_begin(self, logs=None):
            self._good = self.model.get_weights()

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            loss = (logs or {}).get("loss")
            if loss is not None and not math.isfinite(float(loss)) and self.nan_at is None:
                self.nan_at = (self.epoch, batch)
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            for key, value in (logs or {}).items():
                self.history.setdefault(key, []).append(float(value))
            if self.nan_at is None:
                self.completed = epoch + 1
                self._good = self.model.get_weights()

        def on_train_end(self, logs=None):
            if self.nan_at is not None and self._good is not None:
                self.model.set_weights(self._good)

    return NanGuard


def _nan_message(at: tuple[int, int], settings: Mapping[str, Any], epochs_run: int) -> str:
    lr = settings["optimizer"].get("learning_rate")
    lr = f"{lr:g}" if isinstance(lr, int | float) else lr
    kept = f"epoch {epochs_run}" if epochs_run else "before training (the initial weights)"
    return (f"The loss became NaN or infinite at epoch {at[0] + 1}, batch {at[1] + 1} "
            f"(learning rate {lr}). Training stopped; the weights kept are those from "
            f"{kept}. Try a lower learning rate, or check the data for extreme values.")


def _as_inputs(x: Mapping[str, np.ndarray], names: Sequence[str]):
    arrays = [x[n] for n in names]
    return arrays[0] if len(arrays) == 1 else arrays


def train(doc: Document, data: Dataset, settings: Mapping[str, Any] | None = None,
          sink=None, device: str = "auto", save: str | None = None,
          bridge=None, callbacks: Sequence[Any] = (), threads: int | None = None,
          ) -> TrainResult:
    """Build, compile, fit and evaluate the model of `doc` on `data`.

    Args:
        doc: a valid document (BuildError otherwise).
        data: a Dataset that passed `check_data`.
        settings: overrides of the document's training settings (epochs, batch_size...).
        sink: receives the bridge's dict events, if given.
        device: "auto" (CUDA when torch sees a GPU), "cpu" or "cuda".
        save: a `.keras` path to save the trained model to.
        bridge: an `EventBridge` to use instead of a new one (to stop or pause it).
        callbacks: further Keras callbacks.
        threads: torch CPU threads (None: torch's default).

    Returns:
        A TrainResult; NaN loss and out-of-memory become results, not exceptions.
    """
    keras = import_keras()
    resolved = resolve_settings(doc, settings)
    result = TrainResult(OK, device=choose_device(device), settings=resolved)
    set_threads(threads)
    if resolved.get("seed") is not None:
        keras.utils.set_random_seed(int(resolved["seed"]))
    stage = "building the model"
    try:
        with device_scope(device):
            model = result.model = build_model(doc)
            outputs = [doc.node(nid).name for nid in doc.outputs]
            compile_model(model, resolved, outputs)
            stage = "training"
            _fit(model, doc, data, resolved, result, sink, bridge, list(callbacks))
            stage = "evaluating"
            if result.status in (OK, STOPPED):
                _evaluate(model, doc, data, resolved, result)
    except Exception as exc:
        if not is_out_of_memory(exc):
            raise
        _out_of_memory(result, exc, stage, resolved["batch_size"])
    if save and result.model is not None and result.status != OOM:
        result.model.save(save)
    return result


def _fit(model, doc, data, resolved, result, sink, bridge, callbacks) -> None:
    from .bridge import EventBridge

    names = [n.name for n in input_nodes(doc)]
    outputs = [doc.node(nid).name for nid in doc.outputs]
    x, y, xv, yv = split_validation(data, float(resolved["validation_split"]))
    guard = _guard_class()()
    if bridge is None and sink is not None:
        settings = {**resolved, "device": result.device}
        bridge = EventBridge(sink, settings, batch_size=resolved["batch_size"],
                             samples=len(next(iter(x.values()))))
    extra = [bridge] if bridge is not None else []
    validation = None
    if xv is not None:
        validation = (_as_inputs(xv, names), _by_output(yv, outputs))
    try:
        run_fit(model, x=_as_inputs(x, names), y=_by_output(y, outputs),
                batch_size=resolved["batch_size"], epochs=resolved["epochs"],
                validation_data=validation, shuffle=resolved["shuffle"], verbose=0,
                callbacks=[keras_terminate_on_nan(), guard, *extra, *callbacks])
    finally:
        result.history = guard.history
        result.epochs_run = guard.completed
    if guard.nan_at is not None:
        result.status = NAN
        result.message = _nan_message(guard.nan_at, resolved, result.epochs_run)
    elif bridge is not None and bridge.stopped and result.status == OK:
        result.status = STOPPED
        result.message = f"Stopped on request after {result.epochs_run} epoch(s)."


def keras_terminate_on_nan():
    return import_keras().callbacks.TerminateOnNaN()


def _out_of_memory(result: TrainResult, exc: BaseException, stage: str, batch_size) -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.empty_cache()  # give the failed attempt's blocks back to other work
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    # Keras puts its own "Exception encountered when calling..." line first.
    detail = next((line for line in lines if "memory" in line.lower()),
                  lines[0] if lines else type(exc).__name__)
    result.status = OOM
    result.message = (f"Out of memory on {result.device} while {stage} with batch size "
                      f"{batch_size}. Try a smaller batch size or a smaller model. ({detail})")


def _evaluate(model, doc, data, resolved, result) -> None:
    names = [n.name for n in input_nodes(doc)]
    outputs = [doc.node(nid).name for nid in doc.outputs]
    x, y, xv, yv = split_validation(data, float(resolved["validation_split"]))
    result.evaluated_on = "validation" if xv is not None else "training"
    if xv is not None:
        x, y = xv, yv
    scores = model.evaluate(_as_inputs(x, names), _by_output(y, outputs),
                            batch_size=resolved["batch_size"], verbose=0, return_dict=True)
    result.metrics = {k: float(v) for k, v in scores.items()}
