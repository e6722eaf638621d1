"""Continuing a model trained under mixed_float16 keeps its optimizer's state: Keras saves
that optimizer wrapped in a LossScaleOptimizer, and loading it outside that policy skipped
every optimizer variable (with only a UserWarning), so the step count (and a schedule
with it) and Adam's moments started again from zero."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerascanvas.runtime.precision import precision_scope  # noqa: E402
from kerascanvas.runtime.train_model import continue_from  # noqa: E402


def small_model(policy: str):
    with precision_scope(policy):
        x = keras.Input((4,), name="x")
        hidden = keras.layers.Dense(8, name="hidden")(x)
        out = keras.layers.Dense(3, activation="softmax", dtype="float32", name="out")(hidden)
        model = keras.Model(x, out)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


@pytest.mark.parametrize("now", ["mixed_float16", "float32"])
def test_a_mixed_float16_model_continues_with_its_optimizer_state(tmp_path, now):
    trained = small_model("mixed_float16")
    rng = np.random.default_rng(0)
    trained.fit(rng.random((64, 4), dtype="float32"), rng.integers(0, 3, 64), epochs=2,
                batch_size=16, verbose=0)
    path = tmp_path / "trained.keras"
    trained.save(path)
    inner = trained.optimizer.inner_optimizer  # Keras' own LossScaleOptimizer wrapping
    moments = {v.name: keras.ops.convert_to_numpy(v) for v in inner.variables
               if "momentum" in v.name}
    model = small_model(now)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # "Skipping variable loading ..."
        continue_from(model, str(path))
    assert int(model.optimizer.iterations) == int(trained.optimizer.iterations) == 8
    got = {v.name: keras.ops.convert_to_numpy(v) for v in model.optimizer.variables}
    assert moments and all(np.array_equal(got[name], value) for name, value in moments.items())
