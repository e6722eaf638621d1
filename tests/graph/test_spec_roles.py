"""The roles recorded in the LayerSpec table (noise, activation, composite) agree with Keras."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kerascanvas.graph.spec import LAYER_SPECS
from tests.keras_ref import keras_layer

NOISE = sorted(k for k, s in LAYER_SPECS.items() if s.noise)
ACTIVATIONS = sorted(k for k, s in LAYER_SPECS.items() if s.activation)
INPUTS = {"SpatialDropout1D": (8, 6, 4), "SpatialDropout2D": (8, 6, 6, 4),
          "SpatialDropout3D": (8, 4, 4, 4, 3)}


def _params(spec) -> dict:
    params = spec.initial_params()
    if any(p.name == "rate" for p in spec.params):
        params["rate"] = 0.5
    return params


def test_the_noise_kinds_are_the_known_ones():
    assert set(NOISE) >= {"Dropout", "SpatialDropout1D", "SpatialDropout2D"}


@pytest.mark.parametrize("kind", NOISE)
def test_noise_kinds_change_their_input_in_training_only(kind):
    spec = LAYER_SPECS[kind]
    layer = keras_layer(spec, _params(spec))
    x = np.random.default_rng(0).uniform(1.0, 2.0, INPUTS.get(kind, (8, 32))).astype("float32")
    assert np.allclose(keras.ops.convert_to_numpy(layer(x, training=False)), x)
    assert not np.allclose(keras.ops.convert_to_numpy(layer(x, training=True)), x)


@pytest.mark.parametrize("kind", ACTIVATIONS)
def test_activation_kinds_apply_the_activation_they_name(kind):
    spec = LAYER_SPECS[kind]
    x = np.linspace(-3, 3, 24, dtype="float32").reshape(4, 6)
    ours = keras.ops.convert_to_numpy(keras_layer(spec, spec.initial_params())(x))
    named = keras.ops.convert_to_numpy(keras.activations.get(spec.activation)(x))
    if kind == "LeakyReLU":  # the function's default slope is 0.2, the layer's 0.3
        named = keras.ops.convert_to_numpy(keras.activations.leaky_relu(x, negative_slope=0.3))
    assert np.allclose(ours, named, atol=1e-6)


def test_composite_kinds_are_the_ones_that_build_more_than_one_layer():
    composite = {k for k, s in LAYER_SPECS.items() if s.is_composite}
    assert {"Application", "UserBlock"} <= composite
    assert all(LAYER_SPECS[k].is_composite for k in LAYER_SPECS if LAYER_SPECS[k].is_block)
    assert not {"Dense", "Conv2D", "Input", "KerasLayer", "SharedCall"} & composite
