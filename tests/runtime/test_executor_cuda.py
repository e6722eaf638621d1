"""The captured CUDA-graph step. These tests need a CUDA GPU and skip without one;
`benchmarks/gpu_checks.sh` runs them on a GPU machine."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from kerascanvas.runtime.executor import install
from kerascanvas.runtime.keras_env import device_scope, import_keras

keras = import_keras()
L = keras.layers
pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def conv_bn_model(dropout=0.0):
    inputs = keras.Input((8, 8, 3))
    # No bias before BatchNormalization: its gradient is zero up to rounding, which
    # Adam scales up to a full step, so it would differ between any two kernels.
    conv = L.Conv2D(8, 3, padding="same", use_bias=False)
    x = L.ReLU()(L.BatchNormalization()(conv(inputs)))
    x = L.Dropout(dropout)(L.Flatten()(x)) if dropout else L.Flatten()(x)
    return keras.Model(inputs, L.Dense(4, activation="softmax")(x))


def fitted(captured: bool, optimizer, n=52, epochs=2, callbacks=()):
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.random((n, 8, 8, 3), dtype="float32")).cuda()
    y = torch.from_numpy(rng.integers(0, 4, n)).cuda()
    with device_scope("cuda"):
        keras.utils.set_random_seed(5)
        model = conv_bn_model()
        model.compile(optimizer(), "sparse_categorical_crossentropy", metrics=["accuracy"])
        choice = install(model, "cuda", resident=True) if captured else None
        history = model.fit(x, y, batch_size=16, epochs=epochs, shuffle=False, verbose=0,
                            callbacks=list(callbacks))
    return model, history.history, choice


@pytest.mark.parametrize("optimizer", [
    lambda: keras.optimizers.Adam(0.01),
    lambda: keras.optimizers.SGD(keras.optimizers.schedules.CosineDecay(
        0.0, 6, warmup_target=0.05, warmup_steps=2), momentum=0.9),
])
def test_replayed_steps_equal_keras_fit(optimizer):
    theirs, their_logs, _ = fitted(False, optimizer)
    ours, our_logs, choice = fitted(True, optimizer)
    assert choice.path == "cuda-graph", choice.describe()
    assert ours.train_function.failed is None
    assert len(ours.train_function.graphs) == 2  # full batches and the last partial one
    for a, b in zip(theirs.get_weights(), ours.get_weights(), strict=True):
        np.testing.assert_allclose(b, a, atol=1e-4, rtol=1e-4)
    assert int(ours.optimizer.iterations) == int(theirs.optimizer.iterations) == 8
    for key, values in their_logs.items():
        np.testing.assert_allclose(our_logs[key], values, atol=1e-4, rtol=1e-4)


def test_dropout_masks_differ_under_replay():
    with device_scope("cuda"):
        model = conv_bn_model(dropout=0.5)
        # Plain SGD: a kernel row's update is zero exactly where dropout dropped its unit.
        model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
        install(model, "cuda", resident=True)
        x = torch.rand(16, 8, 8, 3, device="cuda")
        y = torch.zeros(16, dtype=torch.int64, device="cuda")
        step = model.train_function
        before = model.get_weights()
        step([(x, y)])
        first = [w - b for w, b in zip(model.get_weights(), before, strict=True)]
        mid = model.get_weights()
        step([(x, y)])
        second = [w - b for w, b in zip(model.get_weights(), mid, strict=True)]
    assert len(step.graphs) == 1
    dense_kernel = -2  # the dense kernel's update depends on the dropout mask
    assert not np.allclose(first[dense_kernel] != 0, second[dense_kernel] != 0)


class HalveRate(keras.callbacks.Callback):
    """Halves the rate when epoch 1 begins, as ReduceLROnPlateau does (it assigns the
    optimizer's rate variable in place)."""

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 1:
            optimizer = self.model.optimizer
            optimizer.learning_rate = float(optimizer.learning_rate) * 0.5


def test_a_rate_changed_mid_run_takes_effect_under_replay():
    def adam():
        return keras.optimizers.Adam(0.02)

    theirs, their_logs, _ = fitted(False, adam, epochs=3, callbacks=[HalveRate()])
    ours, our_logs, choice = fitted(True, adam, epochs=3, callbacks=[HalveRate()])
    unchanged, _, _ = fitted(True, adam, epochs=3)
    assert choice.path == "cuda-graph" and ours.train_function.failed is None
    assert float(ours.optimizer.learning_rate) == pytest.approx(0.01)
    for a, b in zip(theirs.get_weights(), ours.get_weights(), strict=True):
        np.testing.assert_allclose(b, a, atol=1e-4, rtol=1e-4)
    np.testing.assert_allclose(our_logs["loss"], their_logs["loss"], atol=1e-4, rtol=1e-4)
    # The replayed graph read the new rate: without the change the weights differ.
    assert not all(np.allclose(a, b, atol=1e-4) for a, b in
                   zip(unchanged.get_weights(), ours.get_weights(), strict=True))


# The engine's runs on CUDA (`kerascanvas run`, the worker): every callback, NaN
# termination and a saved model's continuation, under Keras' step and the capture.
def test_callbacks_behave_as_under_keras_step_under_replay(tmp_path):
    from tests.runtime.test_executor_engine import check_callbacks

    check_callbacks(tmp_path, "cuda", "cuda-graph")


def test_terminate_on_nan_stops_at_the_same_batch_under_replay():
    from tests.runtime.test_executor_engine import check_terminate_on_nan

    check_terminate_on_nan("cuda")


def test_a_saved_model_continues_under_replay(tmp_path):
    from tests.runtime.test_executor_engine import check_save_and_continue

    check_save_and_continue(tmp_path, "cuda")
