"""A model on dicts of inputs and outputs imports as lists, and the import says so."""

from __future__ import annotations

import numpy as np

from kerascanvas.codegen import generate
from kerascanvas.runtime.importer import import_model_report
from kerascanvas.runtime.keras_env import import_keras


def _dict_model():
    keras = import_keras()
    left = keras.Input((4,), name="left_in")
    right = keras.Input((3,), name="right_in")
    x = keras.layers.Concatenate(name="cat")([left, right])
    value = keras.layers.Dense(1, name="dense_value")(x)
    probs = keras.layers.Dense(2, activation="softmax", name="dense_probs")(x)
    return keras.Model({"right": right, "left": left}, {"value": value, "probs": probs})


def _layer_of(tensor) -> str:
    return tensor._keras_history[0].name


def test_dict_inputs_and_outputs_are_noted_in_keras_flat_order():
    model = _dict_model()
    notes = " ".join(import_model_report(model).notes)
    inputs = ", ".join(_layer_of(t) for t in model.inputs)
    outputs = ", ".join(_layer_of(t) for t in model.outputs)
    assert "takes a dict" in notes and f"[{inputs}]" in notes
    assert "returns a dict" in notes and f"[{outputs}]" in notes


def test_the_rebuilt_list_model_matches_the_dict_model_by_position():
    keras = import_keras()
    model = _dict_model()
    namespace: dict = {}
    exec(generate(import_model_report(model).doc), namespace)  # our own generated code
    rebuilt = namespace["build_model"]()
    for layer in model.layers:
        rebuilt.get_layer(layer.name).set_weights(layer.get_weights())
    rng = np.random.default_rng(0)
    feed = {"left": rng.normal(size=(2, 4)), "right": rng.normal(size=(2, 3))}
    expected = keras.tree.flatten(model(feed))
    got = rebuilt([feed[key] for key in sorted(feed)])
    for want, have in zip(expected, got, strict=True):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(have),
                                   keras.ops.convert_to_numpy(want), rtol=1e-6)


def test_a_list_model_gets_no_structure_note():
    keras = import_keras()
    inp = keras.Input((4,), name="x")
    model = keras.Model([inp], [keras.layers.Dense(2, name="d")(inp)])
    assert not any("dict" in note for note in import_model_report(model).notes)
