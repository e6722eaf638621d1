"""Operations: `keras.ops` calls on tensors as nodes of their own (no weights).

A Functional model built with `x + y`, `x * 0.5`, `ops.mean(x, axis=1)`,
`ops.transpose`, `ops.reshape`, `x[:, 0]`... records operations, not layers. Each
kind here is one `keras.ops` function, named `ops.<function>`; its params are the
function's keywords, with Keras' defaults. The code writer and the runtime build
both call the function through `call_parts`, so they make the same operation. An
elementwise op takes two tensors, or one tensor and a number (`constant`, first
when `constant_first`: `1.0 - x`). The shape rules follow Keras' own
(`keras/src/ops/operation_utils.py`): numpy broadcasting, with `None` unknown.

>>> spec = get_spec("ops.mean")
>>> spec.output_shapes(spec.resolve({"axis": 1}), [(None, 4, 6)])
[(None, 6)]
>>> call_parts("ops.subtract", {"constant": 1.0, "constant_first": True}, ["x"])
('subtract', [1.0, 'x'], {})
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import ShapeError
from ..params import ParamSpec
from ..shapes import fmt
from ..spec import LayerSpec, Sample, get_spec, register
from .common import checked_axes, same_shape
from .op_keys import key_items, parse_key

CATEGORY = "Operations"
PREFIX = "ops."
GET_ITEM = "__getitem__"  # the function of `x[key]`, written as indexing
BINARY = ("add", "subtract", "multiply", "divide", "true_divide", "maximum", "minimum",
          "power")
UNARY = ("negative", "absolute", "square", "sqrt", "exp", "log", "tanh")
REDUCTIONS = ("mean", "sum", "max", "min")
SEQUENCE = ("concatenate", "stack")  # called on a list of tensors


def function_name(kind: str) -> str:
    """The keras.ops function of an operation kind: `ops.mean` -> `mean`."""
    return kind.removeprefix(PREFIX)


def is_operation(spec: LayerSpec) -> bool:
    """Whether `spec` is an operation kind (a keras.ops call, not a layer)."""
    return spec.category == CATEGORY


def broadcast(a: Sequence, b: Sequence, what: str) -> tuple:
    """Numpy broadcasting of two shapes as Keras' ops compute it (an unknown dim against a
    known one takes the known one), or ShapeError naming port 1.

    >>> broadcast((None, 4, 1), (6,), "ops.add")
    (None, 4, 6)
    >>> broadcast((None, 1), (None, 3), "ops.add")
    (None, 3)
    """
    a, b = list(a), list(b)
    width = max(len(a), len(b))
    a, b = [1] * (width - len(a)) + a, [1] * (width - len(b)) + b
    out = []
    for i, j in zip(a, b, strict=True):
        if i == 1:
            out.append(j)
        elif i is None:
            out.append(None if j == 1 else j)
        elif j in (1, None, i):
            out.append(i)
        else:
            raise ShapeError(f"{what}: shapes {fmt(a)} and {fmt(b)} do not broadcast "
                             f"(dim {i} against {j})", port=1)
    return tuple(out)


# ---- shape rules -------------------------------------------------------------------
def _binary_shape(params, inputs):
    kind = params["__kind__"]
    constant = params["constant"]
    if len(inputs) == 1 and constant is None:
        raise ShapeError(f"{kind} needs a second input (x2) or a constant. Received one "
                         f"input of shape {fmt(inputs[0])} and constant=None", port=1)
    if len(inputs) == 2 and constant is not None:
        raise ShapeError(f"{kind} takes a second input or a constant, not both. Received: "
                         f"constant={constant!r} and a tensor on x2", port=1)
    return tuple(inputs[0]) if len(inputs) == 1 else broadcast(*inputs, kind)


def _reduce_shape(params, inputs):
    shape, axis = list(inputs[0]), params["axis"]
    if axis is None:
        return tuple(1 for _ in shape) if params["keepdims"] else ()
    axes = checked_axes(axis, shape, params["__kind__"])
    if params["keepdims"]:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def _transpose_shape(params, inputs):
    shape, axes = inputs[0], params["axes"]
    if axes is None:
        return tuple(reversed(shape))
    rank = len(shape)
    if len(axes) != rank or sorted(a % rank for a in checked_axes(axes, shape, "ops.transpose")) \
            != list(range(rank)):
        raise ShapeError(f"ops.transpose: axes must be a permutation of the {rank} axes of the "
                         f"input. Received: axes={axes}, input_shape={fmt(shape)}", port=0)
    return tuple(shape[a % rank] for a in axes)


def _reshape_shape(params, inputs):
    shape, new = inputs[0], params["newshape"]
    if None in shape:
        return tuple(None if d == -1 else d for d in new)
    size = math.prod(shape)
    known = math.prod(d for d in new if d != -1)
    if -1 not in new and known == size:
        return tuple(new)
    if -1 in new and known and size % known == 0:
        return tuple(size // known if d == -1 else d for d in new)
    raise ShapeError(f"ops.reshape: the total size must stay {size}. Received: "
                     f"newshape={new}, input_shape={fmt(shape)}", port=0)


def _expand_dims_shape(params, inputs):
    shape, axis = list(inputs[0]), params["axis"]
    axes = (axis,) if isinstance(axis, int) else axis
    rank = len(shape) + len(axes)
    axes = checked_axes(axes, (None,) * rank, "ops.expand_dims")
    rest = iter(shape)
    return tuple(1 if i in axes else next(rest) for i in range(rank))


def _squeeze_shape(params, inputs):
    shape, axis = inputs[0], params["axis"]
    if axis is None:
        return tuple(d for d in shape if d != 1)
    axes = checked_axes(axis, shape, "ops.squeeze")
    for a in axes:
        if shape[a] != 1:
            raise ShapeError(f"ops.squeeze: cannot squeeze axis {a}, whose size is "
                             f"{shape[a]}, not 1. Received: axis={axis}, "
                             f"input_shape={fmt(shape)}", port=0)
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def _matmul_shape(params, inputs):
    a, b = inputs
    if len(a) < 2 or len(b) < 2:
        raise ShapeError(f"ops.matmul: both inputs need a rank of 2 or more here (a batch "
                         f"and a matrix). Received: {fmt(a)} and {fmt(b)}",
                         port=0 if len(a) < 2 else 1)
    if a[-1] is not None and b[-2] is not None and a[-1] != b[-2]:
        raise ShapeError(f"ops.matmul: the last dim of x1 ({a[-1]}) must equal the "
                         f"second-to-last dim of x2 ({b[-2]}). Received: {fmt(a)} and "
                         f"{fmt(b)}", port=1)
    return (*broadcast(a[:-2], b[:-2], "ops.matmul"), a[-2], b[-1])


def _same_shapes(kind: str, inputs, skip: int | None) -> None:
    first = inputs[0]
    for port, shape in enumerate(inputs[1:], start=1):
        same = len(shape) == len(first) and all(
            i == skip or x is None or y is None or x == y
            for i, (x, y) in enumerate(zip(shape, first, strict=True)))
        if not same:
            but = f" except on axis {skip}" if skip is not None else ""
            raise ShapeError(f"{kind}: every input must have the shape of the first "
                             f"({fmt(first)}){but}. Received: {fmt(shape)}", port=port)


def _concatenate_shape(params, inputs):
    axis = checked_axes(params["axis"], inputs[0], "ops.concatenate")[0]
    _same_shapes("ops.concatenate", inputs, axis)
    sizes = [s[axis] for s in inputs]
    out = list(inputs[0])
    out[axis] = None if None in sizes else sum(sizes)
    return tuple(out)


def _stack_shape(params, inputs):
    first = inputs[0]
    axis = checked_axes(params["axis"], (None,) * (len(first) + 1), "ops.stack")[0]
    _same_shapes("ops.stack", inputs, None)
    return (*first[:axis], len(inputs), *first[axis:])


def _get_item_shape(params, inputs):
    shape, key = list(inputs[0]), params["key"]
    items, out = key_items(parse_key(key)), []
    if Ellipsis not in items:
        items.append(Ellipsis)
    while items:
        item = items.pop(0)
        if item is Ellipsis:
            taken = len(shape) - (len(items) - items.count(None))
            out, shape = out + shape[:max(taken, 0)], shape[max(taken, 0):]
        elif item is None:
            out.append(1)
        elif not shape:
            raise ShapeError(f"x[{key}]: more indices than the {len(inputs[0])} axes of the "
                             f"input. Received: input_shape={fmt(inputs[0])}", port=0)
        else:
            out += _index_dim(item, shape.pop(0), key, inputs[0])
    return tuple(out)


def _index_dim(item, length, key, shape) -> list:
    if isinstance(item, slice):
        return [None if length is None else len(range(*item.indices(length)))]
    if length is not None and not -length <= item < length:
        raise ShapeError(f"x[{key}]: index {item} is out of bounds for an axis of size "
                         f"{length}. Received: input_shape={fmt(shape)}", port=0)
    return []


# ---- the table ---------------------------------------------------------------------
def _key_problem(value: Any) -> str | None:
    from ..errors import ParamError

    try:
        parse_key(value)
    except ParamError:
        return ("the text between the brackets of x[...]: integers, slices (1:3, ::2), None "
                "or one ..., separated by commas")
    return None


def _number_problem(value: Any) -> str | None:
    return "a number" if isinstance(value, tuple) else None


_CONSTANT = (
    ParamSpec("constant", "float_or_list", default=None, allow_none=True,
              check=_number_problem, doc="A number for the other operand; empty with two inputs"),
    ParamSpec("constant_first", "bool", default=False,
              doc="The constant is the first operand (1.0 - x)"),
)
_AXIS = ParamSpec("axis", "axis", default=None, allow_none=True,
                  doc="Axis or axes to reduce; empty for all")
_KEEPDIMS = ParamSpec("keepdims", "bool", default=False, doc="Keep reduced axes with size 1")
_TENSORS = ((None, 4, 6),)

_FAMILIES: dict[str, dict[str, Any]] = {
    **{f: dict(params=_CONSTANT, shape=_binary_shape, min_inputs=1, max_inputs=2,
               input_names=("x1", "x2"), doc=f"keras.ops.{f}: elementwise, broadcasting",
               samples=(Sample({}, ((None, 4, 6), (None, 1, 6))),
                        Sample({"constant": 2.0}, _TENSORS),
                        Sample({"constant": 3.0, "constant_first": True}, _TENSORS)))
       for f in BINARY},
    **{f: dict(params=(), shape=same_shape, doc=f"keras.ops.{f}: elementwise",
               samples=(Sample({}, _TENSORS),)) for f in UNARY},
    **{f: dict(params=(_AXIS, _KEEPDIMS), shape=_reduce_shape,
               doc=f"keras.ops.{f} over axes", samples=(
                   Sample({"axis": 1}, _TENSORS), Sample({"axis": (1, 2), "keepdims": True},
                                                         _TENSORS), Sample({}, _TENSORS)))
       for f in REDUCTIONS},
    "transpose": dict(params=(ParamSpec("axes", "int_list", default=None, allow_none=True,
                                        doc="The new order of the axes; empty reverses"),),
                      shape=_transpose_shape, doc="keras.ops.transpose: permute the axes",
                      samples=(Sample({"axes": (0, 2, 1)}, _TENSORS),)),
    "reshape": dict(params=(ParamSpec("newshape", "int_list", initial=(-1,), min=-1,
                                      check=lambda v: "at most one -1"
                                      if v.count(-1) > 1 else None,
                                      doc="The new shape, batch included; one -1 is inferred"),),
                    shape=_reshape_shape, doc="keras.ops.reshape (the batch axis included)",
                    samples=(Sample({"newshape": (-1, 24)}, _TENSORS),
                             Sample({"newshape": (-1, 2, 12)}, ((3, 4, 6),)))),
    "expand_dims": dict(params=(ParamSpec("axis", "axis", initial=1,
                                          doc="Where the new axis (or axes) go"),),
                        shape=_expand_dims_shape, doc="keras.ops.expand_dims: add an axis",
                        samples=(Sample({"axis": 1}, _TENSORS), Sample({"axis": -1}, _TENSORS))),
    "squeeze": dict(params=(ParamSpec("axis", "axis", default=None, allow_none=True,
                                      doc="Axes of size 1 to drop; empty drops all"),),
                    shape=_squeeze_shape, doc="keras.ops.squeeze: drop axes of size 1",
                    samples=(Sample({"axis": 1}, ((None, 1, 6),)),)),
    "matmul": dict(params=(), shape=_matmul_shape, min_inputs=2, max_inputs=2,
                   input_names=("x1", "x2"), doc="keras.ops.matmul: (batched) matrix product",
                   samples=(Sample({}, ((None, 4, 6), (None, 6, 3))),
                            Sample({}, ((None, 2, 4, 6), (None, 1, 6, 3))))),
    "concatenate": dict(params=(ParamSpec("axis", "int", default=0,
                                          doc="The axis to join along"),),
                        shape=_concatenate_shape, max_inputs=None,
                        doc="keras.ops.concatenate: join tensors along an axis",
                        samples=(Sample({"axis": -1}, ((None, 4, 6), (None, 4, 2))),)),
    "stack": dict(params=(ParamSpec("axis", "int", default=0,
                                    doc="Where the new axis goes"),),
                  shape=_stack_shape, max_inputs=None,
                  doc="keras.ops.stack: join tensors along a new axis",
                  samples=(Sample({"axis": 1}, ((None, 4, 6), (None, 4, 6))),)),
    "get_item": dict(params=(ParamSpec("key", "str", initial=":, 0", check=_key_problem,
                                       doc="What goes in x[...]: ints, slices, None, ..."),),
                     shape=_get_item_shape, doc="x[key]: slicing and indexing",
                     samples=(Sample({"key": ":, 0"}, _TENSORS),
                              Sample({"key": "..., None, 1:3"}, _TENSORS),
                              Sample({"key": "::2, ..., -1:"}, _TENSORS))),
}


def _with_kind(kind: str, rule):
    """A shape rule that can name its kind in messages."""
    def shape(params, inputs):
        return rule({**params, "__kind__": kind}, inputs)
    shape.__doc__ = rule.__doc__
    return shape


for _name, _entry in _FAMILIES.items():
    _kind = PREFIX + _name
    register(LayerSpec(kind=_kind, category=CATEGORY, keras_module="keras.ops",
                       **{**_entry, "shape": _with_kind(_kind, _entry["shape"])}))


# ---- the call ----------------------------------------------------------------------
def call_parts(kind: str, params: Mapping[str, Any], inputs: Sequence) -> tuple[str, list, dict]:
    """(function, positional arguments, keywords) of an operation node's call on
    `inputs` (variable names or tensors), from its params (raw or resolved).
    The function is a keras.ops name, or GET_ITEM for `x[key]` (the key parsed)."""
    spec = get_spec(kind)
    name = function_name(spec.kind)
    values = spec.resolve(params)
    kwargs = spec.non_default(values)
    if name in BINARY:
        constant = values["constant"]
        if constant is None:
            return name, list(inputs), {}
        return name, ([constant, *inputs] if values["constant_first"] else
                      [*inputs, constant]), {}
    if name == "get_item":
        return GET_ITEM, [inputs[0], parse_key(values["key"])], {}
    if name in SEQUENCE:
        return name, [list(inputs)], kwargs
    if name == "reshape":
        return name, [inputs[0], values["newshape"]], {}
    return name, list(inputs), kwargs
