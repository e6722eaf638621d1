"""`attention_mask`, a tensor keyword of MultiHeadAttention's and GroupQueryAttention's
call: a Keras model that passes it imports onto the layer's own kind with the mask on
its port (not a KerasLayer), and the runtime build and every code style compute Keras'
outputs, which the mask changes."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kerascanvas.codegen import generate
from kerascanvas.graph.projectfile import from_dict, to_dict
from kerascanvas.runtime.build import build_model
from kerascanvas.runtime.importer import import_model_report
from tests.roundtrip import assert_same_model, copy_weights, counts

LAYERS = {
    "MultiHeadAttention": lambda: keras.layers.MultiHeadAttention(2, 4, name="att"),
    "GroupQueryAttention": lambda: keras.layers.GroupQueryAttention(4, 4, 2, name="att"),
}


def _model(kind: str, masked: bool = True, named: bool = False, causal: bool = False):
    """query x (6, 4) over value s (5, 4), with a mask m (6, 5) or a broadcast one (1, 5)
    (the padding mask of a keras.io Transformer encoder) when `named`."""
    x, s = keras.Input((6, 4), name="x"), keras.Input((5, 4), name="s")
    m = keras.Input((1, 5) if named else (6, 5), dtype="int32", name="m")
    y = keras.layers.Dense(4, name="proj")(x)
    layer = LAYERS[kind]()
    extra = {"use_causal_mask": True} if causal else {}
    if named:  # as keras.io calls it: every tensor by name, key included
        out = layer(query=y, value=s, key=s, attention_mask=m if masked else None, **extra)
    else:
        out = layer(y, s, attention_mask=m if masked else None, **extra)
    return keras.Model([x, s, m], keras.layers.Dense(3, name="head")(out), name="masked")


def _data(kind: str, named: bool = False) -> list:
    rng = np.random.default_rng(0)
    mask = rng.integers(0, 2, (2, 1 if named else 6, 5)).astype("int32")
    mask[..., 0] = 1  # every query step attends somewhere
    return [rng.normal(size=(2, 6, 4)).astype("float32"),
            rng.normal(size=(2, 5, 4)).astype("float32"), mask]


def _outputs(model, data):
    return keras.ops.convert_to_numpy(model(data, training=False))


CASES = [(kind, named, causal) for kind in sorted(LAYERS) for named, causal in
         ((False, False), (True, False), (False, True))]


@pytest.mark.parametrize(("kind", "named", "causal"), CASES)
def test_a_masked_attention_imports_on_its_kind_and_rebuilds_equal(kind, named, causal):
    model = _model(kind, named=named, causal=causal)
    report = import_model_report(model)
    assert report.generic == {}
    doc = from_dict(to_dict(report.doc))  # through the project file
    node = doc.find("att")
    assert node.kind == kind and node.params["attention_mask"] is True
    assert node.params.get("use_causal_mask", False) is causal
    sources = {e.dst_port: doc.nodes[e.src].name for e in doc.in_edges(node.id)}
    assert sources == {0: "proj", 1: "s", 2: "s", 3: "m"}  # key: the value, as Keras' default
    assert "attention_mask=m" in generate(doc)
    data = _data(kind, named)
    rebuilt = {"build": build_model(doc, name=model.name)}
    for style in ("functional", "subclass"):
        namespace: dict = {}
        exec(generate(doc, style=style), namespace)  # noqa: S102
        rebuilt[style] = namespace["build_model"]()
    for how, again in rebuilt.items():
        # Keras lists the inputs of a call by name in another order: layers by name.
        assert counts(again) == counts(model), how
        assert again.count_params() == model.count_params(), how
        assert again.get_layer("att").get_config() == model.get_layer("att").get_config()
        if how != "subclass":
            assert_same_model(model, again)
        copy_weights(model, again)
        np.testing.assert_allclose(_outputs(again, data), _outputs(model, data),
                                   rtol=1e-5, atol=1e-6, err_msg=how)


@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_the_mask_changes_what_the_layer_computes(kind):
    # The rebuilt masked model matches Keras' masked one, not the same weights unmasked:
    # a build that dropped the keyword would fail here.
    data = _data(kind)
    masked, plain = _model(kind), _model(kind, masked=False)
    copy_weights(masked, plain)
    rebuilt = build_model(import_model_report(masked).doc, name="masked")
    copy_weights(masked, rebuilt)
    assert not np.allclose(_outputs(plain, data), _outputs(masked, data), atol=1e-4)
    np.testing.assert_allclose(_outputs(rebuilt, data), _outputs(masked, data),
                               rtol=1e-5, atol=1e-6)
