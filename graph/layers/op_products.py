"""Products, decompositions and weighted means: `ops.dot`, `ops.tensordot`, `ops.inner`,
`ops.outer`, `ops.qr` and `ops.svd` (several outputs, one port each),
`ops.average` (its weights a tensor on a second port), `ops.threshold`, and `ops.hypot`,
`ops.heaviside`, `ops.nextafter` and `ops.isclose` (elementwise on two tensors; Keras
takes no number for them). Each is a kind of `graph.layers.operations`, its params the
function's keywords with Keras' defaults; its shape rule is the op's `compute_output_spec` in Keras'
`keras/src/ops/numpy.py` and `linalg.py`, refusing at edit time what the torch backend
would only refuse when the model runs.

>>> from ..spec import get_spec
>>> spec = get_spec("ops.tensordot")
>>> spec.output_shapes(spec.resolve({"axes": [[2], [0]]}), [(None, 4, 6), (6, 3)])
[(None, 4, 3)]
>>> spec = get_spec("ops.svd")
>>> spec.output_shapes(spec.resolve({"full_matrices": False}), [(None, 4, 6)])
[(None, 4, 4), (None, 4), (None, 4, 6)]
>>> from .operations import call_parts
>>> call_parts("ops.average", {"axis": -1}, ["x", "w"])
('average', ['x'], {'axis': -1, 'weights': 'w'})
"""

from __future__ import annotations

import math
from typing import Any

from ..errors import ShapeError
from ..params import ParamSpec
from ..shapes import fmt
from ..spec import Sample
from .common import checked_axes, same_shape
from .op_shapes import broadcast, reduce_shape
from .operations import register_operations

_TENSORS = ((None, 4, 6),)


def _known_equal(a, b) -> bool:
    return a is None or b is None or a == b


def average_shape(params, inputs):
    """The input reduced over `axis` (all axes for None). Weights, on port 1, have the
    input's shape or the axis' length; Keras' torch backend sums them over the last axis
    only, so another axis fails when the model runs (None gives wrong values)."""
    kind, x, axis = params["__kind__"], tuple(inputs[0]), params["axis"]
    if axis is not None:
        axis = checked_axes(axis, x, kind)[0]
    if len(inputs) == 2:
        weights = tuple(inputs[1])
        if axis != len(x) - 1:
            raise ShapeError(f"{kind}: Keras' torch backend weighs along the last axis only "
                             f"(axis=-1); weights on another axis, or on all, fail or give "
                             f"wrong values when the model runs. Received: axis="
                             f"{params['axis']}, input_shape={fmt(x)}", port=1)
        if weights != (x[axis],) and not (len(weights) == len(x) and all(
                _known_equal(a, b) for a, b in zip(weights, x, strict=True))):
            raise ShapeError(f"{kind}: weights need the input's shape {fmt(x)} or the length "
                             f"of its axis ({x[axis]},). Received: weights {fmt(weights)}",
                             port=1)
    return reduce_shape({**params, "axis": axis, "keepdims": False}, [x])


def _average_call(values: dict, kwargs: dict, inputs: list) -> tuple[list, dict]:
    weights = {"weights": inputs[1]} if len(inputs) > 1 else {}
    return [inputs[0]], {**kwargs, **weights}


def _axes_problem(value: Any) -> str | None:
    def ints(v) -> bool:
        return isinstance(v, list) and all(isinstance(a, int) and not isinstance(a, bool)
                                           for a in v)

    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return None
    if isinstance(value, list) and len(value) == 2 and all(ints(v) for v in value) \
            and len(value[0]) == len(value[1]):
        return None
    return ("an int >= 0 (the last axes of x1 against the first of x2), or two lists of "
            "as many axes ([[2], [0]])")


def tensordot_shape(params, inputs):
    """x1's axes, then x2's, without the summed ones; their sizes must agree."""
    kind, (x1, x2), axes = params["__kind__"], (tuple(s) for s in inputs), params["axes"]
    if isinstance(axes, int):
        if axes > min(len(x1), len(x2)):
            raise ShapeError(f"{kind}: axes={axes} is more than the rank of an input. "
                             f"Received: x1 {fmt(x1)}, x2 {fmt(x2)}", port=1)
        first, second = list(range(len(x1) - axes, len(x1))), list(range(axes))
    else:
        first = list(checked_axes(axes[0], x1, kind))
        second = list(checked_axes(axes[1], x2, kind, port=1))
    for a, b in zip(first, second, strict=True):
        if not _known_equal(x1[a], x2[b]):
            raise ShapeError(f"{kind}: the summed axes must have one size: x1's axis {a} is "
                             f"{x1[a]}, x2's axis {b} is {x2[b]}. Received: axes={axes}, "
                             f"x1 {fmt(x1)}, x2 {fmt(x2)}", port=1)
    return (*(d for i, d in enumerate(x1) if i not in first),
            *(d for i, d in enumerate(x2) if i not in second))


def dot_shape(params, inputs):
    """numpy's dot: x1's last axis against x2's only one, or its second-to-last."""
    kind, (x1, x2) = params["__kind__"], (tuple(s) for s in inputs)
    if len(x1) == 1 and len(x2) == 1:
        return ()
    if len(x2) == 1:
        if x1[-1] != x2[0]:  # Keras refuses an unknown size here too
            raise ShapeError(f"{kind}: x1's last dim must be x2's length. Received: "
                             f"x1 {fmt(x1)}, x2 {fmt(x2)}", port=1)
        return x1[:-1]
    if not _known_equal(x1[-1], x2[-2]):
        raise ShapeError(f"{kind}: x1's last dim ({x1[-1]}) must be x2's second-to-last "
                         f"({x2[-2]}). Received: x1 {fmt(x1)}, x2 {fmt(x2)}", port=1)
    return (*x1[:-1], *x2[:-2], x2[-1])


def inner_shape(params, inputs):
    """x1's axes then x2's, each without its last, which are summed together."""
    kind, (x1, x2) = params["__kind__"], (tuple(s) for s in inputs)
    if not _known_equal(x1[-1], x2[-1]):
        raise ShapeError(f"{kind}: the last dims must agree. Received: x1 {fmt(x1)}, "
                         f"x2 {fmt(x2)}", port=1)
    return (*x1[:-1], *x2[:-1])


def broadcast_shape(params, inputs):
    """An elementwise op on two tensors (no number operand): numpy broadcasting."""
    return broadcast(*inputs, params["__kind__"])


def outer_shape(params, inputs):
    """(size of x1, size of x2): both are flattened, the batch axis too."""
    return tuple(None if None in s else math.prod(s) for s in inputs)


def _matrices(kind: str, shape) -> tuple[int, int]:
    if len(shape) < 2 or None in shape[-2:]:
        raise ShapeError(f"{kind} needs matrices: rank 2 or more, the last two dims known. "
                         f"Received: input_shape={fmt(shape)}", port=0)
    return shape[-2], shape[-1]


def qr_shape(params, inputs):
    """Q (..., M, K) and R (..., K, N), K = min(M, N); 'complete': Q (..., M, M), R
    (..., M, N)."""
    shape = tuple(inputs[0])
    m, n = _matrices(params["__kind__"], shape)
    k = min(m, n) if params["mode"] == "reduced" else m
    return [(*shape[:-2], m, k), (*shape[:-2], k, n)]


def svd_shape(params, inputs):
    """U, the singular values S and V^T; only S without compute_uv."""
    shape = tuple(inputs[0])
    m, n = _matrices(params["__kind__"], shape)
    k, base = min(m, n), shape[:-2]
    values = (*base, k)
    if not params["compute_uv"]:
        return [values]
    if params["full_matrices"]:
        return [(*base, m, m), values, (*base, n, n)]
    return [(*base, m, k), values, (*base, k, n)]


def _two(doc: str, shape, *samples: Sample, params: tuple = ()) -> dict:
    return dict(params=params, shape=shape, min_inputs=2, max_inputs=2,
                input_names=("x1", "x2"), doc=f"keras.ops.{doc}", samples=samples)


_FAMILIES: dict[str, dict[str, Any]] = {
    "average": dict(
        params=(ParamSpec("axis", "int", default=None, allow_none=True,
                          doc="The axis to average; empty for all"),),
        shape=average_shape, min_inputs=1, max_inputs=2, input_names=("x", "weights"),
        call=_average_call,
        doc="keras.ops.average: the mean over an axis, weighted by a tensor on port 1 "
            "(the last axis only, on torch)",
        samples=(Sample({"axis": 1}, _TENSORS), Sample({"axis": -1}, ((None, 4, 6), (6,))),
                 Sample({"axis": 2}, ((None, 4, 6), (None, 4, 6))), Sample({}, _TENSORS))),
    "tensordot": _two(
        "tensordot: sums products over axes of x1 and x2", tensordot_shape,
        Sample({"axes": 1}, ((None, 4, 6), (6, 3))),
        Sample({"axes": [[1, 2], [0, 1]]}, ((None, 4, 6), (4, 6, 2))),
        Sample({"axes": 0}, ((None, 4), (3,))),
        params=(ParamSpec("axes", "json", default=2, check=_axes_problem,
                          doc="How many last axes of x1 meet the first of x2, or "
                              "[[x1 axes], [x2 axes]]"),)),
    "dot": _two("dot: numpy's dot product", dot_shape,
                Sample({}, ((None, 4, 6), (6, 3))), Sample({}, ((None, 4, 6), (6,))),
                Sample({}, ((None, 6), (2, 6, 3)))),
    "inner": _two("inner: products summed over the last axes", inner_shape,
                  Sample({}, ((None, 4, 6), (5, 6))), Sample({}, ((None, 6), (6,)))),
    "outer": _two("outer: every entry of x1 times every entry of x2 (both flattened)",
                  outer_shape, Sample({}, ((None, 4), (5,))), Sample({}, ((2, 3), (4, 2)))),
    **{f: _two(f"{f}: elementwise on two tensors, broadcasting", broadcast_shape,
               Sample({}, ((None, 4, 6), (None, 1, 6))), Sample({}, ((None, 4, 6), (6,))))
       for f in ("hypot", "heaviside", "nextafter")},
    "isclose": {**_two(
        "isclose: whether entries are equal within a tolerance (bool), broadcasting",
        broadcast_shape, Sample({}, ((None, 4, 6), (None, 1, 6))),
        Sample({"rtol": 0.1, "atol": 0.01, "equal_nan": True}, ((None, 4, 6), (6,))),
        params=(ParamSpec("rtol", "float", default=1e-05, min=0.0,
                          doc="Tolerance relative to x2"),
                ParamSpec("atol", "float", default=1e-08, min=0.0, doc="Absolute tolerance"),
                ParamSpec("equal_nan", "bool", default=False, doc="NaN equals NaN"))),
                "dtype": lambda p: "bool"},
    "qr": dict(params=(ParamSpec("mode", "choice", default="reduced",
                                 choices=("reduced", "complete"),
                                 doc="reduced: Q (M, K), R (K, N), K = min(M, N); "
                                     "complete: Q (M, M)"),),
               shape=qr_shape, outputs=lambda p: 2,
               doc="keras.ops.qr: Q and R of each matrix of the last two axes (two outputs)",
               samples=(Sample({}, _TENSORS), Sample({"mode": "complete"}, ((None, 6, 4),)))),
    "svd": dict(params=(ParamSpec("full_matrices", "bool", default=True,
                                  doc="Square U and V^T (else K = min(M, N) columns)"),
                        ParamSpec("compute_uv", "bool", default=True,
                                  doc="Also give U and V^T (else the values only)")),
                shape=svd_shape, outputs=lambda p: 3 if p["compute_uv"] else 1,
                doc="keras.ops.svd: U, the singular values and V^T of each matrix of the "
                    "last two axes (three outputs, or one)",
                samples=(Sample({}, _TENSORS), Sample({"full_matrices": False}, _TENSORS),
                         Sample({"compute_uv": False}, ((None, 6, 4),)))),
    "threshold": dict(params=(ParamSpec("threshold", "float", initial=0.0,
                                        doc="Values above it are kept"),
                              ParamSpec("default_value", "float", initial=0.0,
                                        doc="What replaces the others")),
                      shape=same_shape, doc="keras.ops.threshold: x where x > threshold, "
                                            "else default_value",
                      samples=(Sample({"threshold": 1.0, "default_value": -1.0}, _TENSORS),)),
}

register_operations(_FAMILIES)
