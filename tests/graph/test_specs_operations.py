"""Operation kinds (keras.ops calls) against Keras: each sample's output shape, and the
same verdict (a shape, or a refusal) as Keras' own symbolic call on edge cases."""

from __future__ import annotations

import doctest

import pytest

keras = pytest.importorskip("keras")

from kerascanvas.graph.errors import KerasCanvasError  # noqa: E402
from kerascanvas.graph.layers import (  # noqa: E402
    op_einsum,
    op_keys,
    op_select,
    op_select_shapes,
    op_shapes,
    operations,
)
from kerascanvas.graph.layers.operations import result_dtype  # noqa: E402
from kerascanvas.graph.spec import LAYER_SPECS  # noqa: E402
from tests.ops_ref import keras_call  # noqa: E402

OPERATIONS = [s for s in LAYER_SPECS.values() if s.category == "Operations"]
SAMPLES = [pytest.param(s.kind, dict(x.params), list(x.inputs), id=f"{s.kind}-{i}")
           for s in OPERATIONS for i, x in enumerate(s.samples)]
EDGES = [
    ("ops.add", {}, [(None, 4, 6), (None, 5, 6)]),  # 4 against 5
    ("ops.add", {}, [(None, 4, 1), (6,)]),  # ranks differ: numpy broadcasting
    ("ops.multiply", {}, [(None, 1), (None, 3)]),  # an unknown dim against a known one
    ("ops.subtract", {}, [(2, 4), (None, 4)]),
    ("ops.mean", {"axis": 3}, [(None, 4, 6)]),
    ("ops.sum", {"axis": (0, -1)}, [(None, 4, 6)]),
    ("ops.max", {"axis": -1, "keepdims": True}, [(None, 4, 6)]),
    ("ops.transpose", {"axes": (0, 1)}, [(None, 4, 6)]),
    ("ops.transpose", {"axes": (0, 1, 1)}, [(None, 4, 6)]),
    ("ops.transpose", {}, [(None, 4, 6)]),
    ("ops.reshape", {"newshape": (2, 5)}, [(3, 4, 6)]),
    ("ops.reshape", {"newshape": (-1, 5)}, [(3, 4, 6)]),
    ("ops.reshape", {"newshape": (6, 12)}, [(3, 4, 6)]),
    ("ops.reshape", {"newshape": (-1, 4, 6)}, [(None, 24)]),
    ("ops.expand_dims", {"axis": 4}, [(None, 4, 6)]),
    ("ops.expand_dims", {"axis": (1, -1)}, [(None, 4, 6)]),
    ("ops.squeeze", {"axis": 1}, [(None, 4, 6)]),
    ("ops.squeeze", {}, [(None, 1, 6, 1)]),
    ("ops.matmul", {}, [(None, 4, 6), (None, 5, 3)]),
    ("ops.matmul", {}, [(None, 4, 6), (6, 3)]),
    ("ops.matmul", {}, [(None, 4, None), (None, 6, 3)]),
    ("ops.concatenate", {"axis": -1}, [(None, 4, 6), (None, 5, 2)]),
    ("ops.concatenate", {"axis": 1}, [(None, 4, 6), (None, None, 6)]),
    ("ops.stack", {}, [(None, 4, 6), (None, 4, 5)]),
    ("ops.stack", {"axis": -1}, [(None, 4, 6), (None, 4, 6), (None, 4, 6)]),
    ("ops.get_item", {"key": "0, 0, 0, 0"}, [(None, 4, 6)]),
    ("ops.get_item", {"key": ":, 7"}, [(None, 4, 6)]),
    ("ops.get_item", {"key": "..., None"}, [(None, 4, 6)]),
    ("ops.get_item", {"key": "1"}, [(3, 4, 6)]),
    ("ops.get_item", {"key": "1:, ::-1"}, [(3, 4, 6)]),
    ("ops.softmax", {"axis": 3}, [(None, 4, 6)]),
    ("ops.log_softmax", {"axis": -3}, [(None, 4, 6)]),
    ("ops.greater", {}, [(None, 4, 6), (None, 5, 6)]),
    ("ops.logical_and", {"constant": 1}, [(None, 4, 6)]),
    ("ops.where", {}, [(None, 4, 1), (6,), (None, 1, 1)]),
    ("ops.where", {}, [(None, 4, 6), (None, 3, 6), (None, 4, 6)]),
    ("ops.take", {"indices": (0, 1)}, [(None, 4, 6)]),
    ("ops.take", {"indices": (1, 2), "axis": 3}, [(None, 4, 6)]),
    ("ops.take", {}, [(None, 4, 6), (None, 2, 3)]),
    ("ops.take_along_axis", {}, [(2, 4, 6), (5,)]),
    ("ops.take_along_axis", {"axis": 1}, [(None, 4, 6), (None, 6)]),
    ("ops.take_along_axis", {"axis": 2}, [(None, 4, 6), (None, 1, 3)]),
    ("ops.split", {"indices_or_sections": 4, "axis": -1}, [(None, 4, 6)]),
    ("ops.split", {"indices_or_sections": 3}, [(None, 4, 6)]),
    ("ops.split", {"indices_or_sections": (2,), "axis": 1}, [(None, None, 6)]),
    ("ops.one_hot", {"num_classes": 4, "axis": 2}, [(None, 4)]),
    ("ops.one_hot", {"num_classes": 4, "axis": 0}, [(None, 4)]),
    ("ops.argmax", {"axis": 2}, [(None, 4, 6)]),
    ("ops.argmin", {"keepdims": True}, [(None, 4, 6)]),
    ("ops.einsum", {"subscripts": "bij,bjk->bik"}, [(None, 4, 6)]),
    ("ops.einsum", {"subscripts": "bij,bjk->bik"}, [(None, 4, 6), (None, 6)]),
    ("ops.einsum", {"subscripts": "...i,...i->..."}, [(None, 3, 4), (None, 1, 4)]),
    ("ops.einsum", {"subscripts": "bij,bkj"}, [(None, 4, 6), (None, 2, 6)]),
    ("ops.einsum", {"subscripts": "b...,b->b"}, [(None, 4, 6), (None,)]),
]


def ours(kind, params, shapes):
    spec = LAYER_SPECS[kind]
    try:
        return spec.output_shapes(spec.resolve(params), shapes)
    except KerasCanvasError:
        return None


def theirs(kind, params, shapes):
    tensors = [keras.KerasTensor(s) for s in shapes]
    try:
        out = keras_call(kind, params, tensors)
    except Exception:  # noqa: BLE001 - Keras refusing is the verdict
        return None
    return [tuple(t.shape) for t in (out if isinstance(out, list) else [out])]


def test_every_operation_has_samples_and_doc():
    assert len(OPERATIONS) >= 20
    for spec in OPERATIONS:
        assert spec.samples and spec.doc, spec.kind
        assert hasattr(keras.ops, spec.kind.removeprefix("ops.")), spec.kind


@pytest.mark.parametrize("kind,params,shapes", SAMPLES)
def test_sample_shapes_match_keras(kind, params, shapes):
    want = theirs(kind, params, shapes)
    assert want is not None, "a sample Keras refuses"
    assert ours(kind, params, shapes) == want


@pytest.mark.parametrize("kind,params,shapes", SAMPLES)
def test_result_dtype_is_keras_own(kind, params, shapes):
    """Where a kind fixes its dtype (comparisons bool, argmax int32, one_hot float32...)
    it is Keras' on float32 inputs, and a kind that fixes none keeps float32."""
    out = keras_call(kind, params, [keras.KerasTensor(s) for s in shapes])
    out = out[0] if isinstance(out, list) else out
    want = result_dtype(kind, LAYER_SPECS[kind].resolve(params))
    assert out.dtype == (want or "float32")


@pytest.mark.parametrize("kind,params,shapes", EDGES, ids=lambda v: str(v))
def test_edge_case_verdict_matches_keras(kind, params, shapes):
    assert ours(kind, params, shapes) == theirs(kind, params, shapes)


@pytest.mark.parametrize("params,shapes,text", [
    ({}, [(None, 4, 6)], "needs a second input (x2) or a constant"),
    ({"constant": 1.0}, [(None, 4, 6), (None, 4, 6)], "not both"),
])
def test_binary_operand_problems_are_said(params, shapes, text):
    spec = LAYER_SPECS["ops.subtract"]
    with pytest.raises(KerasCanvasError, match=text.replace("(", r"\(").replace(")", r"\)")):
        spec.output_shapes(spec.resolve(params), shapes)


@pytest.mark.parametrize("key", ["", "a", "1:2:3:4", "..., ...", "x[0]"])
def test_bad_index_keys_are_refused_naming_the_key(key):
    with pytest.raises(KerasCanvasError, match="key"):
        LAYER_SPECS["ops.get_item"].resolve({"key": key})


@pytest.mark.parametrize("module", [operations, op_select, op_select_shapes, op_shapes, op_keys,
                                    op_einsum],
                         ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_docstring_examples_hold(module):
    assert doctest.testmod(module).failed == 0


@pytest.mark.parametrize("subscripts,shapes,text", [
    ("bij,bjk->bik", [(None, 4, 6), (None, 5, 3)], "dims of 'j'"),  # Keras: only at run
    ("bij,bjk->bix", [(None, 4, 6), (None, 6, 3)], "'x' is in no operand"),
    ("bij", [(None, 4)], "name 3 axes"),
    ("bij->bjk", [(None, 4, 6)], "'k' is in no operand"),  # Keras: (None, 6, 1), torch fails
])
def test_einsum_refusals_name_the_letter_or_operand(subscripts, shapes, text):
    spec = LAYER_SPECS["ops.einsum"]
    with pytest.raises(KerasCanvasError, match=text):
        spec.output_shapes(spec.resolve({"subscripts": subscripts}), shapes)


@pytest.mark.parametrize("subscripts", ["bij, bjk->bik", "bij->b->i", "b..i", "bi->bb", ""])
def test_bad_einsum_subscripts_are_refused_naming_them(subscripts):
    with pytest.raises(KerasCanvasError, match="subscripts"):
        LAYER_SPECS["ops.einsum"].resolve({"subscripts": subscripts})
