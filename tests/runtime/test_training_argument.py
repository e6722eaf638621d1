"""A layer call that records its own training value (`Dropout()(x, training=True)`, Monte
Carlo dropout) computes in each code style what the Keras model computes: the recorded
value holds when the model is called without `training`, and the model's own `training`
(predict's False) wins over it, as a Functional model reads it."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kerascanvas.codegen import generate
from kerascanvas.runtime.importer import import_model


def _mc_dropout_model():
    x = keras.Input((400,), name="x")
    y = keras.layers.Dropout(0.5, name="drop")(x, training=True)
    return keras.Model(x, keras.layers.Dense(4, name="dense")(y), name="mc")


# Not the Sequential style: it lists layers, and calls none with arguments of its own.
@pytest.mark.parametrize("style", ["functional", "subclass"])
def test_a_recorded_training_value_holds_as_in_keras(style):
    model = _mc_dropout_model()
    namespace: dict = {}
    exec(generate(import_model(model), style=style), namespace)  # noqa: S102
    rebuilt = namespace["build_model"]()
    rebuilt.get_layer("dense").set_weights(model.get_layer("dense").get_weights())
    data = np.ones((2, 400), "float32")
    want = keras.ops.convert_to_numpy(model(data, training=False))
    got = keras.ops.convert_to_numpy(rebuilt(data, training=False))
    np.testing.assert_allclose(got, want, atol=1e-5)  # predict's training=False wins
    np.testing.assert_allclose(rebuilt.predict(data, verbose=0), want, atol=1e-5)
    for made in (model, rebuilt):  # called without training, the dropout acts
        once = keras.ops.convert_to_numpy(made(data))
        assert not np.allclose(once, want, atol=1e-3)
