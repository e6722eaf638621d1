"""Optimizers and schedules from the settings, against Keras and closed-form rates."""

import math

import numpy as np
import pytest

from kerascanvas.graph.training_schema import OPTIMIZERS
from kerascanvas.runtime.keras_env import import_keras
from kerascanvas.runtime.optim import (
    OPTIMIZER_CLASSES,
    current_learning_rate,
    make_optimizer,
    make_schedule,
    steps_per_epoch,
)

keras = import_keras()


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_schema_defaults_are_keras_defaults(name):
    config = getattr(keras.optimizers, OPTIMIZER_CLASSES[name])().get_config()
    for key, default in OPTIMIZERS[name].items():
        assert config[key] == pytest.approx(default), (name, key)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_config_matches_keras(name):
    options = {"learning_rate": 0.02, "clipnorm": 1.5}
    if "momentum" in OPTIMIZERS[name]:
        options["momentum"] = 0.5
    ours = make_optimizer({"optimizer": {"name": name, **options}}, steps_per_epoch=10)
    theirs = getattr(keras.optimizers, OPTIMIZER_CLASSES[name])(**options)
    mine, ref = ours.get_config(), theirs.get_config()
    mine.pop("name"), ref.pop("name")
    assert mine == ref


def test_left_out_learning_rate_takes_the_optimizers_default():
    sgd = make_optimizer({"optimizer": {"name": "sgd"}}, 1)
    assert current_learning_rate(sgd) == pytest.approx(keras.optimizers.SGD().learning_rate)


def test_unknown_names_are_refused_naming_the_field():
    with pytest.raises(ValueError, match=r"training\.optimizer\.name.*'adamx'"):
        make_optimizer({"optimizer": {"name": "adamx"}}, 1)
    with pytest.raises(ValueError, match=r"training\.optimizer\.nesterov"):
        make_optimizer({"optimizer": {"name": "adam", "nesterov": True}}, 1)
    with pytest.raises(ValueError, match=r"training\.schedule\.name"):
        make_schedule({"name": "linear"}, 0.1, 10, 5)


def rate_at(schedule, step: int) -> float:
    return float(keras.ops.convert_to_numpy(schedule(step)))


def test_cosine_decay_follows_the_formula_over_the_whole_run():
    lr, spe, epochs, alpha = 0.1, 7, 4, 0.05
    schedule = make_schedule({"name": "cosine_decay", "alpha": alpha}, lr, spe, epochs)
    total = spe * epochs
    for step in (0, 5, 13, total - 1, total, total + 9):
        t = min(step, total) / total
        expected = lr * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * t)) + alpha)
        assert rate_at(schedule, step) == pytest.approx(expected, rel=1e-5)


def test_cosine_warmup_rises_linearly_to_the_base_rate():
    schedule = make_schedule({"name": "cosine_decay", "warmup_epochs": 1}, 0.2, 10, 3)
    assert rate_at(schedule, 0) == pytest.approx(0.0, abs=1e-7)
    assert rate_at(schedule, 5) == pytest.approx(0.1, rel=1e-5)
    assert rate_at(schedule, 10) == pytest.approx(0.2, rel=1e-5)


@pytest.mark.parametrize("staircase", [False, True])
def test_exponential_decay_counts_epochs(staircase):
    spec = {"name": "exponential_decay", "decay_epochs": 2, "decay_rate": 0.5,
            "staircase": staircase}
    schedule = make_schedule(spec, 0.1, 5, 10)
    for step in (0, 3, 10, 17, 40):
        power = step / 10
        expected = 0.1 * 0.5 ** (np.floor(power) if staircase else power)
        assert rate_at(schedule, step) == pytest.approx(expected, rel=1e-5)


def test_step_schedule_is_piecewise_constant_with_epoch_boundaries():
    schedule = make_schedule({"name": "step", "boundaries": [2, 5]}, 1.0, 10, 8)
    assert isinstance(schedule, keras.optimizers.schedules.PiecewiseConstantDecay)
    # Keras' PiecewiseConstantDecay: values[i] while step <= boundaries[i].
    expected = {0: 1.0, 20: 1.0, 21: 0.1, 50: 0.1, 51: 0.01, 79: 0.01}
    for step, rate in expected.items():
        assert rate_at(schedule, step) == pytest.approx(rate, rel=1e-6)
    explicit = make_schedule({"name": "step", "boundaries": [1], "values": [0.3, 0.03]},
                             1.0, 4, 2)
    assert rate_at(explicit, 5) == pytest.approx(0.03)
    with pytest.raises(ValueError, match=r"training\.schedule\.values"):
        make_schedule({"name": "step", "boundaries": [1], "values": [0.3]}, 1.0, 4, 2)


def test_optimizer_applies_its_schedule_while_training():
    x = np.random.default_rng(0).standard_normal((32, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    settings = {"optimizer": {"name": "sgd", "learning_rate": 0.1}, "epochs": 3,
                "schedule": {"name": "step", "boundaries": [1, 2], "factor": 0.5}}
    spe = steps_per_epoch(32, 8)
    assert spe == 4
    model.compile(make_optimizer(settings, spe), "mse")
    model.fit(x, y, batch_size=8, epochs=3, verbose=0)
    assert int(model.optimizer.iterations) == 12
    assert current_learning_rate(model.optimizer) == pytest.approx(0.025)
