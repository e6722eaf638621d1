"""MultiHeadAttention's attention scores as a second output port: a Keras model that
calls it with return_attention_scores=True and feeds the scores on imports onto one
node with the flag set, and rebuilds by both paths with Keras' parameter count, configs
and equal outputs (weights copied)."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerascanvas.codegen import generate  # noqa: E402
from kerascanvas.graph.projectfile import from_dict, to_dict  # noqa: E402
from kerascanvas.graph.training import output_names  # noqa: E402
from kerascanvas.graph.validate import analyze  # noqa: E402
from kerascanvas.runtime.build import build_model  # noqa: E402
from kerascanvas.runtime.importer import import_model  # noqa: E402
from tests.keras_ref import eager_scores_shape  # noqa: E402
from tests.roundtrip import (  # noqa: E402
    assert_same_model,
    assert_shapes_match_keras,
    exec_generated,
)


def scores_model():
    """Self-attention whose scores feed a small head next to the attended sequence."""
    layers = keras.layers
    x = keras.Input((6, 8), name="x")
    attended, scores = layers.MultiHeadAttention(2, 4, name="mha")(
        x, x, return_attention_scores=True)
    pooled = layers.GlobalAveragePooling1D(name="pool")(attended)
    flat = layers.Flatten(name="flat")(scores)
    head = layers.Dense(3, name="head")(layers.Concatenate(name="cat")([pooled, flat]))
    return keras.Model(x, head, name="scores")


def test_scores_feed_other_nodes_and_round_trip():
    model = scores_model()
    doc = import_model(model)
    node = doc.find("mha")
    assert node.kind == "MultiHeadAttention" and node.params["return_attention_scores"] is True
    assert_shapes_match_keras(doc, model)
    doc = from_dict(to_dict(doc))
    data = np.random.default_rng(1).random((2, 6, 8)).astype("float32")
    expected = keras.ops.convert_to_numpy(model(data))
    for rebuilt in (build_model(doc, name="scores"), exec_generated(doc, model_name="scores")):
        assert_same_model(model, rebuilt)
        for layer in model.layers:
            rebuilt.get_layer(layer.name).set_weights(layer.get_weights())
        got = keras.ops.convert_to_numpy(rebuilt(data))
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_code_unpacks_output_and_scores():
    source = generate(import_model(scores_model()))
    assert "mha, mha_out1 = layers.MultiHeadAttention(" in source
    assert "(x, x, return_attention_scores=True)" in source


def test_cross_attention_scores_shape_is_the_computed_one():
    # Query and value of different lengths: the scores are (batch, heads, T, S), as Keras
    # computes them (its symbolic spec would say (batch, heads, T, T)).
    from kerascanvas.graph.spec import get_spec
    from tests.runtime.test_build import graph

    doc = graph([("q", "Input", {"shape": [5, 8]}), ("v", "Input", {"shape": [7, 6]}),
                 ("mha", "MultiHeadAttention",
                  {"num_heads": 3, "key_dim": 4, "return_attention_scores": True})],
                [("q", "mha"), ("v", "mha")], ["mha"])
    shapes = analyze(doc).results[doc.find("mha").id].output_shapes
    spec = get_spec("MultiHeadAttention")
    params = {"num_heads": 3, "key_dim": 4, "return_attention_scores": True}
    assert shapes[1] == eager_scores_shape(spec, params, [(None, 5, 8), (None, 7, 6)])
    assert shapes[1] == (None, 3, 5, 7)


def test_scores_and_states_as_model_outputs_are_ports():
    # A model output on a further port is that port of the node (no carrier layer is
    # added), and the rebuilt model computes the same outputs.
    layers = keras.layers
    q, v = keras.Input((5, 8), name="q"), keras.Input((7, 6), name="v")
    attended, scores = layers.MultiHeadAttention(2, 4, name="mha")(
        q, v, return_attention_scores=True)
    seq, h, c = layers.LSTM(3, return_state=True, name="enc")(attended)
    model = keras.Model([q, v], [scores, h, c, seq], name="carried")
    doc = import_model(model)
    names = [doc.nodes[nid].name for nid, _ in doc.output_refs()]
    assert names == ["mha", "enc", "enc", "enc"]
    assert output_names(doc) == ["mha_1", "enc_1", "enc_2", "enc"]
    assert "Identity" not in {n.kind for n in doc.nodes.values()}
    data = [np.random.default_rng(2).random((2, 5, 8)).astype("float32"),
            np.random.default_rng(3).random((2, 7, 6)).astype("float32")]
    expected = [keras.ops.convert_to_numpy(o) for o in model(data)]
    for rebuilt in (build_model(doc), exec_generated(doc)):
        assert rebuilt.count_params() == model.count_params()
        for layer in model.layers:
            rebuilt.get_layer(layer.name).set_weights(layer.get_weights())
        for want, got in zip(expected, rebuilt(data), strict=True):
            np.testing.assert_allclose(keras.ops.convert_to_numpy(got), want, rtol=1e-5,
                                       atol=1e-6)


@pytest.mark.parametrize("value_len", [5, 7], ids=["same_length", "cross"])
def test_warning_on_scores_fed_to_dense_is_exactly_when_keras_fails(value_len):
    # Dense on the scores: Keras builds it for its symbolic (batch, heads, T, T) shape,
    # so the model runs when the key is as long as the query and fails when it is not.
    # Validation warns, pinned to Dense's input, in exactly the failing case.
    from tests.runtime.test_build import graph

    params = {"num_heads": 2, "key_dim": 4, "return_attention_scores": True}
    doc = graph([("q", "Input", {"shape": [5, 8]}), ("v", "Input", {"shape": [value_len, 6]}),
                 ("mha", "MultiHeadAttention", params), ("head", "Dense", {"units": 3})],
                [("q", "mha"), ("v", "mha")], ["head"])
    mha, head = doc.find("mha"), doc.find("head")
    doc.connect(type(doc.edges[0])(mha.id, 1, head.id, 0))
    warned = [i for i in analyze(doc).issues if i.code == "keras_scores_shape"]
    model = build_model(doc)
    data = [np.zeros((2, 5, 8), "float32"), np.zeros((2, value_len, 6), "float32")]
    try:
        model(data)
        keras_fails = False
    except ValueError:
        keras_fails = True
    assert keras_fails == (value_len != 5)
    assert bool(warned) == keras_fails
    if warned:
        assert (warned[0].node, warned[0].port) == (head.id, 0)
        assert "(None, 2, 5, 7)" in warned[0].message and "(None, 2, 5, 5)" in warned[0].message


@pytest.mark.parametrize("kind", ["Attention", "AdditiveAttention", "GroupQueryAttention"])
def test_every_attention_kind_gives_its_scores_on_port_1(kind):
    """Attention and AdditiveAttention ((batch, Tq, Tv)) and GroupQueryAttention ((batch,
    heads, Tq, Tv)) return their scores too: the call imports onto the kind (it was a
    KerasLayer), and the build and the code give Keras' shapes and outputs."""
    layers = keras.layers
    q, v = keras.Input((5, 8), name="q"), keras.Input((7, 8), name="v")
    if kind == "GroupQueryAttention":
        attended, scores = layers.GroupQueryAttention(4, 4, 2, name="att")(
            q, v, return_attention_scores=True)
    else:
        attended, scores = getattr(layers, kind)(name="att")([q, v],
                                                             return_attention_scores=True)
    head = layers.Dense(2, name="head")(layers.Flatten(name="flat")(scores))
    model = keras.Model([q, v], [attended, head], name="scored")
    doc = import_model(model)
    node = doc.find("att")
    assert node.kind == kind and node.params["return_attention_scores"] is True
    assert_shapes_match_keras(doc, model)
    data = [np.random.default_rng(4).random((2, 5, 8)).astype("float32"),
            np.random.default_rng(5).random((2, 7, 8)).astype("float32")]
    expected = [keras.ops.convert_to_numpy(o) for o in model(data)]
    for rebuilt in (build_model(doc, name="scored"), exec_generated(doc, model_name="scored")):
        assert rebuilt.count_params() == model.count_params()
        for layer in model.layers:
            rebuilt.get_layer(layer.name).set_weights(layer.get_weights())
        for want, got in zip(expected, rebuilt(data), strict=True):
            np.testing.assert_allclose(keras.ops.convert_to_numpy(got), want,
                                       rtol=1e-5, atol=1e-6)
