"""Operations that select, split or encode: `ops.where`, `ops.take`,
`ops.take_along_axis`, `ops.split` (several outputs), `ops.one_hot`, `ops.argmax` and
`ops.argmin`. Each is a kind of `graph.layers.operations`, with Keras' keywords and
defaults; their shape rules are in `op_select_shapes`.

A number may stand for a tensor operand where Keras takes either: `ops.where(c, x,
0.0)` has `x2=0.0` and two tensor inputs, `ops.take(x, [0, 2], axis=1)` has
`indices=(0, 2)` and one.

>>> from ..spec import get_spec
>>> spec = get_spec("ops.split")
>>> spec.output_shapes(spec.resolve({"indices_or_sections": 2, "axis": -1}), [(None, 4, 6)])
[(None, 4, 3), (None, 4, 3)]
>>> from .operations import call_parts
>>> call_parts("ops.where", {"x2": 0.0}, ["c", "x"])
('where', ['c', 'x', 0.0], {})
"""

from __future__ import annotations

from typing import Any

from ..params import DTYPES, ParamSpec
from ..spec import Sample
from . import op_select_shapes as shapes
from .op_shapes import reduce_shape
from .operations import _number_problem, register_operations

_TENSORS = ((None, 4, 6),)


def _operand(name: str, which: str) -> ParamSpec:
    return ParamSpec(name, "float_or_list", default=None, allow_none=True,
                     check=_number_problem,
                     doc=f"A number taken {which}; empty takes the next tensor input")


def _where_call(values: dict, kwargs: dict, inputs: list) -> tuple[list, dict]:
    rest = iter(inputs[1:])
    return [inputs[0], *(next(rest) if values[n] is None else values[n]
                         for n in ("x1", "x2"))], {}


def _take_call(values: dict, kwargs: dict, inputs: list) -> tuple[list, dict]:
    indices = inputs[1] if values["indices"] is None else _listed(values["indices"])
    return [inputs[0], indices], {k: v for k, v in kwargs.items() if k != "indices"}


def _listed(value: Any) -> Any:
    """Indices as Keras reads them: an int, or a list (numpy's rule, not a tuple's)."""
    return list(value) if isinstance(value, tuple) else value


def _split_call(values: dict, kwargs: dict, inputs: list) -> tuple[list, dict]:
    return [inputs[0], _listed(values["indices_or_sections"])], \
        {k: v for k, v in kwargs.items() if k == "axis"}


def _one_hot_call(values: dict, kwargs: dict, inputs: list) -> tuple[list, dict]:
    return [inputs[0], values["num_classes"]], \
        {k: v for k, v in kwargs.items() if k != "num_classes"}


def _sections(params) -> int:
    value = params["indices_or_sections"]
    return value if isinstance(value, int) else len(value) + 1


_AXIS_OR_NONE = ParamSpec("axis", "int", default=None, allow_none=True,
                          doc="The axis; empty works on the flattened tensor")
_ARG = dict(params=(_AXIS_OR_NONE, ParamSpec("keepdims", "bool", default=False,
                                             doc="Keep the reduced axis with size 1")),
            shape=reduce_shape, dtype=lambda p: "int32",
            samples=(Sample({"axis": -1}, _TENSORS), Sample({"axis": 1, "keepdims": True},
                                                            _TENSORS), Sample({}, _TENSORS)))

_FAMILIES: dict[str, dict[str, Any]] = {
    "where": dict(
        params=(_operand("x1", "where the condition holds"),
                _operand("x2", "where it does not")),
        shape=shapes.where_shape, min_inputs=1, max_inputs=3,
        input_names=("condition", "x1", "x2"), call=_where_call,
        doc="keras.ops.where: x1 where the condition holds, else x2 (tensors or numbers)",
        samples=(Sample({}, ((None, 4, 6), (None, 4, 6), (None, 1, 6))),
                 Sample({"x2": 0.0}, ((None, 4, 6), (None, 4, 6))),
                 Sample({"x1": 1.0, "x2": -1.0}, _TENSORS))),
    "take": dict(
        params=(ParamSpec("indices", "int_or_list", default=None, allow_none=True,
                          doc="An index or a list of them; empty takes the tensor input"),
                _AXIS_OR_NONE),
        shape=shapes.take_shape, min_inputs=1, max_inputs=2, input_names=("x", "indices"),
        call=_take_call, doc="keras.ops.take: the entries at indices along an axis",
        samples=(Sample({"indices": (0, 2), "axis": 1}, _TENSORS),
                 Sample({"indices": 3, "axis": -1}, _TENSORS),
                 Sample({"axis": 1}, ((None, 4, 6), (None, 2))))),
    "take_along_axis": dict(
        params=(_AXIS_OR_NONE,), shape=shapes.take_along_axis_shape, min_inputs=2,
        max_inputs=2, input_names=("x", "indices"),
        doc="keras.ops.take_along_axis: entries at int indices matched along an axis",
        samples=(Sample({"axis": 1}, ((None, 4, 6), (None, 2, 6))),
                 Sample({"axis": -1}, ((None, 4, 6), (None, 4, 1))))),
    "split": dict(
        params=(ParamSpec("indices_or_sections", "int_or_list", initial=2, min=0,
                          check=lambda v: "at least 1 section" if v == 0 else None,
                          doc="Equal sections (an int) or the indices to cut at (a list)"),
                ParamSpec("axis", "int", default=0, doc="The axis to cut along")),
        shape=shapes.split_shape, outputs=_sections, call=_split_call,
        doc="keras.ops.split: cut a tensor along an axis into several outputs",
        samples=(Sample({"indices_or_sections": 2, "axis": -1}, _TENSORS),
                 Sample({"indices_or_sections": (1, 3), "axis": 1}, _TENSORS))),
    "one_hot": dict(
        params=(ParamSpec("num_classes", "int", initial=10, min=1,
                          doc="The length of each one-hot vector"),
                ParamSpec("axis", "int", default=-1, min=-1,
                          doc="Where the new axis goes (-1: last)"),
                ParamSpec("dtype", "choice", default=None, choices=(None, *DTYPES),
                          doc="The dtype of the result; empty for float32")),
        shape=shapes.one_hot_shape, call=_one_hot_call,
        dtype=lambda p: p["dtype"] or "float32",
        doc="keras.ops.one_hot: int class ids to one-hot vectors",
        samples=(Sample({"num_classes": 5}, ((None, 4),)),
                 Sample({"num_classes": 3, "axis": 1, "dtype": "int32"}, ((None, 4),)))),
    "argmax": {**_ARG, "doc": "keras.ops.argmax: the int32 index of the largest value"},
    "argmin": {**_ARG, "doc": "keras.ops.argmin: the int32 index of the smallest value"},
    "nanargmax": {**_ARG, "doc": "keras.ops.nanargmax: argmax ignoring NaN"},
    "nanargmin": {**_ARG, "doc": "keras.ops.nanargmin: argmin ignoring NaN"},
}

register_operations(_FAMILIES)
