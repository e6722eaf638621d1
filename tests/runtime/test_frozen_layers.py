"""Frozen layers (`trainable=False`) on any node: counts, import, codegen, build and fit.

Keras' own numbers are the reference: the weights a frozen layer puts in
`non_trainable_weights`, the config it writes, and its weights after `fit`.
"""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerascanvas.graph.document import Document, Edge  # noqa: E402
from kerascanvas.graph.spec import LAYER_SPECS  # noqa: E402
from kerascanvas.graph.summary import format_summary  # noqa: E402
from kerascanvas.graph.validate import analyze  # noqa: E402
from kerascanvas.runtime.build import build_model  # noqa: E402
from kerascanvas.runtime.importer import import_model  # noqa: E402
from kerascanvas.runtime.train import load_checked_data, prepare, train  # noqa: E402
from tests.keras_ref import keras_output  # noqa: E402
from tests.roundtrip import assert_same_model, counts, exec_generated  # noqa: E402

# Kinds with trainable weights, non-trainable ones (BatchNormalization) and several inputs.
WEIGHTED = ["Dense", "Conv2D", "BatchNormalization", "LSTM", "Embedding", "LayerNormalization",
            "MultiHeadAttention"]


def test_every_keras_layer_kind_can_be_frozen_unless_keras_refuses():
    for kind, spec in LAYER_SPECS.items():
        if spec.keras_module != "keras.layers" or spec.is_composite or kind == "KerasLayer":
            continue
        if spec.freezable:
            assert spec.param("trainable").default is True, kind
        else:  # the exception must be Keras' own: its constructor refuses the keyword
            with pytest.raises(TypeError, match="trainable"):
                getattr(keras.layers, kind)(**spec.initial_params(), trainable=False)


def test_frozen_count_rule_equals_keras():
    for kind in WEIGHTED:
        spec = LAYER_SPECS[kind]
        sample = spec.samples[0]
        params = {**sample.params, "trainable": False}
        _, theirs = keras_output(spec, params, sample.inputs)
        ours = spec.count(spec.resolve(params), list(sample.inputs))
        assert ours == theirs, kind
        assert ours[0] == 0 and ours[1] > 0, kind


def frozen_model():
    x = keras.Input((6,), name="x")
    h = keras.layers.Dense(5, activation="relu", trainable=False, name="frozen_dense")(x)
    h = keras.layers.BatchNormalization(trainable=False, name="frozen_bn")(h)
    return keras.Model(x, keras.layers.Dense(3, activation="softmax", name="head")(h))


def test_frozen_layers_import_as_their_kind_and_round_trip():
    model = frozen_model()
    doc = import_model(model)
    assert doc.find("frozen_dense").kind == "Dense"
    assert doc.find("frozen_dense").params["trainable"] is False
    assert doc.find("frozen_bn").params == {"trainable": False}
    assert "trainable" not in doc.find("head").params
    analysis = analyze(doc)
    assert analysis.total_params == counts(model)
    assert f"Non-trainable params: {counts(model)[1]:,}" in format_summary(doc, analysis)
    for rebuilt in (build_model(doc), exec_generated(doc)):
        assert_same_model(model, rebuilt)
        assert counts(rebuilt) == counts(model)


class _Weights(keras.callbacks.Callback):
    """Keeps every layer's weights as they are when fit starts and when it ends."""

    def on_train_begin(self, logs=None):
        self.before = {la.name: [w.copy() for w in la.get_weights()] for la in self.model.layers}

    def on_train_end(self, logs=None):
        self.after = {la.name: la.get_weights() for la in self.model.layers}


@pytest.mark.parametrize("executor", ["auto", "keras"])
def test_frozen_layers_stay_frozen_during_fit(executor):
    doc = Document()
    x = doc.add_node("Input", "x", {"shape": [6]})
    frozen = doc.add_node("Dense", "frozen", {"units": 5, "activation": "relu",
                                              "trainable": False})
    bn = doc.add_node("BatchNormalization", "bn", {"trainable": False})
    head = doc.add_node("Dense", "head", {"units": 2, "activation": "softmax"})
    for a, b in ((x, frozen), (frozen, bn), (bn, head)):
        doc.connect(Edge(a.id, 0, b.id, 0))
    doc.outputs = [head.id]
    doc.training = {"data": "synthetic:64", "batch_size": 16, "epochs": 2, "seed": 0,
                    "executor": executor}
    doc, settings = prepare(doc)
    weights = _Weights()
    result = train(doc, load_checked_data(doc, settings), callbacks=[weights])
    assert result.ok, result.message
    for name in ("frozen", "bn"):  # the moving statistics of a frozen BN stay put too
        for old, new in zip(weights.before[name], weights.after[name], strict=True):
            np.testing.assert_array_equal(old, new)
    assert any(not np.array_equal(o, n) for o, n in zip(
        weights.before["head"], weights.after["head"], strict=True))


def test_a_frozen_nested_model_stays_frozen_during_fit():
    from tests.runtime.test_roundtrip_models import frozen_base

    doc = import_model(frozen_base())
    doc.training = {"data": "synthetic:32", "batch_size": 16, "epochs": 1, "seed": 0}
    doc, settings = prepare(doc)
    weights = _Weights()
    result = train(doc, load_checked_data(doc, settings), callbacks=[weights])
    assert result.ok, result.message
    assert counts(result.model) == analyze(doc).total_params
    for old, new in zip(weights.before["base"], weights.after["base"], strict=True):
        np.testing.assert_array_equal(old, new)
    assert any(not np.array_equal(o, n) for o, n in zip(
        weights.before["head"], weights.after["head"], strict=True))


@pytest.mark.parametrize("style", ["functional", "subclass"])
def test_a_frozen_block_freezes_all_its_layers(style):
    doc = Document()
    x = doc.add_node("Input", "image", {"shape": [8, 8, 3]})
    block = doc.add_node("ResidualBlock", "res", {"filters": 4, "use_projection": True,
                                                  "trainable": False})
    pool = doc.add_node("GlobalAveragePooling2D", "gap", {})
    head = doc.add_node("Dense", "head", {"units": 2})
    for a, b in ((x, block), (block, pool), (pool, head)):
        doc.connect(Edge(a.id, 0, b.id, 0))
    doc.outputs = [head.id]
    built = build_model(doc)
    inner = [la for la in built.layers if la.name.startswith("res_")]
    assert inner and not any(la.trainable for la in inner)
    assert analyze(doc).total_params == counts(built)
    assert counts(built)[0] == 4 * 2 + 2  # only the head trains
    written = exec_generated(doc, style=style)
    assert counts(written) == counts(built)
    for layer in built.layers[1:]:  # after the InputLayer
        twin = written.get_layer(layer.name)
        assert type(twin) is type(layer) and twin.get_config() == layer.get_config()
