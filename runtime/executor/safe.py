"""Capture-safe forms of what Keras computes with a host branch.

A CUDA graph replays fixed kernels, so a step may not branch on a device value
(Keras' `ops.cond` on torch is a Python `if` that reads one) nor copy a new
host value to the device. The forms here compute the same numbers with device
ops only; both branches are computed and `torch.where` picks one:

* `schedule_rate(schedule, step)`: CosineDecay (with or without warmup; Keras
  branches on the warmup), ExponentialDecay and PiecewiseConstantDecay, from
  the step count on the device.
* `LossScaled`: the optimizer step of `LossScaleOptimizer` (mixed_float16):
  unscale, apply the inner update only when every gradient is finite (the
  state is put back otherwise), then grow or shrink the scale as Keras does.

They run on any device, so the CPU tests compare them with Keras' own results.
"""

from __future__ import annotations

import math

import torch

from ..keras_env import import_keras

keras = import_keras()
_schedules = keras.optimizers.schedules


def _cosine(schedule, step):
    decay_steps = float(schedule.decay_steps)
    if schedule.warmup_target is None:
        return _cosine_decay(schedule, torch.clamp(step, max=decay_steps), decay_steps,
                             schedule.initial_learning_rate)
    warmup = float(schedule.warmup_steps)
    step = torch.clamp(step, max=decay_steps + warmup)
    start, target = float(schedule.initial_learning_rate), float(schedule.warmup_target)
    warming = (target - start) * (step / warmup) + start
    decaying = _cosine_decay(schedule, step - warmup, decay_steps, target)
    return torch.where(step < warmup, warming, decaying)


def _cosine_decay(schedule, step, decay_steps, rate):
    fraction = step / decay_steps
    cosine = 0.5 * (1.0 + torch.cos(math.pi * fraction))
    return float(rate) * ((1 - schedule.alpha) * cosine + schedule.alpha)


def _exponential(schedule, step):
    power = step / float(schedule.decay_steps)
    if schedule.staircase:
        power = torch.floor(power)
    return float(schedule.initial_learning_rate) * torch.pow(float(schedule.decay_rate), power)


def _piecewise(schedule, step):
    values = [float(v) for v in schedule.values]
    out = torch.full_like(step, values[0])
    for bound, value in zip(schedule.boundaries, values[1:], strict=True):
        out = torch.where(step > float(bound), torch.full_like(step, value), out)
    return out


SAFE_SCHEDULES = {_schedules.CosineDecay: _cosine, _schedules.ExponentialDecay: _exponential,
                  _schedules.PiecewiseConstantDecay: _piecewise}


def safe_schedule_known(schedule) -> bool:
    """Whether `schedule_rate` has a capture-safe form of `schedule`."""
    return type(schedule) in SAFE_SCHEDULES


def schedule_rate(schedule, iterations: torch.Tensor) -> torch.Tensor:
    """The rate `schedule(iterations)` computes, from device ops only (float32)."""
    return SAFE_SCHEDULES[type(schedule)](schedule, iterations.to(torch.float32))


class LossScaled:
    """`LossScaleOptimizer.apply` without a host branch, around an inner update.

    Args:
        optimizer: the LossScaleOptimizer (its `dynamic_scale`, `step_counter`,
            `dynamic_growth_steps` and `inner_optimizer`).
        inner: the inner optimizer's update, called with the unscaled gradients.
    """

    def __init__(self, optimizer, inner):
        self.optimizer, self.inner = optimizer, inner
        inner_opt = optimizer.inner_optimizer
        self.state = [v.value for v in inner_opt._trainable_variables] + \
            [v.value for v in inner_opt.variables]

    @torch.no_grad()
    def __call__(self, grads: list[torch.Tensor]) -> None:
        opt = self.optimizer
        scale, counter = opt.dynamic_scale.value, opt.step_counter.value
        finite = torch.stack([torch.isfinite(g).all() for g in grads]).all()
        unscaled = [torch.where(finite, g / scale.to(g.dtype), torch.zeros_like(g))
                    for g in grads]
        kept = [t.clone() for t in self.state]
        self.inner(unscaled)
        for tensor, old in zip(self.state, kept, strict=True):
            tensor.copy_(torch.where(finite, tensor, old))
        grow = finite & (counter == opt.dynamic_growth_steps - 1)
        scale.copy_(torch.where(grow, scale * 2, torch.where(finite, scale, scale * 0.5)))
        counter.copy_(torch.where(grow | ~finite, torch.zeros_like(counter), counter + 1))
