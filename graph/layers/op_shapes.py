"""Shape rules of the operation kinds (`graph.layers.operations`), as Keras' ops compute
them (`keras/src/ops/operation_utils.py` and each op's `compute_output_spec`): numpy
broadcasting, `None` for an unknown dim, batch first. Each takes the resolved params,
with `__kind__` naming the kind for messages, and the input shapes."""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..errors import ShapeError
from ..shapes import fmt
from .common import checked_axes
from .op_keys import key_items, parse_key


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


def binary_shape(params, inputs):
    kind = params["__kind__"]
    constant = params["constant"]
    if len(inputs) == 1 and constant is None:
        raise ShapeError(f"{kind} needs a second input (x2) or a constant. Received one "
                         f"input of shape {fmt(inputs[0])} and constant=None", port=1)
    if len(inputs) == 2 and constant is not None:
        raise ShapeError(f"{kind} takes a second input or a constant, not both. Received: "
                         f"constant={constant!r} and a tensor on x2", port=1)
    return tuple(inputs[0]) if len(inputs) == 1 else broadcast(*inputs, kind)


def reduce_shape(params, inputs):
    shape, axis = list(inputs[0]), params["axis"]
    if axis is None:
        return tuple(1 for _ in shape) if params["keepdims"] else ()
    axes = checked_axes(axis, shape, params["__kind__"])
    if params["keepdims"]:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def axis_shape(params, inputs):
    """An op along one axis that keeps the shape (softmax): the axis must exist."""
    checked_axes(params["axis"], inputs[0], params["__kind__"])
    return tuple(inputs[0])


def transpose_shape(params, inputs):
    shape, axes = inputs[0], params["axes"]
    if axes is None:
        return tuple(reversed(shape))
    rank = len(shape)
    if len(axes) != rank or sorted(a % rank for a in checked_axes(axes, shape, "ops.transpose")) \
            != list(range(rank)):
        raise ShapeError(f"ops.transpose: axes must be a permutation of the {rank} axes of the "
                         f"input. Received: axes={axes}, input_shape={fmt(shape)}", port=0)
    return tuple(shape[a % rank] for a in axes)


def reshape_shape(params, inputs):
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


def expand_dims_shape(params, inputs):
    shape, axis = list(inputs[0]), params["axis"]
    axes = (axis,) if isinstance(axis, int) else axis
    rank = len(shape) + len(axes)
    axes = checked_axes(axes, (None,) * rank, "ops.expand_dims")
    rest = iter(shape)
    return tuple(1 if i in axes else next(rest) for i in range(rank))


def squeeze_shape(params, inputs):
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


def matmul_shape(params, inputs):
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


def concatenate_shape(params, inputs):
    axis = checked_axes(params["axis"], inputs[0], "ops.concatenate")[0]
    _same_shapes("ops.concatenate", inputs, axis)
    sizes = [s[axis] for s in inputs]
    out = list(inputs[0])
    out[axis] = None if None in sizes else sum(sizes)
    return tuple(out)


def stack_shape(params, inputs):
    first = inputs[0]
    axis = checked_axes(params["axis"], (None,) * (len(first) + 1), "ops.stack")[0]
    _same_shapes("ops.stack", inputs, None)
    return (*first[:axis], len(inputs), *first[axis:])


def get_item_shape(params, inputs):
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
