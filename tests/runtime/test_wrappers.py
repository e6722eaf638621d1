"""Wrapper layers (Bidirectional, TimeDistributed, SpectralNormalization) round-trip:
a Keras model written by hand imports onto wrapper nodes holding their inner layers,
survives the project file, and rebuilds by both paths (runtime build and generated
code) with Keras' parameter count, each layer's class and config, and equal outputs."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerascanvas.codegen import generate  # noqa: E402
from kerascanvas.graph.projectfile import from_dict, to_dict  # noqa: E402
from kerascanvas.runtime.build import build_model  # noqa: E402
from kerascanvas.runtime.importer import import_model  # noqa: E402
from tests.roundtrip import (  # noqa: E402
    assert_same_model,
    assert_shapes_match_keras,
    exec_generated,
)


def video_model():
    """Frames -> per-frame conv features -> two bidirectional recurrent layers -> head."""
    layers = keras.layers
    frames = keras.Input((4, 8, 8, 3), name="frames")
    x = layers.TimeDistributed(layers.Conv2D(4, 3, activation="relu", name="conv"),
                               name="per_frame_conv")(frames)
    x = layers.TimeDistributed(layers.GlobalAveragePooling2D(), name="per_frame_pool")(x)
    x = layers.Bidirectional(layers.LSTM(6, return_sequences=True), name="bi_lstm")(x)
    fwd, bwd, h_fwd, h_bwd = layers.Bidirectional(
        layers.GRU(3, return_state=True, name="gru_1"), merge_mode=None, name="bi_gru")(x)
    x = layers.Concatenate(name="cat")([fwd, bwd, h_fwd, h_bwd])
    out = layers.SpectralNormalization(layers.Dense(2), power_iterations=2, name="head")(x)
    return keras.Model(frames, out, name="video")


def _copy_weights(source, target):
    for layer in source.layers:
        target.get_layer(layer.name).set_weights(layer.get_weights())


def test_wrapper_model_round_trips_with_equal_outputs():
    model = video_model()
    doc = import_model(model)
    kinds = {n.name: n.kind for n in doc.nodes.values()}
    assert kinds["bi_gru"] == "Bidirectional" and kinds["head"] == "SpectralNormalization"
    assert kinds["per_frame_conv"] == kinds["per_frame_pool"] == "TimeDistributed"
    assert doc.find("bi_gru").params["layer"]["name"] == "gru_1"
    assert_shapes_match_keras(doc, model)
    doc = from_dict(to_dict(doc))
    data = np.random.default_rng(0).random((2, 4, 8, 8, 3)).astype("float32")
    expected = keras.ops.convert_to_numpy(model(data))
    for rebuilt in (build_model(doc, name="video"), exec_generated(doc, model_name="video")):
        assert_same_model(model, rebuilt)
        _copy_weights(model, rebuilt)
        got = keras.ops.convert_to_numpy(rebuilt(data))
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_generated_code_writes_the_inner_layer_inside_the_wrapper():
    doc = import_model(video_model())
    source = generate(doc)
    assert ("layers.Bidirectional(\n        layer=layers.GRU(units=3, return_state=True, "
            "name='gru_1'), merge_mode=None, name='bi_gru'\n    )(x)") in source  # bi_lstm's tensor
    assert "layers.SpectralNormalization(" in source and "power_iterations=2" in source


def test_frozen_inner_layer_round_trips():
    inner = keras.layers.Dense(3, name="frozen")
    inner.trainable = False
    x = keras.Input((4, 5), name="x")
    model = keras.Model(x, keras.layers.TimeDistributed(inner, name="td")(x))
    doc = import_model(model)
    node = doc.find("td")
    assert node.kind == "TimeDistributed" and node.params["layer"]["params"]["trainable"] is False
    rebuilt = build_model(doc)
    assert_same_model(model, rebuilt)
    assert len(rebuilt.non_trainable_weights) == len(model.non_trainable_weights) == 2


def test_inner_layer_of_no_kind_keeps_the_wrapper_whole():
    x = keras.Input((4, 5), name="x")
    # A dtype policy of its own is no setting our Dense params hold.
    inner = keras.layers.Dense(3, dtype="float64")
    model = keras.Model(x, keras.layers.TimeDistributed(inner, name="td")(x))
    doc = import_model(model)
    assert doc.find("td").kind == "KerasLayer"
    assert_same_model(model, build_model(doc))


def test_pipeline_node_builds_and_writes_keras_pipeline():
    from tests.runtime.test_build import graph

    steps = [{"kind": "Rescaling", "params": {"scale": 0.5}},
             {"kind": "Dense", "params": {"units": 4}}, {"kind": "Dense", "params": {"units": 2}}]
    doc = graph([("x", "Input", {"shape": [3]}), ("pipe", "Pipeline", {"layers": steps})],
                [("x", "pipe")], ["pipe"])
    assert "layers.Pipeline(\n        layers=[\n            layers.Rescaling(" in generate(doc)
    x = keras.Input((3,))
    reference = keras.Model(x, keras.layers.Pipeline([
        keras.layers.Rescaling(0.5), keras.layers.Dense(4), keras.layers.Dense(2)])(x))
    for rebuilt in (build_model(doc), exec_generated(doc)):
        pipe = rebuilt.get_layer("pipe")
        assert [layer.name for layer in pipe.layers] == ["rescaling", "dense", "dense_1"]
        assert rebuilt.count_params() == reference.count_params()
