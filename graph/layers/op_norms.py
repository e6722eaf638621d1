"""Normalizations as functions: `ops.rms_normalization` (its scale a tensor on an
optional second port) and `ops.layer_normalization` (gamma and beta on optional second
and third ports). Each is a kind of `graph.layers.operations`, its params the function's
keywords with Keras' defaults; Keras records the op classes as `RMSNorm` and
`LayerNorm`, which the importer reads as these functions. The result has the input's
shape. Keras' symbolic call checks neither the axes nor the scale, gamma and beta; the
rule refuses what its torch backend refuses when the model runs (consecutive axes other
than the last ones, a scale of another shape than theirs).

>>> from .operations import call_parts
>>> call_parts("ops.layer_normalization", {"epsilon": 0.001}, ["x", "g", "b"])
('layer_normalization', ['x'], {'epsilon': 0.001, 'gamma': 'g', 'beta': 'b'})
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

_AXIS = ParamSpec("axis", "axis", default=-1, doc="The axis (or axes) to normalize over")
_EPSILON = ParamSpec("epsilon", "float", default=None, allow_none=True, min=0.0,
                     doc="Added to the variance; empty for Keras' epsilon")
_TENSORS = ((None, 4, 6),)


def norm_shape(params, inputs):
    """The input's shape. On torch, Keras normalizes consecutive axes with torch's own
    kernel, which takes the last axes only and a scale (gamma, beta) of exactly their
    shape; other axes go through generic ops, where a scale of the input's rank must
    broadcast to it."""
    kind, x = params["__kind__"], tuple(inputs[0])
    axes = sorted(checked_axes(params["axis"], x, kind))
    if axes != list(range(axes[0], axes[-1] + 1)):
        wanted, why = None, "with axes that are not consecutive"
    elif axes[-1] != len(x) - 1:
        raise ShapeError(f"{kind}: Keras' torch backend normalizes consecutive axes with "
                         f"torch's kernel, which takes the last axes only, so these fail "
                         f"when the model runs; use the last axes (-1). Received: axis="
                         f"{params['axis']}, input_shape={fmt(x)}", port=0)
    else:
        wanted, why = tuple(x[a] for a in axes), "on the normalized axes"
    for port, shape in enumerate(inputs[1:], start=1):
        if not _fits(tuple(shape), wanted, x, kind):
            need = fmt(wanted) if wanted is not None else \
                f"of the input's rank, broadcasting to {fmt(x)},"
            raise ShapeError(f"{kind}: input {port} needs the shape {need} {why} (Keras' "
                             f"torch backend). Received: {fmt(shape)}, axis="
                             f"{params['axis']}, input_shape={fmt(x)}", port=port)
    return x


def _fits(shape: tuple, wanted: tuple | None, x: tuple, kind: str) -> bool:
    """`shape` is `wanted` (unknown dims aside), or, with none wanted, of x's rank and
    broadcasts to x."""
    if wanted is not None:
        return len(shape) == len(wanted) and all(
            a is None or b is None or a == b for a, b in zip(shape, wanted, strict=True))
    try:
        return len(shape) == len(x) and broadcast(x, shape, kind) == x
    except ShapeError:
        return False


def _keywords(*names: str):
    """The call of a kind whose further tensors are keywords (`scale=s`), in port order."""
    def call(values: dict, kwargs: dict, inputs: list) -> tuple[list, dict]:
        return [inputs[0]], {**kwargs, **dict(zip(names, inputs[1:], strict=False))}
    return call


_FAMILIES: dict[str, dict[str, Any]] = {
    "rms_normalization": dict(
        params=(_AXIS, _EPSILON), shape=norm_shape, min_inputs=1, max_inputs=2,
        input_names=("x", "scale"), call=_keywords("scale"),
        doc="keras.ops.rms_normalization: x over its root mean square along axes, times "
            "the scale on port 1",
        samples=(Sample({}, _TENSORS), Sample({"axis": (1, 2), "epsilon": 0.01},
                                              ((None, 4, 6), (4, 6))),
                 Sample({}, ((None, 4, 6), (6,))),
                 Sample({"axis": (0, 2)}, ((None, 4, 6), (1, 4, 6))))),
    "layer_normalization": dict(
        params=(_AXIS, _EPSILON), shape=norm_shape, min_inputs=1, max_inputs=3,
        input_names=("x", "gamma", "beta"), call=_keywords("gamma", "beta"),
        doc="keras.ops.layer_normalization: x centred and scaled along axes, times gamma "
            "(port 1) plus beta (port 2)",
        samples=(Sample({}, _TENSORS), Sample({"epsilon": 0.001}, ((None, 4, 6), (6,))),
                 Sample({"axis": (1, 2)}, ((None, 4, 6), (4, 6), (4, 6))),
                 Sample({"axis": (0, 2)}, ((None, 4, 6), (1, 1, 6), (1, 4, 1))))),
}

register_operations(_FAMILIES)
