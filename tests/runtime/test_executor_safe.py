"""The capture-safe forms (no host branch) compute what Keras computes; they run on
the CPU too, so they are checked here against Keras' own schedules and its
LossScaleOptimizer."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from kerascanvas.runtime.executor.safe import LossScaled, safe_schedule_known, schedule_rate
from kerascanvas.runtime.executor.updates import lean_update
from kerascanvas.runtime.keras_env import import_keras

keras = import_keras()
S = keras.optimizers.schedules

SCHEDULES = {
    "cosine": lambda: S.CosineDecay(0.1, 10, alpha=0.1),
    "cosine_warmup": lambda: S.CosineDecay(0.0, 8, alpha=0.05, warmup_target=0.2,
                                           warmup_steps=4),
    "exponential": lambda: S.ExponentialDecay(0.1, 3, 0.5),
    "staircase": lambda: S.ExponentialDecay(0.1, 3, 0.5, staircase=True),
    "piecewise": lambda: S.PiecewiseConstantDecay([2, 5], [0.1, 0.01, 0.001]),
}


@pytest.mark.parametrize("name", SCHEDULES)
def test_schedule_rates_equal_keras(name):
    schedule = SCHEDULES[name]()
    assert safe_schedule_known(schedule)
    for step in range(16):
        ours = schedule_rate(schedule, torch.tensor(step))
        np.testing.assert_allclose(float(ours), float(schedule(step)), rtol=1e-6, atol=1e-9)


def scaled_pair():
    """Two identical LossScaleOptimizers over identical variables."""
    out = []
    for _ in range(2):
        variables = [keras.Variable(np.linspace(-1, 1, 6, dtype="float32").reshape(2, 3)),
                     keras.Variable(np.ones(3, dtype="float32"))]
        opt = keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(0.1),
                                                  initial_scale=8.0, dynamic_growth_steps=2)
        opt.build(variables)
        out.append((opt, variables))
    return out


def test_loss_scaling_steps_like_keras_for_finite_and_non_finite_gradients():
    (theirs, their_vars), (ours, our_vars) = scaled_pair()
    update = lean_update(ours)
    assert isinstance(update, LossScaled)
    grads = [torch.full((2, 3), 4.0), torch.full((3,), -2.0)]
    bad = [torch.full((2, 3), float("inf")), torch.full((3,), 1.0)]
    for step in (grads, grads, bad, grads, grads, grads):
        theirs.apply([g.clone() for g in step], their_vars)
        update([g.clone() for g in step])
        for a, b in zip(their_vars, our_vars, strict=True):
            np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-6, atol=1e-7)
        for a, b in zip(theirs.variables, ours.variables, strict=True):
            np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-6, atol=1e-7)
    assert float(ours.dynamic_scale) != 8.0 and int(ours.iterations) == 5
