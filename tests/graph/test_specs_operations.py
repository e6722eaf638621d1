"""Operation kinds (keras.ops calls) against Keras: each sample's output shape, and the
same verdict (a shape, or a refusal) as Keras' own symbolic call on edge cases."""

from __future__ import annotations

import doctest
import inspect

import pytest

keras = pytest.importorskip("keras")

from kerascanvas.graph.errors import KerasCanvasError  # noqa: E402
from kerascanvas.graph.layers import (  # noqa: E402
    op_array_shapes,
    op_arrays,
    op_einsum,
    op_elementwise,
    op_integers,
    op_keys,
    op_linalg,
    op_losses,
    op_matrices,
    op_norms,
    op_parts,
    op_products,
    op_quantiles,
    op_select,
    op_select_shapes,
    op_shapes,
    op_space,
    operations,
)
from kerascanvas.graph.layers.operations import result_dtype  # noqa: E402
from kerascanvas.graph.spec import LAYER_SPECS  # noqa: E402
from tests.ops_ref import keras_call, keras_function  # noqa: E402

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
    ("ops.cumsum", {"axis": 3}, [(None, 4, 6)]),
    ("ops.cumprod", {}, [(None, 4, 6)]),  # flattened, of unknown size
    ("ops.prod", {"axis": (0, -1), "keepdims": True}, [(None, 4, 6)]),
    ("ops.flip", {"axis": 3}, [(None, 4, 6)]),
    ("ops.roll", {"shift": 1, "axis": -4}, [(None, 4, 6)]),
    ("ops.tile", {"repeats": (2, 3)}, [(None, 4, 6)]),
    ("ops.tile", {"repeats": 0}, [(None, 4, 6)]),
    ("ops.repeat", {"repeats": 2, "axis": 1}, [(None, None, 6)]),
    ("ops.repeat", {"repeats": 2}, [(None, 4, 6)]),
    ("ops.repeat", {"repeats": 2, "axis": 3}, [(None, 4, 6)]),
    ("ops.logaddexp", {}, [(None, 4, 6), (None, 5, 6)]),
    ("ops.arctan2", {"constant": 1.0, "constant_first": True}, [(None, 4, 6)]),
    ("ops.pad", {"pad_width": [[0, 0], [1, 1]]}, [(None, 4, 6)]),
    ("ops.pad", {"pad_width": 2}, [(3, 4, 6)]),
    ("ops.pad", {"pad_width": [[1, 2]]}, [(None, 4)]),
    ("ops.broadcast_to", {"shape": (3, 5, 6)}, [(3, 4, 6)]),
    ("ops.broadcast_to", {"shape": (3, 4, 6)}, [(None, 1, 6)]),
    ("ops.sort", {"axis": None}, [(None, 4, 6)]),
    ("ops.argsort", {"axis": 2}, [(None, 4)]),
    ("ops.norm", {"ord": "fro", "axis": -1}, [(None, 4, 6)]),
    ("ops.norm", {}, [(None, 4, 6)]),
    ("ops.norm", {"ord": "nuc", "axis": (0, 2), "keepdims": True}, [(None, 4, 6)]),
    ("ops.normalize", {"axis": 3}, [(None, 4, 6)]),
    ("ops.logsumexp", {"axis": (1, 2)}, [(None, 4, 6)]),
    ("ops.top_k", {"k": 2}, [(None, 4, None)]),
    ("ops.unstack", {"num": 6, "axis": 2}, [(None, 4, 6)]),
    ("ops.unstack", {"num": 3}, [(None, 4, 6)]),
    ("ops.unstack", {"num": 4, "axis": 3}, [(None, 4, 6)]),
    ("ops.array_split", {"indices_or_sections": 4, "axis": 1}, [(None, None, 6)]),
    ("ops.array_split", {"indices_or_sections": 4, "axis": -1}, [(None, 4, 6)]),
    ("ops.conv", {}, [(None, 8, 8, 4), (3, 3, 3, 5)]),  # 4 channels, a kernel for 3
    ("ops.conv", {}, [(None, 2, 2, 3), (3, 3, 3, 5)]),  # a window larger than the input
    ("ops.conv", {}, [(None, 8, 8, 3), (3, 3, 5)]),  # ranks differ
    ("ops.conv", {"padding": "same", "strides": (2, 3)}, [(None, 9, None, 3), (3, 3, 3, 5)]),
    ("ops.conv", {"dilation_rate": 2}, [(None, 9, 3), (3, 3, 4)]),
    ("ops.depthwise_conv", {"data_format": "channels_first"}, [(None, 3, 8, 8), (3, 3, 3, 2)]),
    ("ops.depthwise_conv", {"strides": 2}, [(None, 9, 9, 3), (2, 2, 3, 1)]),
    ("ops.image.resize", {"size": (4, 4)}, [(None, 8)]),
    ("ops.image.resize", {"size": (4, 5)}, [(8, 8, 3)]),
    ("ops.swapaxes", {"axis1": 0, "axis2": 3}, [(None, 4, 6)]),
    ("ops.moveaxis", {"source": 0, "destination": -1}, [(None, 4, 6)]),
    ("ops.moveaxis", {"source": (0, 1), "destination": (2, 0)}, [(None, 4, 6)]),
    ("ops.moveaxis", {"source": 3, "destination": 0}, [(None, 4, 6)]),
    ("ops.diff", {"n": 7}, [(None, 4, 6)]),
    ("ops.diff", {"axis": 0}, [(None, 4, 6)]),
    ("ops.diff", {"axis": 2}, [(None, 4)]),
    ("ops.glu", {"axis": 1}, [(None, 5, 6)]),
    ("ops.glu", {"axis": 0}, [(None, 5, 6)]),
    ("ops.sparsemax", {"axis": 2}, [(None, 4)]),
    ("ops.max_pool", {"pool_size": 9}, [(None, 8, 8, 3)]),
    ("ops.average_pool", {"pool_size": 2, "strides": (1, 2)}, [(None, None, 9, 3)]),
    ("ops.max_pool", {"pool_size": (2, 2, 2), "padding": "same"}, [(None, 5, 6, 7, 2)]),
    ("ops.moments", {"axes": (1, 3)}, [(None, 4, 6)]),
    ("ops.moments", {"axes": -1, "keepdims": True}, [(None, 4, 6)]),
    ("ops.dot_product_attention", {}, [(None, 5, 2, 4), (None, 7, 2, 4), (None, 7, 2, 4)]),
    ("ops.einsum", {"subscripts": "bij,bjk->bik"}, [(None, 4, 6)]),
    ("ops.einsum", {"subscripts": "bij,bjk->bik"}, [(None, 4, 6), (None, 6)]),
    ("ops.einsum", {"subscripts": "...i,...i->..."}, [(None, 3, 4), (None, 1, 4)]),
    ("ops.einsum", {"subscripts": "bij,bkj"}, [(None, 4, 6), (None, 2, 6)]),
    ("ops.einsum", {"subscripts": "b...,b->b"}, [(None, 4, 6), (None,)]),
    ("ops.tensordot", {"axes": [[1], [0]]}, [(None, 4, 6), (5, 3)]),
    ("ops.tensordot", {"axes": [[-1, 1], [0, 1]]}, [(None, 4, 6), (6, 4, 2)]),
    ("ops.tensordot", {"axes": 1}, [(None, 4, None), (6, 3)]),
    ("ops.dot", {}, [(None, 4, 6), (5, 3)]),
    ("ops.dot", {}, [(None, 4, 6), (5,)]),
    ("ops.dot", {}, [(None, 4, None), (6, 3)]),
    ("ops.dot", {}, [(None,), (None,)]),
    ("ops.inner", {}, [(None, 4, 6), (5, 5)]),
    ("ops.outer", {}, [(None, 4), (None,)]),
    ("ops.qr", {}, [(None, 4, None)]),
    ("ops.qr", {"mode": "complete"}, [(None,)]),
    ("ops.svd", {}, [(None,)]),
    ("ops.svd", {"compute_uv": False, "full_matrices": False}, [(2, 3, 6, 4)]),
    ("ops.average", {"axis": 3}, [(None, 4, 6)]),
    ("ops.average", {"axis": -1}, [(None, 4, 6), (5,)]),
    ("ops.average", {"axis": -1}, [(None, 4, 6), (None, 3, 6)]),
    ("ops.hypot", {}, [(None, 4, 6), (None, 5, 6)]),
    ("ops.heaviside", {}, [(None, 4, 1), (6,)]),
    ("ops.amax", {"axis": 3}, [(None, 4, 6)]),
    ("ops.median", {"axis": (1, 2), "keepdims": True}, [(None, 4, 6)]),
    ("ops.nanmean", {"axis": 3}, [(None, 4, 6)]),
    ("ops.ptp", {"axis": (0, 2), "keepdims": True}, [(None, 4, 6)]),
    ("ops.isclose", {}, [(None, 4, 6), (None, 5, 6)]),
    ("ops.det", {}, [(None, 4, 6)]),
    ("ops.inv", {}, [(None, 4, None)]),
    ("ops.inv", {}, [(None, None, None)]),
    ("ops.trace", {"axis1": 1, "axis2": 1}, [(None, 4, 6)]),
    ("ops.trace", {"axis1": 1, "axis2": 3}, [(None, 4, 6)]),
    ("ops.diagonal", {"offset": 7, "axis1": 1, "axis2": 2}, [(None, 4, 6)]),
    ("ops.diagonal", {"offset": -2, "axis1": 1, "axis2": 2}, [(None, None, 6)]),
    ("ops.diagonal", {}, [(None, 4, 6)]),
    ("ops.binary_crossentropy", {}, [(None, 4, 6), (2, 4, 6)]),
    ("ops.categorical_crossentropy", {}, [(None, 4, 6), (None, 4, 5)]),
    ("ops.sparse_categorical_crossentropy", {"axis": 1}, [(None, 6), (None, 4, 6)]),
    ("ops.sparse_categorical_crossentropy", {}, [(None, 5), (None, 4, 6)]),
    ("ops.sparse_categorical_crossentropy", {}, [(None, 4, 2), (None, 4, 6)]),
    ("ops.fliplr", {}, [(None,)]),
    ("ops.flipud", {}, [(None,)]),
    ("ops.nanargmax", {"axis": 3}, [(None, 4, 6)]),
    ("ops.fmax", {}, [(None, 4, 6), (None, 5, 6)]),
    ("ops.fmin", {"constant": 0.5, "constant_first": True}, [(None, 4, 6)]),
    ("ops.cdist", {}, [(None, 4, 6), (None, 5, 5)]),
    ("ops.cdist", {}, [(None, 6), (5, 6)]),
    ("ops.cdist", {}, [(2, 4, 6), (3, 5, 6)]),
    ("ops.cdist", {}, [(6,), (5, 6)]),
    ("ops.ravel", {}, [(None,)]),
    ("ops.rot90", {}, [(None,)]),
    ("ops.rot90", {"axes": (1, 3)}, [(None, 4, 6)]),
    ("ops.rot90", {"k": 5, "axes": (-1, 0)}, [(None, 4, 6)]),
    ("ops.rot90", {"k": 2, "axes": (1, 2)}, [(None, 5, 5)]),
    ("ops.solve", {}, [(None, 4, 6), (None, 4, 3)]),
    ("ops.solve", {}, [(None, 4, 4), (None, 5, 3)]),
    ("ops.solve", {}, [(None, 4, 4), (None, 5)]),
    ("ops.solve", {}, [(None, 4, 4), (4, 4, 4, 3)]),
    ("ops.solve", {}, [(4, 4), (4,)]),
    ("ops.solve_triangular", {}, [(None, 4, None), (None, 4, 3)]),
    ("ops.pinv", {}, [(None,)]),
    ("ops.pinv", {}, [(None, 2, 4, None)]),
    ("ops.cholesky", {}, [(None, 4, 6)]),
    ("ops.matrix_rank", {}, [(None,)]),
    ("ops.matrix_rank", {}, [(2, 3, 4, 6)]),
    ("ops.eigh", {}, [(None, 4, 6)]),
    ("ops.eigh", {}, [(None, 2, 5, 5)]),
    ("ops.quantile", {"q": 0.5, "axis": 3}, [(None, 4, 6)]),
    ("ops.quantile", {"q": (0.1, 0.5, 0.9)}, [(None, 4, 6)]),
    ("ops.percentile", {"q": 50.0, "keepdims": True}, [(None, 4, 6)]),
    ("ops.percentile", {"q": (50.0,), "axis": 1}, [(None, 4, 6)]),
    ("ops.nanpercentile", {"q": (50.0,)}, [(None, 4, 6)]),
    ("ops.nanpercentile", {"q": (10.0, 90.0), "axis": (0, -1)}, [(None, 4, 6)]),
    ("ops.nextafter", {}, [(None, 4, 6), (None, 5, 6)]),
    ("ops.bitwise_xor", {}, [(None, 4, 6), (4, 1)]),
    ("ops.gcd", {}, [(2, 4), (None, 4)]),
    ("ops.lcm", {}, [(None, 4, 6), (None, 5, 6)]),
    ("ops.depth_to_space", {"block_size": 3}, [(None, 4, 6, 8)]),
    ("ops.depth_to_space", {"block_size": 2}, [(None, 4, None, None)]),
    ("ops.depth_to_space", {"block_size": 2}, [(None, 4, 8)]),
    ("ops.space_to_depth", {"block_size": 4}, [(None, 4, 6, 8)]),
    ("ops.space_to_depth", {"block_size": 2, "data_format": "channels_first"},
     [(None, 3, None, 6)]),
    ("ops.space_to_depth", {"block_size": 2, "data_format": "channels_first"},
     [(None, 3, 5, 6)]),
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
    return [tuple(t.shape) for t in (out if isinstance(out, list | tuple) else [out])]


def test_every_operation_has_samples_and_doc():
    assert len(OPERATIONS) >= 20
    for spec in OPERATIONS:
        assert spec.samples and spec.doc, spec.kind
        assert keras_function(spec.kind), spec.kind


@pytest.mark.parametrize("kind,params,shapes", SAMPLES)
def test_sample_shapes_match_keras(kind, params, shapes):
    want = theirs(kind, params, shapes)
    assert want is not None, "a sample Keras refuses"
    assert ours(kind, params, shapes) == want


@pytest.mark.parametrize("kind,params,shapes", SAMPLES)
def test_result_dtype_is_keras_own(kind, params, shapes):
    """Where a kind fixes its dtype (comparisons bool, argmax int32, one_hot float32,
    top_k's indices int32...) it is Keras' on float32 inputs, and a kind that fixes none
    keeps float32; a tuple gives one dtype per output."""
    out = keras_call(kind, params, [keras.KerasTensor(s) for s in shapes])
    out = list(out) if isinstance(out, list | tuple) else [out]
    want = result_dtype(kind, LAYER_SPECS[kind].resolve(params))
    want = list(want) if isinstance(want, tuple) else [want] * len(out)
    assert [t.dtype for t in out] == [w or "float32" for w in want]


@pytest.mark.parametrize("kind,params,shapes", EDGES, ids=lambda v: str(v))
def test_edge_case_verdict_matches_keras(kind, params, shapes):
    assert ours(kind, params, shapes) == theirs(kind, params, shapes)


# Params that no keyword of the function holds: a number standing for an operand.
NUMBER_OPERANDS = {"constant", "constant_first"}
# The function's tensor arguments, which are ports, not params.
TENSOR_ARGUMENTS = {"x", "x1", "x2", "xs", "a", "inputs", "kernel", "images", "condition",
                    "indices", "operands", "kwargs", "query", "key", "value", "weights",
                    "target", "output", "y", "scale", "gamma", "beta",
                    "variable", "array", "b"}
# Tensor arguments no node offers a port for: a call given them imports as a KerasLayer.
UNOFFERED_TENSORS = {("ops.dot_product_attention", "bias"),
                     ("ops.dot_product_attention", "mask")}
# Keywords no node offers: a call that sets them imports as a KerasLayer node.
UNOFFERED = {("ops.max", "initial"), ("ops.min", "initial"), ("ops.one_hot", "sparse")}
# Keras reads unstack's num from the shape when it is None; a node needs it for its ports.
OWN_DEFAULTS = {("ops.unstack", "num")}


@pytest.mark.parametrize("spec", OPERATIONS, ids=lambda s: s.kind)
def test_params_are_the_functions_keywords_with_its_defaults(spec):
    """Every param is a keyword of the keras.ops function with Keras' default (one that
    Keras requires is required, or empty for a tensor on a port), and every keyword that
    is no tensor argument is a param."""
    empty = inspect.Parameter.empty
    keywords = inspect.signature(keras_function(spec.kind)).parameters
    for param in spec.params:
        if param.name in NUMBER_OPERANDS or (spec.kind, param.name) in OWN_DEFAULTS:
            continue
        assert param.name in keywords, f"{spec.kind}: {param.name} is no keyword"
        default = keywords[param.name].default
        if default is empty:
            assert param.required or param.allow_none, f"{spec.kind}.{param.name}"
        else:
            assert not param.required and param.default == default, f"{spec.kind}.{param.name}"
    offered = {p.name for p in spec.params}
    missing = {k for k in keywords if k not in offered and k not in TENSOR_ARGUMENTS
               and (spec.kind, k) not in UNOFFERED | UNOFFERED_TENSORS}
    assert not missing, f"{spec.kind}: keywords with no param: {sorted(missing)}"


@pytest.mark.parametrize("kind,params,shapes,text", [
    ("ops.top_k", {"k": 7}, [(None, 4, 6)], "more than the 6 entries"),
    ("ops.unstack", {"num": 3, "axis": 1}, [(None, 4, 6)], "num must be the size"),
    ("ops.broadcast_to", {"shape": (4, 6)}, [(None, 4, 6)], "does not broadcast"),
    ("ops.broadcast_to", {"shape": (3, 1, 6)}, [(3, 4, 6)], "does not broadcast"),
    ("ops.pad", {"pad_width": 1, "mode": "reflect", "constant_values": 1.0}, [(3, 4)],
     "only for mode='constant'"),
    ("ops.triu", {}, [(None,)], "rank 2 or more"),
    ("ops.dot_product_attention", {}, [(None, 5, 4), (None, 5, 4), (None, 5, 4)], "rank 4"),
    ("ops.dot_product_attention", {}, [(None, 5, 3, 4), (None, 5, 2, 4), (None, 5, 2, 4)],
     "multiple"),
    ("ops.dot_product_attention", {}, [(None, 5, 2, 4), (None, 5, 2, 8), (None, 5, 2, 8)],
     "their dim"),
    ("ops.average", {"axis": 1}, [(None, 4, 6), (4,)], "last axis only"),
    ("ops.average", {}, [(None, 4, 6), (None, 4, 6)], "last axis only"),
    ("ops.tensordot", {"axes": 1}, [(None, 4, 6), (5, 3)], "must have one size"),
    ("ops.tensordot", {"axes": 3}, [(None, 4, 6), (6, 3)], "more than the rank"),
    ("ops.logdet", {}, [(None, 4, 6)], "square matrices"),
    ("ops.diagonal", {"axis1": 1, "axis2": -2}, [(None, 4, 6)], "must be different"),
    ("ops.rms_normalization", {"axis": 1}, [(None, 4, 6)], "last axes only"),
    ("ops.layer_normalization", {"axis": (0, 1)}, [(None, 4, 6)], "last axes only"),
    ("ops.layer_normalization", {}, [(None, 4, 6), (1, 6)], r"shape \(6,\)"),
    ("ops.rms_normalization", {"axis": (0, 2)}, [(None, 4, 6), (6,)], "input's rank"),
    ("ops.rms_normalization", {"axis": 3}, [(None, 4, 6)], "out of bounds"),
    ("ops.rot90", {"k": 2, "axes": (1, 2)}, [(None, 4, 6)], "keeps its shape"),
    ("ops.rot90", {"k": 0, "axes": (0, 1)}, [(None, 4, 6)], "keeps its shape"),
    ("ops.rot90", {"axes": (1, -2)}, [(None, 4, 6)], "must be different"),
    ("ops.quantile", {"q": (0.5,), "axis": 1}, [(None, 4, 6)], "list of one q"),
    ("ops.bitwise_and", {}, [(None, 4, 6), (None, 5, 6)], "must broadcast to x"),
    ("ops.left_shift", {}, [(None, 4, 1), (6,)], "must broadcast to x"),
    ("ops.right_shift", {}, [(None, 4), (3, 4)], "must broadcast to x"),
])
def test_refused_at_edit_time_what_fails_when_the_model_runs(kind, params, shapes, text):
    """Keras' symbolic call lets these through; the model would fail (or mislead) when
    it runs, so the rule says why at once."""
    spec = LAYER_SPECS[kind]
    with pytest.raises(KerasCanvasError, match=text):
        spec.output_shapes(spec.resolve(params), shapes)


@pytest.mark.parametrize("kind,params", [
    ("ops.pad", {"pad_width": [[0, 0], [1]]}), ("ops.pad", {"pad_width": -1}),
    ("ops.tensordot", {"axes": [[1, 2], [0]]}), ("ops.tensordot", {"axes": -1}),
    ("ops.tensordot", {"axes": [1, 0]}), ("ops.threshold", {"threshold": 0.5}),
    ("ops.roll", {"shift": (1, 2), "axis": 1}), ("ops.unstack", {"num": 0}),
    ("ops.quantile", {"q": 1.5}), ("ops.percentile", {"q": (10.0, 101.0)}),
    ("ops.pinv", {"rcond": -1.0}), ("ops.rot90", {"axes": (0, 1, 2)}),
    ("ops.image.resize", {"size": (4, 4), "crop_to_aspect_ratio": True,
                          "pad_to_aspect_ratio": True}),
])
def test_bad_params_are_refused(kind, params):
    with pytest.raises(KerasCanvasError):
        LAYER_SPECS[kind].resolve(params)


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
                                    op_einsum, op_arrays, op_array_shapes, op_parts,
                                    op_elementwise, op_products, op_matrices,
                                    op_losses, op_norms, op_linalg, op_quantiles,
                                    op_integers, op_space],
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
