"""Spec rules of the core, normalization, merging, activation, recurrent and attention kinds.

The generic harness (test_specs_keras.py) compares our verdicts with Keras'
symbolic build. Some mistakes only show when Keras runs on real arrays (a bad
noise_shape, a softmax axis out of range, attention over mismatched batches);
our rules refuse those up front, and the tests here prove that Keras then fails
for real. They also check parameter bounds against Keras' constructors, and
that errors name the port at fault.
"""

from __future__ import annotations

import numpy as np
import pytest

from kerascanvas.graph import LAYER_SPECS, get_spec
from kerascanvas.graph.errors import KerasCanvasError, ParamError, ShapeError
from kerascanvas.graph.params import ParamSpec

keras = pytest.importorskip("keras")

from tests.keras_ref import keras_layer  # noqa: E402


def _ours(kind, params, shapes):
    spec = get_spec(kind)
    return spec.output_shapes(spec.resolve(params), [tuple(s) for s in shapes])


def _keras_eager(kind, params, shapes):
    """Output shapes of the Keras layer run on arrays of `shapes`, in training mode."""
    spec = get_spec(kind)
    layer = keras_layer(spec, params)
    arrays = [np.random.default_rng(0).random(s).astype("float32") for s in shapes]
    out = layer(arrays, training=True) if spec.is_merge else layer(*arrays, training=True)
    outs = out if isinstance(out, list | tuple) else [out]
    return [tuple(o.shape) for o in outs]


# (kind, params, concrete input shapes, port we blame or None when we accept)
EAGER_CASES = [
    ("Dropout", {"rate": 0.5, "noise_shape": (None, 1, 4)}, [(2, 5, 4)], None),
    ("Dropout", {"rate": 0.5, "noise_shape": (1, 4)}, [(2, 5, 4)], None),
    ("Dropout", {"rate": 0.5, "noise_shape": (None, 1, 7)}, [(2, 5, 4)], 0),
    ("Dropout", {"rate": 0.5, "noise_shape": (2, 1, 1, 4)}, [(2, 5, 4)], 0),
    ("Softmax", {"axis": 4}, [(2, 5, 3)], 0),
    ("Softmax", {"axis": (1, 2)}, [(2, 5, 3)], None),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 4}, [(2, 5, 8), (2, 3, 7, 6)], 1),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 4}, [(2, 5, 8), (3, 7, 6)], 1),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 4}, [(2, 8), (2, 6)], 0),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 4, "attention_axes": 2},
     [(2, 5, 4, 8), (2, 7, 3, 6)], 1),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 4, "attention_axes": 2},
     [(2, 5, 4, 8), (2, 5, 3, 6)], None),
    # Keras' symbolic Attention checks nothing; the run needs query and key dims to agree.
    ("Attention", {}, [(2, 5, 8), (2, 7, 6)], 1),
    ("AdditiveAttention", {}, [(2, 5, 8), (2, 7, 6)], 1),
    ("Attention", {"use_scale": True}, [(2, 5, 8), (2, 7, 6), (2, 7, 8)], None),
    ("LSTM", {"units": 3, "unroll": True, "return_state": True}, [(2, 4, 5)], None),
    ("GRU", {"units": 3, "return_sequences": True, "go_backwards": True}, [(2, 4, 5)], None),
    ("Add", {}, [(2, 1, 4), (2, 3, 1), (2, 4)], None),
    ("Concatenate", {"axis": 1}, [(2, 3, 4), (2, 5, 4)], None),
]


@pytest.mark.parametrize("kind,params,shapes,port", EAGER_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(EAGER_CASES)])
def test_verdict_matches_keras_on_real_arrays(kind, params, shapes, port):
    if port is None:
        assert _ours(kind, params, shapes) == _keras_eager(kind, params, shapes)
        return
    with pytest.raises(ShapeError) as caught:
        _ours(kind, params, shapes)
    assert caught.value.port == port
    with pytest.raises(Exception):  # noqa: B017 - any failure of Keras at run time
        _keras_eager(kind, params, shapes)


# Values Keras' constructors refuse; resolve() must refuse them too.
BAD_PARAMS = [
    ("ReLU", {"max_value": -1.0}),
    ("ReLU", {"negative_slope": -0.1}),
    ("ReLU", {"threshold": -1.0}),
    ("LeakyReLU", {"negative_slope": -0.5}),
    ("Dropout", {"rate": 1.5}),
    ("Dropout", {"rate": -0.1}),
    ("SpatialDropout1D", {"rate": 2.0}),
    ("Embedding", {"input_dim": 0, "output_dim": 4}),
    ("Embedding", {"input_dim": 10, "output_dim": 0}),
    ("MultiHeadAttention", {"num_heads": 0, "key_dim": 4}),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 0}),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 4, "value_dim": 0}),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 4, "sliding_window": 0}),
    ("LSTM", {"units": 0}),
    ("GRU", {"units": -2}),
    ("BatchNormalization", {"renorm": True, "renorm_clipping": {"rmax": 1.0, "rmin": 2.0}}),
    ("BatchNormalization", {"renorm": True, "renorm_clipping": {"rmaxx": 1.0}}),
]


@pytest.mark.parametrize("kind,params", BAD_PARAMS,
                         ids=[f"{k}-{'-'.join(p)}" for k, p in BAD_PARAMS])
def test_bad_params_refused_like_keras(kind, params):
    with pytest.raises(ParamError):
        get_spec(kind).resolve(params)
    with pytest.raises(Exception):  # noqa: B017 - Keras raises ValueError or TypeError
        keras_layer(get_spec(kind), params)


@pytest.mark.parametrize("kind", sorted(LAYER_SPECS))
def test_output_port_count_matches_shape_rule(kind):
    spec = LAYER_SPECS[kind]
    if spec.is_block or spec.category == "Blocks":
        pytest.skip("blocks have their own tests")
    checked = 0
    for sample in spec.samples:
        try:
            resolved = spec.resolve(sample.params)
            shapes = spec.output_shapes(resolved, list(sample.inputs))
        except KerasCanvasError:
            continue
        assert spec.outputs(resolved) == len(shapes), sample
        checked += 1
    assert checked, f"{kind} has no accepted sample"


@pytest.mark.parametrize("kind,shapes,port,text", [
    ("Add", [(None, 4), (None, 4), (None, 5)], 2, "(None, 4) on port 0 and (None, 5) on port 2"),
    ("Multiply", [(2, 4), (None, 4), (3, 4)], 2, "(2, 4) on port 0 and (3, 4) on port 2"),
    ("Subtract", [(None, 4)] * 3, 2, "exactly 2 inputs"),
    ("Concatenate", [(None, 4, 5), (None, 4, 5), (None, 3, 6)], 2, "(None, 3, 6) on port 2"),
    ("Concatenate", [(None, 4), (None, 4, 1)], 1, "equal rank"),
])
def test_merge_errors_name_the_port(kind, shapes, port, text):
    with pytest.raises(ShapeError) as caught:
        _ours(kind, {}, shapes)
    assert caught.value.port == port
    assert text in str(caught.value)


def test_attention_key_mismatch_blames_the_key_port():
    with pytest.raises(ShapeError) as caught:
        _ours("MultiHeadAttention", {"num_heads": 2, "key_dim": 4},
              [(None, 5, 8), (None, 7, 6), (None, 6, 6)])
    assert caught.value.port == 2
    assert "(None, 7, 6)" in str(caught.value) and "(None, 6, 6)" in str(caught.value)


def test_stateful_recurrent_needs_a_batch_size():
    with pytest.raises(ShapeError, match="batch size"):
        _ours("LSTM", {"units": 4, "stateful": True}, [(None, 5, 3)])
    assert _ours("LSTM", {"units": 4, "stateful": True}, [(8, 5, 3)]) == [(8, 4)]


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "SimpleRNN"])
def test_recurrent_state_ports(kind):
    spec = get_spec(kind)
    resolved = spec.resolve({"units": 4, "return_state": True})
    layer = keras_layer(spec, {"units": 4, "return_state": True})
    outputs = layer(keras.Input(batch_shape=(None, 5, 3)))
    assert spec.outputs(resolved) == len(outputs)
    assert spec.outputs(spec.resolve({"units": 4})) == 1


def test_resolved_defaults_are_the_coerced_defaults_and_never_shared():
    """resolve keeps each converted default: every kind still gets what coercing the default
    gives, and a default whose normal form is a list or dict is a fresh one each time."""
    from dataclasses import replace

    for spec in LAYER_SPECS.values():
        start = spec.initial_params()
        try:
            first, again = spec.resolve(start), spec.resolve(start)
        except KerasCanvasError:
            continue  # kinds whose start needs more (checked elsewhere)
        for p in spec.params:
            if p.name not in start and not p.required:
                assert first[p.name] == again[p.name] == p.coerce(p.default), (spec.kind, p.name)
    spec = get_spec("Dense")
    listed = replace(spec, params=spec.params + (ParamSpec("extra", "json", default={"a": [1]}),))
    first = listed.resolve({"units": 2})
    first["extra"]["a"].append(2)
    assert listed.resolve({"units": 2})["extra"] == {"a": [1]}
    assert listed.param("extra").is_default({"a": [1]})
