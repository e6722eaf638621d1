"""Optimizers and learning-rate schedules from the training settings.

Schedules are written in epochs in the project file (see
`graph.training_schema`) and become `keras.optimizers.schedules` objects that
count optimizer steps, so they are saved with the model and the bridge's
`learning_rate()` reads the rate in force.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from kerascanvas.graph.training_schema import OPTIMIZERS, SCHEDULES

from .keras_env import import_keras

# Keras class names of the optimizer names the settings use.
OPTIMIZER_CLASSES = {"adam": "Adam", "adamw": "AdamW", "sgd": "SGD", "rmsprop": "RMSprop",
                     "adagrad": "Adagrad", "nadam": "Nadam"}


def _steps(epochs: float, steps_per_epoch: int) -> int:
    return max(1, int(round(epochs * steps_per_epoch)))


def make_schedule(schedule: Mapping[str, Any], learning_rate: float, steps_per_epoch: int,
                  epochs: int):
    """The learning rate for the optimizer: a float, or a Keras schedule object.

    Args:
        schedule: `{"name": "constant"|"cosine_decay"|"exponential_decay"|"step", ...}`
            with its options counted in epochs.
        learning_rate: the optimizer's base rate (the peak rate after a warmup).
        steps_per_epoch: optimizer steps in one epoch.
        epochs: epochs of the whole run (a cosine decay spans them by default).

    Raises:
        ValueError: an unknown schedule name or inconsistent step values.
    """
    keras = import_keras()
    schedules = keras.optimizers.schedules
    name = schedule.get("name", "constant")
    if name not in SCHEDULES:
        raise ValueError(f"training.schedule.name: expected one of {', '.join(SCHEDULES)}. "
                         f"Received: {name!r}")
    options = {**SCHEDULES[name], **schedule}
    if name == "constant":
        return float(learning_rate)
    if name == "cosine_decay":
        warmup = _steps(options["warmup_epochs"], steps_per_epoch) \
            if options["warmup_epochs"] else 0
        span = options["decay_epochs"] or max(epochs - options["warmup_epochs"], 1e-9)
        if not warmup:
            return schedules.CosineDecay(learning_rate, _steps(span, steps_per_epoch),
                                         alpha=options["alpha"])
        return schedules.CosineDecay(0.0, _steps(span, steps_per_epoch), alpha=options["alpha"],
                                     warmup_target=learning_rate, warmup_steps=warmup)
    if name == "exponential_decay":
        return schedules.ExponentialDecay(
            learning_rate, _steps(options["decay_epochs"], steps_per_epoch),
            options["decay_rate"], staircase=options["staircase"])
    return _step_schedule(options, learning_rate, steps_per_epoch)


def _step_schedule(options: Mapping[str, Any], learning_rate: float, steps_per_epoch: int):
    keras = import_keras()
    bounds = [_steps(b, steps_per_epoch) for b in options["boundaries"]]
    values = options["values"]
    if values is None:
        values = [learning_rate * options["factor"] ** i for i in range(len(bounds) + 1)]
    if len(values) != len(bounds) + 1:
        raise ValueError(f"training.schedule.values: expected {len(bounds) + 1} rates (one "
                         f"more than the boundaries). Received: {list(values)!r}")
    if not bounds:
        return float(values[0])
    return keras.optimizers.schedules.PiecewiseConstantDecay(bounds, [float(v) for v in values])


def make_optimizer(settings: Mapping[str, Any], steps_per_epoch: int):
    """A Keras optimizer from the training settings, its schedule included.

    Args:
        settings: the training settings (`graph.training_schema.resolve_extended`), or
            at least `{"optimizer": {...}}`; `schedule` and `epochs` are optional.
        steps_per_epoch: optimizer steps per epoch, to turn epochs into steps.

    Raises:
        ValueError: an unknown optimizer, schedule or option, naming the field.

    >>> make_optimizer({"optimizer": {"name": "sgd", "momentum": 0.9}}, 10)  # doctest: +SKIP
    <keras.src.optimizers.sgd.SGD object at ...>
    """
    keras = import_keras()
    options = dict(settings["optimizer"])
    name = options.pop("name", "adam")
    if name not in OPTIMIZER_CLASSES:
        raise ValueError(f"training.optimizer.name: expected one of "
                         f"{', '.join(OPTIMIZER_CLASSES)}. Received: {name!r}")
    unknown = sorted(set(options) - set(OPTIMIZERS[name]))
    if unknown:
        raise ValueError(f"training.optimizer.{unknown[0]}: {name} takes no such option. "
                         f"Options: {', '.join(OPTIMIZERS[name])}")
    base = float(options.pop("learning_rate", OPTIMIZERS[name]["learning_rate"]))
    schedule = settings.get("schedule") or {"name": "constant"}
    epochs = int(settings.get("epochs") or 1)
    rate = make_schedule(schedule, base, max(1, int(steps_per_epoch)), epochs)
    cls = getattr(keras.optimizers, OPTIMIZER_CLASSES[name])
    return cls(learning_rate=rate, **options)


def steps_per_epoch(samples: int, batch_size: int) -> int:
    """Optimizer steps in one epoch of `samples` (the last, partial batch counts)."""
    return max(1, math.ceil(samples / batch_size))


def current_learning_rate(optimizer) -> float:
    """The rate the optimizer applies at its current step (schedules evaluated), or NaN."""
    keras = import_keras()
    try:
        return float(keras.ops.convert_to_numpy(optimizer.learning_rate))
    except (TypeError, ValueError, AttributeError):
        return math.nan


def _inner(optimizer):
    # A LossScaleOptimizer (mixed_float16) wraps the optimizer that holds the state.
    return getattr(optimizer, "inner_optimizer", optimizer)


def carry_state(saved, optimizer, variables) -> list[str]:
    """Continue a saved optimizer's state in a new one made from (changed) settings.

    The new optimizer keeps its own learning rate (a changed rate or schedule takes
    effect) but takes the saved step count, so a schedule goes on where it was,
    and, when both are the same kind of optimizer, its slots (Adam's moments, SGD's
    momentum), matched by variable name and shape.

    Args:
        saved: the optimizer of the model that is continued (may be None).
        optimizer: the new, compiled optimizer.
        variables: the model's trainable variables, to build `optimizer` for.

    Returns:
        The names of the variables copied.
    """
    if saved is None:
        return []
    if not optimizer.built:
        optimizer.build(variables)
    same_kind = type(_inner(saved)) is type(_inner(optimizer))
    old = {v.name: v for v in saved.variables}
    copied = []
    for var in optimizer.variables:
        source = old.get(var.name)
        wanted = same_kind or var.name == "iteration"
        if source is None or not wanted or var.name == "learning_rate" \
                or tuple(source.shape) != tuple(var.shape):
            continue
        var.assign(source.value)
        copied.append(var.name)
    return copied


def optimizer_state(optimizer) -> dict[str, Any]:
    """A copy of the optimizer's variables (step count, rate, slots), by path."""
    keras = import_keras()
    return {v.path: keras.ops.convert_to_numpy(v) for v in optimizer.variables}


def restore_state(optimizer, state: Mapping[str, Any]) -> None:
    """Put back the variables `optimizer_state` copied; a slot made since (the optimizer
    was built after the copy) that holds a NaN or infinity starts again from zero, as a
    new slot does. After a NaN loss the slots hold NaN too, and a model kept with them
    diverged again at once when it was continued, whatever the rate."""
    import numpy as np

    for variable in optimizer.variables:
        value = state.get(variable.path)
        if value is not None and tuple(value.shape) == tuple(variable.shape):
            variable.assign(value)
        elif not np.isfinite(import_keras().ops.convert_to_numpy(variable)).all():
            variable.assign(np.zeros(variable.shape, variable.dtype))
