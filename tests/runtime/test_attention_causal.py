"""`use_causal_mask`, a keyword of every attention layer's call: a Keras model that passes
it imports onto the layer's own kind with the flag set (not a KerasLayer), and the
runtime build and every code style compute Keras' outputs, which the flag changes."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kerascanvas.codegen import generate
from kerascanvas.graph.projectfile import from_dict, to_dict
from kerascanvas.runtime.build import build_model
from kerascanvas.runtime.importer import import_model_report
from tests.roundtrip import assert_rebuild_equal, assert_subclass_rebuild_equal, copy_weights

LAYERS = {
    "MultiHeadAttention": lambda: keras.layers.MultiHeadAttention(2, 4, name="att"),
    "GroupQueryAttention": lambda: keras.layers.GroupQueryAttention(4, 4, 2, name="att"),
    "Attention": lambda: keras.layers.Attention(name="att"),
    "AdditiveAttention": lambda: keras.layers.AdditiveAttention(name="att"),
}


def _model(kind: str, causal: bool):
    x = keras.Input((6, 4), name="x")
    y = keras.layers.Dense(4, name="proj")(x)
    layer = LAYERS[kind]()
    if kind in ("Attention", "AdditiveAttention"):  # called on a list
        out = layer([y, x], use_causal_mask=causal)
    else:
        out = layer(y, x, use_causal_mask=causal)
    return keras.Model(x, keras.layers.Dense(3, name="head")(out), name="causal")


def _outputs(model, data):
    return keras.ops.convert_to_numpy(model(data, training=False))


@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_a_causal_attention_imports_on_its_kind_and_rebuilds_equal(kind):
    model = _model(kind, causal=True)
    report = import_model_report(model)
    assert report.generic == {}
    doc = from_dict(to_dict(report.doc))  # through the project file
    node = doc.find("att")
    assert node.kind == kind and node.params["use_causal_mask"] is True
    assert "use_causal_mask=True" in generate(doc)
    assert_rebuild_equal(model, build_model(doc, name=model.name))
    for style in ("functional", "subclass"):
        namespace: dict = {}
        exec(generate(doc, style=style), namespace)  # noqa: S102
        rebuilt = namespace["build_model"]()
        if style == "functional":
            assert_rebuild_equal(model, rebuilt)
        else:
            assert_subclass_rebuild_equal(model, rebuilt)


@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_the_flag_changes_what_the_layer_computes(kind):
    # The rebuilt causal model matches Keras' causal one, not the same weights unmasked:
    # a build that dropped the keyword would fail here.
    data = np.random.default_rng(0).normal(size=(2, 6, 4)).astype("float32")
    causal, plain = _model(kind, causal=True), _model(kind, causal=False)
    copy_weights(causal, plain)
    rebuilt = build_model(import_model_report(causal).doc, name="causal")
    copy_weights(causal, rebuilt)
    assert not np.allclose(_outputs(plain, data), _outputs(causal, data), atol=1e-4)
    np.testing.assert_allclose(_outputs(rebuilt, data), _outputs(causal, data),
                               rtol=1e-5, atol=1e-6)
