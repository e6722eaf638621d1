"""The executor's lean step trains exactly as Keras' own `fit` does.

Each test trains the same deterministic model twice, from the same initial
weights, with no shuffle: once with Keras' own train step, once with the
executor installed, and compares what Keras computed. Tolerance: the lean
step reorders a few float32 operations (a fused linear layer, a fused batch
norm, an optimizer update that divides before it multiplies), so values agree
to rounding, which a few steps amplify to at most about 1e-5; we allow 1e-4.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import torch

from kerascanvas.runtime.executor import Choice, install
from kerascanvas.runtime.executor.blockers import (
    capture_blockers,
    seeded_random_layers,
    step_blockers,
    variable_inputs,
)
from kerascanvas.runtime.executor.program import Program

L = keras.layers
TOL = 1e-4


def conv_model():
    inputs = keras.Input((6, 6, 2))
    x = L.Conv2D(4, 3, padding="same", use_bias=False)(inputs)
    x = L.ReLU()(L.BatchNormalization()(x))
    y = L.Conv2D(4, 3, padding="same", activation="relu")(L.MaxPooling2D()(x))
    x = L.Add()([L.MaxPooling2D()(x), y])
    x = L.Dense(8, activation="tanh")(L.Flatten()(x))
    return keras.Model(inputs, L.Dense(3, activation="softmax")(x))


def two_way_model():
    a, b = keras.Input((5,), name="a"), keras.Input((4,), name="b")
    h = L.Dense(8, activation="relu")(L.Concatenate()([a, b]))
    out1 = L.Dense(3, activation="softmax", name="cls")(h)
    out2 = L.Dense(1, name="reg")(L.Dense(4, activation="sigmoid")(h))
    return keras.Model([a, b], [out1, out2])


def data(n=48, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 6, 6, 2), dtype="float32"), rng.integers(0, 3, n)


def fit_both(make, compile_kwargs, fit_kwargs, fresh_optimizer):
    """(Keras' model, ours), each fitted from the same initial weights."""
    models = []
    for lean in (False, True):
        keras.utils.set_random_seed(3)
        model = make()
        model.compile(optimizer=fresh_optimizer(), **compile_kwargs)
        if lean:
            assert install(model).path == "lean"
        model.history_ = model.fit(**fit_kwargs, shuffle=False, verbose=0)
        models.append(model)
    return models


def assert_same(theirs, ours, tol=TOL):
    for a, b in zip(theirs.get_weights(), ours.get_weights(), strict=True):
        np.testing.assert_allclose(b, a, atol=tol, rtol=tol)
    for a, b in zip(theirs.optimizer.variables, ours.optimizer.variables, strict=True):
        np.testing.assert_allclose(np.asarray(b), np.asarray(a), atol=tol, rtol=tol)
    for key, values in theirs.history_.history.items():
        np.testing.assert_allclose(ours.history_.history[key], values, atol=tol, rtol=tol)


OPTIMIZERS = {
    "adam": lambda: keras.optimizers.Adam(0.01),
    "adamw": lambda: keras.optimizers.AdamW(0.01, weight_decay=0.01),
    "sgd_momentum": lambda: keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
    "rmsprop": lambda: keras.optimizers.RMSprop(0.005, momentum=0.5),
    "exponential_decay": lambda: keras.optimizers.Adam(
        keras.optimizers.schedules.ExponentialDecay(0.02, 2, 0.5)),
}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_weights_slots_and_bn_statistics_equal_keras_fit(name):
    x, y = data()
    theirs, ours = fit_both(conv_model, {"loss": "sparse_categorical_crossentropy",
                                         "metrics": ["accuracy"]},
                            {"x": x, "y": y, "batch_size": 16, "epochs": 2},
                            OPTIMIZERS[name])
    assert_same(theirs, ours)  # get_weights() holds the BN moving statistics too
    assert int(ours.optimizer.iterations) == int(theirs.optimizer.iterations) == 6
    bn = next(layer for layer in ours.layers if isinstance(layer, L.BatchNormalization))
    assert not np.allclose(bn.moving_variance.numpy(), 1.0)  # the statistics moved


def test_class_weights_and_a_partial_last_batch():
    x, y = data(40)
    theirs, ours = fit_both(conv_model, {"loss": "sparse_categorical_crossentropy"},
                            {"x": x, "y": y, "batch_size": 16, "epochs": 2,
                             "class_weight": {0: 1.0, 1: 3.0, 2: 0.5}},
                            OPTIMIZERS["adam"])
    assert_same(theirs, ours)


def test_multi_input_multi_output_with_loss_weights():
    rng = np.random.default_rng(1)
    xs = [rng.random((32, 5), dtype="float32"), rng.random((32, 4), dtype="float32")]
    ys = [rng.integers(0, 3, 32), rng.random((32, 1), dtype="float32")]
    theirs, ours = fit_both(two_way_model,
                            {"loss": ["sparse_categorical_crossentropy", "mse"],
                             "loss_weights": [1.0, 0.3], "metrics": [["accuracy"], ["mae"]]},
                            {"x": xs, "y": ys, "batch_size": 8, "epochs": 2},
                            OPTIMIZERS["adam"])
    assert_same(theirs, ours)
    assert set(ours.history_.history) == set(theirs.history_.history)


@pytest.mark.parametrize("axis", ["missing", "extra"])
def test_inputs_one_axis_of_1_away_train_as_under_fit(axis):
    """Keras' functional model adds (or drops) a last axis of 1 an input array lacks (has):
    the direct forward pass fed (n, 6, 6) to a Conv2D built for (6, 6, 1) and failed."""
    def grey_model():
        inputs = keras.Input((6, 6, 1) if axis == "missing" else (6, 6))
        conv = L.Conv2D if axis == "missing" else L.Conv1D
        x = L.Flatten()(conv(3, 3, activation="relu")(inputs))
        return keras.Model(inputs, L.Dense(3, activation="softmax")(x))

    x, y = data()
    x = x[..., 0] if axis == "missing" else x[..., :1]
    theirs, ours = fit_both(grey_model, {"loss": "sparse_categorical_crossentropy"},
                            {"x": x, "y": y, "batch_size": 16, "epochs": 2},
                            OPTIMIZERS["adam"])
    assert_same(theirs, ours)


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int64", "float64"])
def test_inputs_of_another_dtype_are_converted_to_the_input_dtype_as_keras_does(dtype):
    """Keras' Functional call converts each input to its Input's dtype; the direct forward
    handed a bool or integer batch to the torch kernels ("mat1 and mat2 must have the same
    dtype, but got Bool and Float")."""
    x, y = data(32)
    x = np.floor(x * 3).astype(dtype)  # 0, 1, 2 (False, True, True)
    theirs, ours = fit_both(conv_model, {"loss": "sparse_categorical_crossentropy"},
                            {"x": x, "y": y, "batch_size": 16, "epochs": 2},
                            OPTIMIZERS["adam"])
    assert_same(theirs, ours)
    assert ours.train_function.forward_path == "direct"


def dict_model():
    """Dict inputs and outputs whose keys are not the Input layers' names (Keras allows it)."""
    a, b = keras.Input((5,), name="a_in"), keras.Input((4,), name="b_in")
    h = L.Dense(8, activation="relu")(L.Concatenate()([a, b]))
    return keras.Model({"right": b, "left": a},
                       {"kind": L.Dense(3, activation="softmax", name="cls")(h),
                        "size": L.Dense(1, name="reg")(h)})


def test_dict_inputs_and_outputs_keyed_apart_from_the_input_names():
    """The direct forward looked dict inputs up by the Input names (KeyError: 'left')
    and returned the outputs as a list, which the dict of losses could not pair."""
    rng = np.random.default_rng(2)
    xs = {"left": rng.random((32, 5), dtype="float32"),
          "right": rng.random((32, 4), dtype="float32")}
    ys = {"kind": rng.integers(0, 3, 32), "size": rng.random((32, 1), dtype="float32")}
    theirs, ours = fit_both(dict_model,
                            {"loss": {"kind": "sparse_categorical_crossentropy", "size": "mse"},
                             "loss_weights": {"kind": 1.0, "size": 0.3}},
                            {"x": xs, "y": ys, "batch_size": 8, "epochs": 2},
                            OPTIMIZERS["adam"])
    assert_same(theirs, ours)
    assert ours.train_function.forward_path == "direct"
    out = Program(ours)({k: torch.as_tensor(v[:4]) for k, v in xs.items()})
    assert set(out) == {"kind", "size"} and tuple(out["size"].shape) == (4, 1)


def test_dropout_masks_differ_between_steps():
    inputs = keras.Input((64,))
    model = keras.Model(inputs, L.Dropout(0.5)(L.Dense(64, name="dense")(inputs)))
    program = Program(model)
    x = torch.ones(4, 64)
    first, second = program(x), program(x)
    assert (first == 0).any() and (second == 0).any()
    assert not torch.equal(first == 0, second == 0)
    keep = first[first != 0]  # Keras' inverted dropout scales the kept units by 2
    np.testing.assert_allclose(keep.detach().numpy(),
                               (model.get_layer("dense")(x) * 2)[first != 0].detach().numpy(),
                               rtol=1e-6)


def test_logs_stay_on_the_device_unless_a_callback_listens():
    x, y = data(32)
    model = conv_model()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    install(model, want_logs=False)
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    logs = model.train_function.logs()
    assert set(logs) == set(model.get_metrics_result()) == {"loss", "accuracy"}
    assert all(v is None for v in logs.values())
    model.train_function.want_logs = True
    assert all(torch.is_tensor(v) for v in model.train_function.logs().values())


def test_logs_are_read_only_when_the_bridge_sends_an_event():
    from kerascanvas.runtime.bridge import FastBridge
    from kerascanvas.runtime.dispatch import callback_list
    from tests.runtime.test_bridge import FakeClock

    x, y = data(40)
    model = conv_model()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    reads, read = [], model.get_metrics_result
    model.get_metrics_result = lambda: reads.append(1) or read()
    events = []
    # Each clock read advances 10 ms: at most 20 events a second let about one batch
    # in five through.
    bridge = FastBridge(events.append, max_rate=20, clock=FakeClock(0.01))
    assert install(model, want_logs=False).path == "lean"
    model.fit(x, y, batch_size=1, epochs=1, verbose=0, shuffle=False,
              callbacks=callback_list([bridge], model, 1, 40))
    sent = [e for e in events if e.kind == "batch_end"]
    assert 5 <= len(sent) <= 10
    # One read per event sent, one for the metric names, one at the epoch's end.
    assert len(reads) <= len(sent) + 2


def test_a_warm_up_then_restore_leaves_no_trace():
    """The captured step's warm-up (CUDA only) is undone by `Snapshot.restore`; the
    mechanism runs on the CPU too: every state tensor and the RNG come back."""
    from kerascanvas.runtime.executor.cuda import Snapshot, _state
    from kerascanvas.runtime.executor.step import LeanStep

    inputs = keras.Input((6, 6, 2))
    x = L.GaussianNoise(0.1, seed=4, name="noise")(L.BatchNormalization(name="bn")(inputs))
    x = L.Dropout(0.3)(L.Flatten()(x))
    model = keras.Model(inputs, L.Dense(3, activation="softmax")(x))
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    step = LeanStep(model)
    step._prepare()
    xs, ys = (torch.from_numpy(a) for a in data(16))
    early = Snapshot(model, "cpu")  # before the metrics are built: refused
    step.body(xs, ys, None)
    with pytest.raises(RuntimeError, match="created state"):
        early.restore()
    model._symbolic_build(data_batch=(xs, ys))  # as `fit` does before its first step
    before = [t.detach().clone() for t in _state(model)]
    rng = torch.get_rng_state()
    snapshot = Snapshot(model, "cpu")
    seed = model.get_layer("noise").seed_generator.state
    seed_before = seed.numpy().copy()
    for _ in range(3):
        step.body(xs, ys, None)
    moved = {"iterations": int(model.optimizer.iterations) == 3,
             "bn": not np.allclose(model.get_layer("bn").moving_mean.numpy(), 0.0),
             "seed": not np.array_equal(seed.numpy(), seed_before),
             "metrics": float(model.metrics[0].count.numpy()) == 48,
             "rng": not torch.equal(torch.get_rng_state(), rng)}
    assert all(moved.values()), moved
    snapshot.restore()
    for old, now in zip(before, _state(model), strict=True):
        assert torch.equal(old, now)
    assert torch.equal(torch.get_rng_state(), rng)


def test_a_replaced_train_step_or_the_keras_setting_keeps_keras_step():
    model = conv_model()
    model.compile("adam", "sparse_categorical_crossentropy")
    assert install(model, enabled=False).path == "keras"
    model.train_step = lambda data: {}
    choice = install(model)
    assert choice.path == "keras" and "replaced" in choice.describe()
    assert model.train_function is None


def test_capture_blockers_name_the_layer_the_input_and_the_schedule():
    inputs = keras.Input((None, 3), name="seq")
    x = L.GaussianNoise(0.1, name="noise")(L.Dense(4)(inputs))
    model = keras.Model(inputs, L.Dropout(0.2, seed=1, name="seeded")(x))
    model.compile(keras.optimizers.Adam(gradient_accumulation_steps=2), "mse")
    assert seeded_random_layers(model) == ["noise", "seeded"]
    assert variable_inputs(model) == ["seq (None, None, 3)"]
    assert step_blockers(model) == []
    if not torch.cuda.is_available():
        assert capture_blockers(model, "cuda", True) == ["CUDA graphs need a CUDA device"]
    choice = install(model, device="cuda" if torch.cuda.is_available() else "cpu",
                     resident=False)
    assert choice.path == "lean"


def test_choice_describes_the_reasons():
    text = Choice("lean", ["the training data is not resident on the GPU"],
                  "forward direct").describe()
    assert text.startswith("Executor: lean step (forward direct)")
    assert "not resident" in text


def test_the_executor_line_says_why_the_forward_pass_goes_through_keras():
    """The log read 'Executor: lean step (forward keras (the dtype policy is
    mixed_bfloat16)).': parentheses in parentheses, in the executor's own words."""
    inputs = keras.Input((4,))
    model = keras.Model(inputs, L.Dense(2, dtype="mixed_bfloat16")(inputs),
                        dtype="mixed_bfloat16")
    model.compile(optimizer="adam", loss="mse")
    text = install(model, device="cpu").describe()
    assert text.startswith("Executor: lean step (forward pass through Keras, as ")
    assert "mixed_bfloat16" in text and text.count("(") == text.count(")") == 1, text
    plain = keras.Model(inputs, L.Dense(2)(inputs))
    plain.compile(optimizer="adam", loss="mse")
    assert install(plain, device="cpu").describe() == \
        "Executor: lean step (direct forward pass)."
