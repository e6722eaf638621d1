"""Masks Keras passes by itself are left out of an imported graph, also from a saved file.

A merge of masked tensors (Add, Concatenate) records the ops that merge their masks, and a
model loaded from a `.keras` file computes that merged mask twice: once by the recorded ops
(passed as `mask=`) and once by the rebuilt merge layer (carried by its output). The two
are one value, so the layer lands on its kind and the mask ops leave no node."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kerascanvas.codegen import generate
from kerascanvas.runtime.importer import import_file_report, import_model_report


def _merged_mask_model():
    tokens = keras.Input((7,), dtype="int32", name="tokens")
    x = keras.layers.Embedding(50, 6, mask_zero=True, name="embed")(tokens)
    attended = keras.layers.MultiHeadAttention(2, 3, name="attend")(x, x)
    x = keras.layers.LayerNormalization(name="norm")(keras.layers.Add(name="add")([x, attended]))
    x = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True), name="bi")(x)
    x = keras.layers.Concatenate(name="join")([x, keras.layers.Dense(3, name="side")(x)])
    return keras.Model(tokens, keras.layers.LSTM(5, name="last")(x), name="merged")


def _tokens():
    data = np.random.default_rng(0).integers(1, 50, size=(4, 7)).astype("int32")
    data[:, 5:] = 0  # masked steps
    data[1, 2:] = 0
    return data


@pytest.mark.parametrize("saved", [False, True], ids=["in_memory", "from_file"])
def test_a_merged_mask_imports_as_the_layers_that_pass_it_on(tmp_path, saved):
    model = _merged_mask_model()
    if saved:
        model.save(tmp_path / "m.keras")
        report = import_file_report(tmp_path / "m.keras")
    else:
        report = import_model_report(model)
    doc = report.doc
    assert report.generic == {}
    assert sorted(n.kind for n in doc.nodes.values()) == sorted([
        "Input", "Embedding", "MultiHeadAttention", "Add", "LayerNormalization",
        "Bidirectional", "Dense", "Concatenate", "LSTM"])
    want = keras.ops.convert_to_numpy(model(_tokens()))
    # The functional style only: called eagerly, as in a subclassed model's call(),
    # MultiHeadAttention takes the masks off the tensors it is given (Keras 3.15), so
    # the Add after it carries another mask than in a functional model.
    for style in ("functional",):
        namespace: dict = {}
        exec(generate(doc, style=style), namespace)  # noqa: S102
        rebuilt = namespace["build_model"]()
        assert rebuilt.count_params() == model.count_params(), style
        for layer in model.layers[1:]:
            rebuilt.get_layer(layer.name).set_weights(layer.get_weights())
        got = keras.ops.convert_to_numpy(rebuilt(_tokens()))
        np.testing.assert_allclose(got, want, atol=1e-5, err_msg=style)


def test_a_mask_of_another_input_stays_an_argument(tmp_path):
    # The mask LSTM is given is computed from `other`, not the one its input carries: it
    # is not Keras' own and must not be dropped (the layer stays generic, with the mask).
    tokens = keras.Input((5,), dtype="int32", name="tokens")
    other = keras.Input((5,), dtype="int32", name="other")
    x = keras.layers.Embedding(20, 4, mask_zero=True, name="embed")(tokens)
    y = keras.layers.LSTM(3, name="lstm")(x, mask=keras.ops.not_equal(other, 0))
    keras.Model([tokens, other], y).save(tmp_path / "m.keras")
    report = import_file_report(tmp_path / "m.keras")
    assert "lstm" in report.generic
    assert "mask" in report.generic["lstm"]
