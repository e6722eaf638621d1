"""Layers kept generic (KerasLayer nodes) of one class: their config is written once.

The code defines one function per family (`layer_scale(name, ...)`) and calls it at
each use with what differs; the model it builds must be Keras' own: parameter count,
each layer's get_config, and outputs on a fixed input once the weights are copied.
"""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from keras.src.applications.convnext import LayerScale  # noqa: E402

from kerascanvas.codegen import generate  # noqa: E402
from kerascanvas.codegen.generic_helpers import find_helpers  # noqa: E402
from kerascanvas.runtime.importer import import_model  # noqa: E402
from tests.codegen.test_code_lint import ruff_problems  # noqa: E402
from tests.roundtrip import assert_same_model  # noqa: E402

DESERIALIZE = "keras.saving.deserialize_keras_object("


def three_layer_scales():
    """Three LayerScale layers: two alike but for the name, one with other values; one is
    named as the helper function would be."""
    inputs = keras.Input(shape=(8,), name="x")
    x = keras.layers.Dense(8, name="d1")(inputs)
    x = LayerScale(1e-6, 8, name="layer_scale")(x)
    x = LayerScale(1e-6, 8, name="scale_b")(x)
    x = keras.layers.Dense(4, name="d2")(x)
    outputs = LayerScale(0.5, 4, name="scale_c")(x)
    return keras.Model(inputs, outputs, name="scales")


def _run(code: str):
    namespace: dict = {}
    exec(compile(code, "<generated>", "exec"), namespace)  # noqa: S102
    return namespace["build_model"]()


def _assert_same_outputs(model, rebuilt, data) -> None:
    for layer in model.layers:
        if layer.weights:
            rebuilt.get_layer(layer.name).set_weights(layer.get_weights())
    np.testing.assert_allclose(rebuilt.predict(data, verbose=0), model.predict(data, verbose=0),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("style,script", [("functional", False), ("subclass", False),
                                          ("functional", True)])
def test_a_family_is_written_once_and_builds_keras_model(style, script, tmp_path):
    model = three_layer_scales()
    code = generate(import_model(model), style=style, script=script)
    assert code.count(DESERIALIZE) == 1
    assert "def layer_scale(name, init_values, projection_dim):" in code
    path = tmp_path / "model.py"
    path.write_text(code)
    assert ruff_problems(path) == ""
    rebuilt = _run(code)
    if style == "functional":
        assert_same_model(model, rebuilt)
    else:  # no Functional graph to walk: each layer by name
        assert rebuilt.count_params() == model.count_params()
        for layer in model.layers[1:]:  # past the Input
            assert rebuilt.get_layer(layer.name).get_config() == layer.get_config()
    data = np.random.default_rng(0).normal(size=(3, 8)).astype("float32")
    _assert_same_outputs(model, rebuilt, data)


def test_convnext_tiny_code_writes_layer_scale_once():
    model = keras.applications.ConvNeXtTiny(weights=None, include_top=False,
                                            input_shape=(32, 32, 3))
    code = generate(import_model(model), model_name=model.name)
    assert code.count(DESERIALIZE) == 1
    assert code.count("= layer_scale(") == 18
    rebuilt = _run(code)
    assert_same_model(model, rebuilt)
    data = np.random.default_rng(0).uniform(0, 255, size=(2, 32, 32, 3)).astype("float32")
    _assert_same_outputs(model, rebuilt, data)


def _config(name: str, **values) -> dict:
    return {"module": "m", "class_name": "Scale", "registered_name": None,
            "config": {**values, "name": name}}


def test_values_that_merely_compare_equal_still_vary():
    helpers = find_helpers([_config("a", flag=True), _config("b", flag=1)], frozenset())
    assert [h.varying for h in helpers] == [("flag",)]


def test_no_family_of_one_nor_of_too_many_differences():
    alone = find_helpers([_config("a", k=1)], frozenset())
    many = find_helpers([_config("a", p=1, q=1, r=1, s=1), _config("b", p=2, q=2, r=2, s=2)],
                        frozenset())
    assert alone == many == []


def test_a_helper_name_keeps_clear_of_taken_names_and_argument_names_of_the_body():
    helpers = find_helpers([_config("a", k=1), _config("b", k=2)], frozenset({"scale"}))
    assert [h.function for h in helpers] == ["scale_1"]
    assert find_helpers([_config("a", keras=1), _config("b", keras=2)], frozenset()) == []
