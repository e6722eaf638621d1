"""What keeps a model off the executor's faster paths, found before training.

`step_blockers(model)`: reasons to keep Keras' own train step (a model that
defines its own `train_step` or `compute_loss`, `jit_compile`, several steps per
execution). `capture_blockers(model, device, resident)`: reasons the CUDA-graph
capture cannot be used, so the lean step runs instead. Each reason is a
sentence the user reads, naming the layer or setting.

Capture needs a step that never waits for the host and whose kernels are the
same on every replay. Keras breaks that where it uses `ops.cond` (a Python `if`
on torch, which reads a device value) and where a seeded random layer makes a
new torch generator from a device value on each call. The common cases are
made capture-safe instead (`safe.schedule_rate` for CosineDecay with a warmup
and the other schedules, `safe.LossScaled` for mixed_float16's loss scaling, a
graph per batch shape for the last partial batch).
"""

from __future__ import annotations

from ..keras_env import import_keras

keras = import_keras()
_Trainer = keras.Model


def step_blockers(model) -> list[str]:
    """Why Keras' own train step must run (empty: the lean step may)."""
    reasons = []
    for name in ("train_step", "compute_loss"):
        if getattr(type(model), name, None) is not getattr(_Trainer, name, None):
            reasons.append(f"the model defines its own {name}")
    if "train_step" in vars(model):
        reasons.append("the model's train step is replaced (data-parallel training)")
    if getattr(model, "jit_compile", False):
        reasons.append("the model was compiled with jit_compile=True")
    if getattr(model, "steps_per_execution", 1) != 1:
        reasons.append("steps_per_execution is not 1")
    if model.optimizer is None:
        reasons.append("the model has no optimizer")
    return reasons


def seeded_random_layers(model) -> list[str]:
    """Names of layers that draw random numbers from a Keras seed generator
    (everything random but unseeded Dropout without a noise shape)."""
    seeded = []
    for layer in model._flatten_layers(include_self=False):
        generators = [v for v in vars(layer).values()
                      if isinstance(v, keras.random.SeedGenerator)]
        if not generators:
            continue
        if (type(layer) is keras.layers.Dropout and layer.seed is None
                and layer.noise_shape is None):
            continue
        seeded.append(layer.name)
    return seeded


def variable_inputs(model) -> list[str]:
    """Inputs whose shape (batch aside) is not fixed, as 'name (shape)'."""
    return [f"{t.name} {tuple(t.shape)}" for t in model.inputs
            if any(d is None for d in tuple(t.shape)[1:])]


def optimizer_blockers(optimizer) -> list[str]:
    """Optimizer options that branch on a device value (`ops.cond`)."""
    from .safe import safe_schedule_known

    inner = getattr(optimizer, "inner_optimizer", optimizer)
    reasons = []
    if inner.gradient_accumulation_steps:
        reasons.append("gradient accumulation branches on the step count (ops.cond)")
    if inner.use_ema:
        reasons.append("EMA of the weights branches on the step count (ops.cond)")
    schedule = inner._learning_rate
    if isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule) and \
            not safe_schedule_known(schedule):
        reasons.append(f"the learning-rate schedule {type(schedule).__name__} has no "
                       "capture-safe form")
    return reasons


def capture_blockers(model, device: str, resident: bool) -> list[str]:
    """Why the step cannot be captured as a CUDA graph (empty: it can be tried)."""
    import torch

    reasons = []
    if device != "cuda" or not torch.cuda.is_available():
        return ["CUDA graphs need a CUDA device"]
    if not resident:
        reasons.append("the training data is not resident on the GPU (an image folder, "
                       "or arrays too large for its memory)")
    seeded = seeded_random_layers(model)
    if seeded:
        reasons.append("seeded random layers make a generator from a device value on "
                       f"every call: {', '.join(seeded)}")
    variable = variable_inputs(model)
    if variable:
        reasons.append(f"inputs of variable shape: {', '.join(variable)}")
    reasons += optimizer_blockers(model.optimizer)
    return reasons
