"""Operations that rearrange or accumulate along axes: `ops.cumsum`, `ops.cumprod`,
`ops.prod`, `ops.flip`, `ops.roll`, `ops.tile`, `ops.repeat`, `ops.pad`,
`ops.broadcast_to`, `ops.sort`, `ops.argsort`, `ops.norm`, `ops.normalize`,
`ops.swapaxes`, `ops.moveaxis`, `ops.diff`, `ops.triu`, `ops.tril`, `ops.ravel` and
`ops.rot90`. Each is a kind of `graph.layers.operations`, its params the function's
keywords with Keras' defaults; the shape rules are in `op_array_shapes`.

>>> from ..spec import get_spec
>>> spec = get_spec("ops.pad")
>>> spec.output_shapes(spec.resolve({"pad_width": [[0, 0], [1, 1], [2, 0]]}), [(None, 4, 6)])
[(None, 6, 8)]
>>> from .operations import call_parts
>>> call_parts("ops.roll", {"shift": 1, "axis": 1}, ["x"])
('roll', ['x'], {'shift': 1, 'axis': 1})
"""

from __future__ import annotations

from typing import Any

from ..params import DTYPES, ParamSpec
from ..spec import Sample
from . import op_array_shapes as shapes
from .op_shapes import reduce_shape
from .operations import register_operations

_TENSORS = ((None, 4, 6),)
_KNOWN = ((3, 4, 6),)  # a known batch, for the ops over the flattened tensor
_FLAT_AXIS = ParamSpec("axis", "int", default=None, allow_none=True,
                       doc="The axis; empty works on the flattened tensor")
_AXES = ParamSpec("axis", "axis", default=None, allow_none=True,
                  doc="Axis or axes; empty for all")
_DTYPE = ParamSpec("dtype", "choice", default=None, choices=(None, *DTYPES),
                   doc="The dtype of the result; empty keeps the input's")
_KEEPDIMS = ParamSpec("keepdims", "bool", default=False, doc="Keep reduced axes with size 1")
# The modes that ops.pad computes on the torch backend.
PAD_MODES = ("constant", "reflect", "symmetric")


def _pad_width_problem(value: Any) -> str | None:
    def count(v) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and v >= 0

    def pair(v) -> bool:
        return isinstance(v, list) and len(v) == 2 and all(count(n) for n in v)

    if count(value) or pair(value) or (isinstance(value, list) and value
                                       and all(pair(v) for v in value)):
        return None
    return ("an int >= 0 for every side, or [before, after], or one [before, after] pair per "
            "axis of the input, batch included ([[0, 0], [1, 1]])")


def _roll_problem(params) -> str | None:
    shift, axis = params["shift"], params["axis"]
    if isinstance(shift, tuple) and (isinstance(axis, int) or axis is None
                                     or len(axis) != len(shift)):
        return (f"A list of shifts needs as many axes. Received: shift={list(shift)}, "
                f"axis={axis}")
    return None


def _repeats_problem(value: Any) -> str | None:
    """Keras takes one count per entry too, but its torch backend fails on a list when
    the model runs (its own `all` shadows Python's: "Invalid dtype: object")."""
    if isinstance(value, tuple):
        return ("one int, the copies of every entry: a list of counts per entry fails on "
                "Keras' torch backend when the model runs (Keras 3.15 raises 'Invalid dtype: "
                "object')")
    return None


def _accumulate(what: str) -> dict:
    return dict(params=(_FLAT_AXIS, _DTYPE), shape=shapes.flat_or_same,
                dtype=lambda p: p["dtype"],
                doc=f"keras.ops.{what} along an axis (or the flattened tensor)",
                samples=(Sample({"axis": 1}, _TENSORS), Sample({}, _KNOWN),
                         Sample({"axis": -1, "dtype": "float64"}, _TENSORS)))


def _sorting(what: str, **extra) -> dict:
    return dict(params=(ParamSpec("axis", "int", default=-1, allow_none=True,
                                  doc="The axis to sort along; empty sorts the flattened "
                                      "tensor"),),
                shape=shapes.flat_or_same, doc=f"keras.ops.{what}",
                samples=(Sample({}, _TENSORS), Sample({"axis": 1}, _TENSORS),
                         Sample({"axis": None}, _KNOWN)), **extra)


_FAMILIES: dict[str, dict[str, Any]] = {
    "cumsum": _accumulate("cumsum: running sums"),
    "cumprod": _accumulate("cumprod: running products"),
    "nancumsum": _accumulate("nancumsum: running sums, NaN counted as 0"),
    "nancumprod": _accumulate("nancumprod: running products, NaN counted as 1"),
    **{f: dict(params=(), shape=shapes.flip_axis_shape, doc=f"keras.ops.{f}: reverse the "
               f"order along axis {axis}", samples=(Sample({}, _TENSORS),))
       for f, axis in (("fliplr", 1), ("flipud", 0))},
    "prod": dict(params=(_AXES, _KEEPDIMS, _DTYPE), shape=reduce_shape,
                 dtype=lambda p: p["dtype"], doc="keras.ops.prod: the product over axes",
                 samples=(Sample({"axis": 1}, _TENSORS),
                          Sample({"axis": (1, 2), "keepdims": True}, _TENSORS),
                          Sample({}, _TENSORS))),
    "flip": dict(params=(_AXES,), shape=shapes.axes_same_shape,
                 doc="keras.ops.flip: reverse the order along axes (all when empty)",
                 samples=(Sample({"axis": 1}, _TENSORS), Sample({}, _TENSORS),
                          Sample({"axis": (1, 2)}, _TENSORS))),
    "roll": dict(params=(ParamSpec("shift", "int_or_list", initial=1,
                                   doc="How far to roll (one per axis when a list)"), _AXES),
                 shape=shapes.axes_same_shape, check=_roll_problem,
                 doc="keras.ops.roll: shift entries along axes, wrapping around",
                 samples=(Sample({"shift": 2, "axis": 1}, _TENSORS), Sample({"shift": 1},
                                                                            _KNOWN),
                          Sample({"shift": (1, -2), "axis": (1, 2)}, _TENSORS))),
    "tile": dict(params=(ParamSpec("repeats", "int_or_list", initial=2, min=0,
                                   doc="Copies along each axis (the last ones when shorter)"),),
                 shape=shapes.tile_shape, doc="keras.ops.tile: repeat the whole tensor",
                 samples=(Sample({"repeats": (1, 2, 3)}, _TENSORS),
                          Sample({"repeats": 2}, _TENSORS),
                          Sample({"repeats": (2, 1, 1, 1)}, _TENSORS))),
    "repeat": dict(params=(ParamSpec("repeats", "int_or_list", initial=2, min=0,
                                     check=_repeats_problem, doc="Copies of each entry"),
                           _FLAT_AXIS),
                   shape=shapes.repeat_shape,
                   doc="keras.ops.repeat: repeat each entry along an axis",
                   samples=(Sample({"repeats": 2, "axis": 1}, _TENSORS),
                            Sample({"repeats": 0, "axis": -1}, _TENSORS),
                            Sample({"repeats": 3}, _KNOWN))),
    "pad": dict(params=(ParamSpec("pad_width", "json", initial=[[0, 0], [1, 1]],
                                  check=_pad_width_problem,
                                  doc="[before, after] per axis, batch included"),
                        ParamSpec("mode", "choice", default="constant", choices=PAD_MODES,
                                  doc="What fills the border"),
                        ParamSpec("constant_values", "float", default=None, allow_none=True,
                                  doc="The fill value of mode='constant'; empty for 0")),
                shape=shapes.pad_shape, doc="keras.ops.pad: add a border along axes",
                samples=(Sample({"pad_width": [[0, 0], [1, 1], [2, 0]]}, _TENSORS),
                         Sample({"pad_width": [[0, 0], [1, 2], [0, 0]], "mode": "reflect"},
                                _TENSORS),
                         Sample({"pad_width": [1, 2], "constant_values": 1.5}, _KNOWN))),
    "broadcast_to": dict(params=(ParamSpec("shape", "int_list", initial=(2, 4, 6), min=0,
                                           doc="The shape of the result, batch included"),),
                         shape=shapes.broadcast_to_shape,
                         doc="keras.ops.broadcast_to: repeat axes of size 1 to a shape",
                         samples=(Sample({"shape": (3, 4, 6)}, ((3, 1, 6),)),
                                  Sample({"shape": (2, 3, 4, 6)}, ((3, 4, 1),)))),
    "sort": _sorting("sort: the values in increasing order"),
    "argsort": _sorting("argsort: the int32 indices that sort the values",
                        dtype=lambda p: "int32"),
    "norm": dict(params=(ParamSpec("ord", "choice", default=None,
                                   choices=(None, "fro", "nuc", 1, 2, -1, -2),
                                   doc="Which norm (empty: 2-norm; 'fro', 'nuc' over two "
                                       "axes)"), _AXES, _KEEPDIMS),
                 shape=shapes.norm_shape, doc="keras.ops.norm: vector or matrix norms",
                 samples=(Sample({"axis": -1}, _TENSORS),
                          Sample({"ord": 1, "axis": 1, "keepdims": True}, _TENSORS),
                          Sample({"ord": "fro", "axis": (1, 2)}, _TENSORS))),
    "normalize": dict(params=(ParamSpec("axis", "int", default=-1,
                                        doc="The axis to normalize along"),
                              ParamSpec("order", "int", default=2, min=1,
                                        doc="The norm's order (2: unit length)"),
                              ParamSpec("epsilon", "float", default=None, allow_none=True,
                                        min=0.0, doc="Floor of the norm; empty for Keras'")),
                      shape=shapes.axes_same_shape,
                      doc="keras.ops.normalize: scale to unit norm along an axis",
                      samples=(Sample({}, _TENSORS), Sample({"axis": 1, "order": 1},
                                                            _TENSORS))),
    "swapaxes": dict(params=(ParamSpec("axis1", "int", initial=1, doc="One axis"),
                             ParamSpec("axis2", "int", initial=2, doc="The other axis")),
                     shape=shapes.swapaxes_shape, doc="keras.ops.swapaxes: exchange two axes",
                     samples=(Sample({"axis1": 1, "axis2": 2}, _TENSORS),
                              Sample({"axis1": 0, "axis2": -1}, _TENSORS))),
    "moveaxis": dict(params=(ParamSpec("source", "axis", initial=1,
                                       doc="The axis (or axes) to move"),
                             ParamSpec("destination", "axis", initial=-1,
                                       doc="Where they go, in the same order")),
                     shape=shapes.moveaxis_shape,
                     doc="keras.ops.moveaxis: move axes, keeping the others' order",
                     samples=(Sample({"source": 1, "destination": -1}, ((None, 4, 6, 2),)),
                              Sample({"source": (1, 2), "destination": (3, 1)},
                                     ((None, 4, 6, 2),)))),
    "diff": dict(params=(ParamSpec("n", "int", default=1, min=0,
                                   doc="How many times differences are taken"),
                         ParamSpec("axis", "int", default=-1, doc="The axis")),
                 shape=shapes.diff_shape,
                 doc="keras.ops.diff: differences of neighbours along an axis",
                 samples=(Sample({}, _TENSORS), Sample({"n": 2, "axis": 1}, _TENSORS))),
    "ravel": dict(params=(), shape=shapes.ravel_shape,
                  doc="keras.ops.ravel: every entry in one axis, the batch's too",
                  samples=(Sample({}, _TENSORS), Sample({}, _KNOWN))),
    "rot90": dict(params=(ParamSpec("k", "int", default=1,
                                    doc="How many quarter turns (from the first axis toward "
                                        "the second)"),
                          ParamSpec("axes", "int_list", default=(0, 1), length=2,
                                    doc="The two axes of the plane turned (0 is the batch)")),
                  shape=shapes.rot90_shape,
                  doc="keras.ops.rot90: turn by quarter turns in the plane of two axes",
                  samples=(Sample({}, _TENSORS), Sample({"k": 3, "axes": (1, 2)}, _TENSORS),
                           Sample({"k": -1, "axes": (2, 1)}, _TENSORS),
                           Sample({"k": 2, "axes": (1, 2)}, ((None, 4, 4),)))),
    **{f: dict(params=(ParamSpec("k", "int", default=0,
                                 doc="The diagonal: 0 main, > 0 above, < 0 below"),),
               shape=shapes.matrix_shape,
               doc=f"keras.ops.{f}: zero the entries {where} a diagonal of the last two axes",
               samples=(Sample({}, _TENSORS), Sample({"k": -1}, _TENSORS)))
       for f, where in (("triu", "below"), ("tril", "above"))},
}

register_operations(_FAMILIES)
