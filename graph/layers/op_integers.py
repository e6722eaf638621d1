"""Operations on integer tensors: `ops.bitwise_and`, `ops.bitwise_or`, `ops.bitwise_xor`,
the shifts `ops.bitwise_left_shift`, `ops.bitwise_right_shift`, `ops.left_shift`,
`ops.right_shift`, `ops.gcd` and `ops.lcm` (two tensors, numpy broadcasting), and
`ops.bitwise_not`, `ops.bitwise_invert` (one). Keras' symbolic bitwise ops and shifts
give x's shape whatever y's, while torch broadcasts the two: their rule gives x's shape
and refuses a y that does not broadcast to it. Each is a kind of
`graph.layers.operations` with no params; the result has the inputs' dtype. Keras'
symbolic call takes float tensors too, while its torch backend refuses them when the
model runs (torch has no bitwise, shift, gcd or lcm of floats); the canvas tracks shapes,
not dtypes, so each node's description says that its inputs must be integers.

>>> from ..spec import get_spec
>>> spec = get_spec("ops.bitwise_and")
>>> spec.output_shapes(spec.resolve({}), [(None, 4, 6), (None, 1, 6)])
[(None, 4, 6)]
"""

from __future__ import annotations

from typing import Any

from ..errors import ShapeError
from ..shapes import fmt
from ..spec import Sample
from .common import same_shape
from .op_products import broadcast_shape
from .op_shapes import broadcast
from .operations import register_operations

TWO = {"bitwise_and": "bitwise and", "bitwise_or": "bitwise or",
       "bitwise_xor": "bitwise exclusive or", "bitwise_left_shift": "x shifted left by y bits",
       "bitwise_right_shift": "x shifted right by y bits",
       "left_shift": "x shifted left by y bits", "right_shift": "x shifted right by y bits",
       "gcd": "the greatest common divisor", "lcm": "the least common multiple"}
# Kinds whose symbolic call broadcasts (the others give x's shape).
BROADCASTING = ("gcd", "lcm")
ONE = {"bitwise_not": "every bit flipped", "bitwise_invert": "every bit flipped"}
_INTEGERS = "; integer tensors only (torch refuses floats when the model runs)"



def x_shape(params, inputs):
    """x's shape, as Keras' symbolic call says; a y that does not broadcast to it is
    refused, as torch would give another shape (or fail) when the model runs."""
    x, y, kind = tuple(inputs[0]), tuple(inputs[1]), params["__kind__"]
    try:
        both = broadcast(x, y, kind)
    except ShapeError:
        both = None
    if both != x:
        raise ShapeError(f"{kind}: y must broadcast to x's shape, which Keras gives the result "
                         f"(torch broadcasts both when the model runs). Received: "
                         f"x_shape={fmt(x)}, y_shape={fmt(y)}", port=1)
    return x


_FAMILIES: dict[str, dict[str, Any]] = {
    **{f: dict(params=(), shape=broadcast_shape if f in BROADCASTING else x_shape,
               min_inputs=2, max_inputs=2, input_names=("x", "y"),
               doc=f"keras.ops.{f}: {what}, elementwise, "
                   + ("broadcasting" if f in BROADCASTING else "y broadcast to x's shape")
                   + _INTEGERS,
               samples=(Sample({}, ((None, 4, 6), (None, 1, 6))),
                        Sample({}, ((None, 4, 6), (6,)))))
       for f, what in TWO.items()},
    **{f: dict(params=(), shape=same_shape, doc=f"keras.ops.{f}: {what}{_INTEGERS}",
               samples=(Sample({}, ((None, 4, 6),)),)) for f, what in ONE.items()},
}

register_operations(_FAMILIES)
