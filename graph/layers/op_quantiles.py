"""Quantiles over axes: `ops.quantile`, `ops.percentile` and their NaN-ignoring
`ops.nanquantile`, `ops.nanpercentile`. Each is a kind of `graph.layers.operations`, its
params the function's keywords with Keras' defaults; `q` is a param (one number, or a list
of them, whose entries make a new first axis), taken positionally after the tensor as
Keras' op takes it. The shape rule is the op's `compute_output_spec` in Keras'
`keras/src/ops/numpy.py`. Quantile's and Nanquantile's count a list of one q as a number,
where Keras' torch backend gives it an axis of size 1 when the model runs, so their rule
refuses such a list at once (the percentiles' give the axis, as torch does).

>>> from ..spec import get_spec
>>> spec = get_spec("ops.quantile")
>>> spec.output_shapes(spec.resolve({"q": [0.25, 0.75], "axis": 1}), [(None, 4, 6)])
[(2, None, 6)]
"""

from __future__ import annotations

from typing import Any

from ..errors import ShapeError
from ..params import ParamSpec
from ..spec import Sample
from .op_shapes import reduce_shape
from .operations import register_operations

_TENSORS = ((None, 4, 6),)
METHODS = ("linear", "lower", "higher", "midpoint", "nearest")
# The kinds whose symbolic call counts a list of one q as the number.
ONE_AS_NUMBER = ("ops.quantile", "ops.nanquantile")


def quantile_shape(params, inputs):
    """The reduced shape, after an axis of one entry per q when q is a list."""
    q, kind = params["q"], params["__kind__"]
    if isinstance(q, tuple) and len(q) == 1 and kind in ONE_AS_NUMBER:
        raise ShapeError(f"{kind}: a list of one q gives an axis of size 1 when the model runs "
                         f"on torch, where Keras' symbolic call gives none; write the number. "
                         f"Received: q={list(q)}", port=0)
    shape = reduce_shape(params, inputs)
    return (len(q), *shape) if isinstance(q, tuple) else shape


def _family(what: str, top: float, doc: str) -> dict:
    def problem(value: Any) -> str | None:
        values = value if isinstance(value, tuple) else (value,)
        return None if all(0 <= v <= top for v in values) else f"numbers in [0, {top:g}]"

    return dict(
        params=(ParamSpec("q", "float_or_list", initial=top / 2, check=problem,
                          doc=f"The {what} to compute, in [0, {top:g}]: a number, or a list "
                              f"of them (a new first axis)"),
                ParamSpec("axis", "axis", default=None, allow_none=True,
                          doc="Axis or axes to reduce; empty for all"),
                ParamSpec("method", "choice", default="linear", choices=METHODS,
                          doc="How to pick between the two nearest values"),
                ParamSpec("keepdims", "bool", default=False,
                          doc="Keep reduced axes with size 1")),
        shape=quantile_shape, doc=f"keras.ops.{doc}",
        samples=(Sample({"q": top * 0.3, "axis": 1}, _TENSORS),
                 Sample({"q": (top * 0.2, top * 0.7), "axis": (1, 2), "keepdims": True},
                        _TENSORS),
                 Sample({"q": top * 0.5, "axis": -1, "method": "nearest"}, _TENSORS)))


_FAMILIES: dict[str, dict[str, Any]] = {
    "quantile": _family("quantiles", 1.0, "quantile: the q-th quantiles over axes"),
    "percentile": _family("percentiles", 100.0, "percentile: the q-th percentiles over axes"),
    "nanquantile": _family("quantiles", 1.0,
                           "nanquantile: the q-th quantiles over axes, NaN ignored"),
    "nanpercentile": _family("percentiles", 100.0,
                             "nanpercentile: the q-th percentiles over axes, NaN ignored"),
}

register_operations(_FAMILIES)
