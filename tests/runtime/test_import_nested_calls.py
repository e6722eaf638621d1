"""Nested models called with keywords Keras passes by itself: a masked tensor (Keras
passes its mask along) and a dict of tensors (Keras records a dict of `None` masks); and a
nested model taking integer token ids (an Embedding inside), once inlined for its dtype.

Both were refused as calls "with ['mask']". A sub-model on a masked tensor stays a
nested-model block, from memory and from a saved `.keras` file, and both rebuilds
compute what Keras computes, masked steps included. A sub-model taking a dict is
inlined, with a note saying so (a block's ports keep no keys), and computes the same.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kerascanvas.runtime.build import build_model
from kerascanvas.runtime.importer import import_file_report, import_model_report
from tests.roundtrip import (
    assert_rebuilds_equal,
    assert_same_model,
    assert_same_outputs,
    copy_weights,
    counts,
    exec_generated,
)

layers = keras.layers


def _masked_encoder():
    seq = keras.Input((None, 4), name="enc_in")
    encoder = keras.Model(seq, layers.LSTM(3, name="enc_lstm")(seq), name="encoder")
    tokens = keras.Input((6,), dtype="int32", name="tokens")
    embedded = layers.Embedding(10, 4, mask_zero=True, name="embed")(tokens)
    return keras.Model(tokens, layers.Dense(2, name="head")(encoder(embedded)), name="masked")


def _dict_fed():
    a, b = keras.Input((4,), name="a"), keras.Input((2,), name="b")
    joined = layers.Concatenate(name="join")([a, layers.Dense(3, name="widen")(b)])
    sub = keras.Model({"a": a, "b": b}, joined, name="sub")
    x, y = keras.Input((4,), name="x"), keras.Input((2,), name="y")
    return keras.Model([x, y], layers.Dense(1, name="head")(sub({"b": y, "a": x})),
                       name="dict_fed")


def _report(model, saved: bool, tmp_path):
    if not saved:
        return import_model_report(model), model
    path = tmp_path / "model.keras"
    model.save(path)
    return import_file_report(path), keras.saving.load_model(path, safe_mode=True)


def _tokens():
    data = np.random.default_rng(1).integers(1, 10, size=(3, 6)).astype("int32")
    data[:, 4:] = 0  # masked steps, which the encoder's LSTM skips
    data[1, 1:] = 0
    return data


@pytest.mark.parametrize("saved", [False, True], ids=["in_memory", "from_file"])
def test_a_masked_tensor_into_a_nested_model_keeps_the_block_and_the_mask(saved, tmp_path):
    report, model = _report(_masked_encoder(), saved, tmp_path)
    doc = report.doc
    assert not report.notes, report.notes
    assert [n.kind for n in doc.nodes.values()] == ["Input", "Embedding", "UserBlock", "Dense"]
    assert_rebuilds_equal(model, doc)
    tokens = _tokens()
    want = keras.ops.convert_to_numpy(model(tokens))
    unmasked = np.where(tokens == 0, 5, tokens)  # the mask changes the answer
    assert not np.allclose(want, keras.ops.convert_to_numpy(model(unmasked)))
    for rebuilt in (build_model(doc, name=model.name), exec_generated(doc)):
        copy_weights(model, rebuilt)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(rebuilt(tokens)), want,
                                   rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("saved", [False, True], ids=["in_memory", "from_file"])
def test_a_nested_model_called_on_a_dict_is_inlined_with_a_note(saved, tmp_path):
    report, model = _report(_dict_fed(), saved, tmp_path)
    doc = report.doc
    assert len(report.notes) == 1 and "'sub' was inlined" in report.notes[0]
    assert "dict" in report.notes[0]
    assert [n.kind for n in doc.nodes.values()] == ["Input", "Input", "Dense", "Concatenate",
                                                    "Dense"]
    for rebuilt in (build_model(doc, name=model.name), exec_generated(doc)):
        assert counts(rebuilt) == counts(model)
        assert_same_model(model, rebuilt)
        assert_same_outputs(model, rebuilt)  # each key's tensor reaches its own input


def _token_encoder():
    """keras.Sequential([Input(int32), Embedding(mask_zero), LSTM]) inside a model: the
    text encoder of many Keras examples. Inlined, it lost its nesting, and its layer
    paths ('encoder/embed') no longer matched the file's weights."""
    encoder = keras.Sequential([keras.Input((6,), dtype="int32"),
                                layers.Embedding(10, 4, mask_zero=True, name="embed"),
                                layers.LSTM(3, name="enc_lstm")], name="encoder")
    tokens = keras.Input((6,), dtype="int32", name="tokens")
    return keras.Model(tokens, layers.Dense(2, name="head")(encoder(tokens)), name="texts")


@pytest.mark.parametrize("saved", [False, True], ids=["in_memory", "from_file"])
def test_a_nested_model_taking_token_ids_stays_a_block(saved, tmp_path):
    report, model = _report(_token_encoder(), saved, tmp_path)
    doc = report.doc
    assert not report.notes, report.notes
    assert [n.kind for n in doc.nodes.values()] == ["Input", "UserBlock", "Dense"]
    assert_rebuilds_equal(model, doc)
    tokens = _tokens()
    want = keras.ops.convert_to_numpy(model(tokens))
    for rebuilt in (build_model(doc, name=model.name), exec_generated(doc),
                    exec_generated(doc, style="subclass")):
        assert rebuilt.get_layer("encoder").inputs[0].dtype == "int32"
        copy_weights(model, rebuilt)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(rebuilt(tokens)), want,
                                   rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["class", "None", "match", "__hidden"])
def test_a_nested_model_named_a_python_keyword_imports_valid(name):
    """Keras takes any model name; a block name must be a usable Python identifier. The
    block was named as the model, and the imported project failed validation."""
    sub_in = keras.Input((4,), name="sub_in")
    sub = keras.Model(sub_in, layers.Dense(3, name="inner")(sub_in), name=name)
    x = keras.Input((4,), name="x")
    model = keras.Model(x, layers.Dense(2, name="head")(sub(x)), name="keyworded")
    report = import_model_report(model)
    assert not report.notes, report.notes
    assert [n.name for n in report.doc.nodes.values()] == ["x", name, "head"]
    assert_rebuilds_equal(model, report.doc)  # the nested model keeps its Keras name
