"""Elementwise operations with settings: activations of `keras.ops` (`elu`, `celu`,
`squareplus`, `soft_shrink`, `hard_shrink`, and `glu`, `sparsemax` along an axis),
`round`, `nan_to_num`, and `zeros_like`, `ones_like` (a tensor of the input's shape). Each
is a kind of `graph.layers.operations`, its params the function's keywords with Keras'
defaults.

>>> from .operations import call_parts, result_dtype
>>> call_parts("ops.elu", {"alpha": 0.5}, ["x"])
('elu', ['x'], {'alpha': 0.5})
>>> result_dtype("ops.ones_like", {"dtype": "int32"})
'int32'
"""

from __future__ import annotations

from typing import Any

from ..params import DTYPES, ParamSpec
from ..spec import Sample
from . import op_array_shapes as shapes
from .common import same_shape
from .op_shapes import axis_shape
from .operations import register_operations

_TENSORS = ((None, 4, 6),)


def _one(name: str, default, doc: str, what: str, value, kind: str = "float") -> dict:
    """An elementwise op with one setting; its samples: the default, then `value`."""
    return dict(params=(ParamSpec(name, kind, default=default, doc=doc),), shape=same_shape,
                doc=f"keras.ops.{what}", samples=(Sample({}, _TENSORS),
                                                  Sample({name: value}, _TENSORS)))


def _filled(what: str) -> dict:
    return dict(params=(ParamSpec("dtype", "choice", default=None, choices=(None, *DTYPES),
                                  doc="The dtype of the result; empty keeps the input's"),),
                shape=same_shape, dtype=lambda p: p["dtype"],
                doc=f"keras.ops.{what}: a tensor of the input's shape",
                samples=(Sample({}, _TENSORS), Sample({"dtype": "int32"}, _TENSORS)))


_AXIS = ParamSpec("axis", "int", default=-1, doc="The axis")
_FAMILIES: dict[str, dict[str, Any]] = {
    "elu": _one("alpha", 1.0, "The scale of the negative part", "elu: exponential linear",
                0.5),
    "celu": _one("alpha", 1.0, "The scale of the negative part",
                 "celu: continuously differentiable exponential linear", 2.0),
    "squareplus": _one("b", 4, "The smoothness at 0", "squareplus: (x + sqrt(x^2 + b)) / 2",
                       1.0),
    "soft_shrink": _one("threshold", 0.5, "Values within it become 0; others move toward 0",
                        "soft_shrink", 1.0),
    "hard_shrink": _one("threshold", 0.5, "Values within it become 0", "hard_shrink", 1.0),
    "round": _one("decimals", 0, "Decimal places kept", "round: to the nearest value", 1,
                  kind="int"),
    "nan_to_num": dict(
        params=(ParamSpec("nan", "float", default=0.0, doc="What replaces NaN"),
                *(ParamSpec(n, "float", default=None, allow_none=True,
                            doc=f"What replaces {w}; empty for the dtype's {e}")
                  for n, w, e in (("posinf", "+inf", "largest"), ("neginf", "-inf",
                                                                  "smallest")))),
        shape=same_shape, doc="keras.ops.nan_to_num: NaN and infinities to numbers",
        samples=(Sample({}, _TENSORS), Sample({"nan": 1.0, "posinf": 9.0}, _TENSORS))),
    "zeros_like": _filled("zeros_like: zeros"),
    "ones_like": _filled("ones_like: ones"),
    "glu": dict(params=(_AXIS,), shape=shapes.glu_shape,
                doc="keras.ops.glu: one half of an axis gated by the sigmoid of the other",
                samples=(Sample({}, _TENSORS), Sample({"axis": 1}, _TENSORS))),
    "sparsemax": dict(params=(_AXIS,), shape=axis_shape,
                      doc="keras.ops.sparsemax: a softmax that can give exact zeros",
                      samples=(Sample({}, _TENSORS), Sample({"axis": 1}, _TENSORS))),
}

register_operations(_FAMILIES)
