"""Operations on the matrices of two axes: `ops.det`, `ops.logdet` and `ops.inv` (of
the last two, square), `ops.trace` and `ops.diagonal` (of any two, `axis1` and `axis2`),
and `ops.cdist` (the distances between the rows of two).
Each is a kind of `graph.layers.operations`, its params the function's keywords with
Keras' defaults (trace's and diagonal's axes default to 0 and 1, the batch axis among
them, as numpy's); its shape rule is the op's `compute_output_spec` in Keras'
`keras/src/ops/linalg.py`, `math.py` and `numpy.py`, refusing at edit time what torch
refuses only when the model runs (a logdet of non-square matrices, a diagonal of one
axis twice).

>>> from ..spec import get_spec
>>> spec = get_spec("ops.diagonal")
>>> spec.output_shapes(spec.resolve({"offset": 1, "axis1": 1, "axis2": 2}), [(None, 4, 6)])
[(None, 4)]
"""

from __future__ import annotations

from typing import Any

from ..errors import ShapeError
from ..params import ParamSpec
from ..shapes import fmt
from ..spec import Sample
from .common import checked_axes
from .op_shapes import broadcast
from .operations import register_operations

_SQUARES = ((None, 4, 4),)


def square(kind: str, shape) -> tuple:
    """`shape`, or ShapeError unless its last two dims make square matrices (an unknown
    dim against a known one counts as different, as Keras has it)."""
    shape = tuple(shape)
    if len(shape) < 2 or shape[-2] != shape[-1]:
        raise ShapeError(f"{kind} needs square matrices: rank 2 or more, the last two dims "
                         f"equal. Received: input_shape={fmt(shape)}", port=0)
    return shape


def det_shape(params, inputs):
    """One value per matrix: the shape without its last two axes."""
    return square(params["__kind__"], inputs[0])[:-2]


def inv_shape(params, inputs):
    return square(params["__kind__"], inputs[0])


def _two_axes(params, shape) -> tuple[int, int]:
    kind = params["__kind__"]
    axis1, axis2 = checked_axes((params["axis1"], params["axis2"]), shape, kind)
    if axis1 == axis2:
        raise ShapeError(f"{kind}: axis1 and axis2 must be different axes. Received: "
                         f"axis1={params['axis1']}, axis2={params['axis2']}, input_shape="
                         f"{fmt(shape)}", port=0)
    return axis1, axis2


def trace_shape(params, inputs):
    """The input without the two axes, whose diagonal is summed."""
    shape = tuple(inputs[0])
    axes = _two_axes(params, shape)
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def diagonal_shape(params, inputs):
    """The input without the two axes, then the diagonal's length (offset > 0: above the
    main one, < 0: below)."""
    shape = tuple(inputs[0])
    axis1, axis2 = _two_axes(params, shape)
    rows, columns, offset = shape[axis1], shape[axis2], params["offset"]
    length = None
    if None not in (rows, columns):
        remaining = columns - offset if offset > 0 else rows + offset
        length = max(0, min(remaining, rows, columns))
    return (*(d for i, d in enumerate(shape) if i not in (axis1, axis2)), length)


def cdist_shape(params, inputs):
    """The distance of each row of x to each row of y: their batch axes broadcast, then
    (x's rows, y's rows); both need rank 2 and one row length."""
    kind, (x, y) = params["__kind__"], (tuple(s) for s in inputs)
    if len(x) < 2 or len(y) < 2:
        raise ShapeError(f"{kind} needs rows: rank 2 or more. Received: x {fmt(x)}, "
                         f"y {fmt(y)}", port=0 if len(x) < 2 else 1)
    if None not in (x[-1], y[-1]) and x[-1] != y[-1]:
        raise ShapeError(f"{kind}: the rows of x and y need one length. Received: x "
                         f"{fmt(x)}, y {fmt(y)}", port=1)
    return (*broadcast(x[:-2], y[:-2], kind), x[-2], y[-2])


def _axes_params(what: str) -> tuple:
    return (ParamSpec("offset", "int", default=0,
                      doc="The diagonal: 0 main, > 0 above, < 0 below"),
            ParamSpec("axis1", "int", default=0, doc=f"The first axis of the {what}"),
            ParamSpec("axis2", "int", default=1, doc=f"The second axis of the {what}"))


_FAMILIES: dict[str, dict[str, Any]] = {
    "det": dict(params=(), shape=det_shape, samples=(Sample({}, _SQUARES),),
                doc="keras.ops.det: the determinant of each square matrix of the last "
                    "two axes"),
    "logdet": dict(params=(), shape=det_shape, samples=(Sample({}, _SQUARES),),
                   doc="keras.ops.logdet: the log-determinant of each square matrix of the "
                       "last two axes"),
    "inv": dict(params=(), shape=inv_shape, samples=(Sample({}, _SQUARES),),
                doc="keras.ops.inv: the inverse of each square matrix of the last two axes"),
    "cdist": dict(params=(), shape=cdist_shape, min_inputs=2, max_inputs=2,
                  input_names=("x", "y"),
                  doc="keras.ops.cdist: the Euclidean distance of each row of x to each row "
                      "of y",
                  samples=(Sample({}, ((None, 4, 6), (None, 5, 6))),
                           Sample({}, ((None, 4, 6), (5, 6))))),
    "trace": dict(params=_axes_params("matrices"), shape=trace_shape,
                  doc="keras.ops.trace: the sum of a diagonal of the matrices of two axes",
                  samples=(Sample({"axis1": 1, "axis2": 2}, ((None, 4, 6),)),
                           Sample({"offset": -1, "axis1": -1, "axis2": 1}, ((None, 4, 6),)),
                           Sample({}, ((3, 4, 6),)))),
    "diagonal": dict(params=_axes_params("matrices"), shape=diagonal_shape,
                     doc="keras.ops.diagonal: a diagonal of the matrices of two axes, "
                         "placed last",
                     samples=(Sample({"axis1": 1, "axis2": 2}, ((None, 4, 6),)),
                              Sample({"offset": 2, "axis1": 1, "axis2": 2}, ((None, 4, 6),)),
                              Sample({"offset": -1, "axis1": 2, "axis2": 1},
                                     ((None, 4, 6),)))),
}

register_operations(_FAMILIES)
