"""Shape rules of `graph.layers.op_select` (where, take, take_along_axis, split,
one_hot), as Keras' ops compute them: each op's `compute_output_spec` in
`keras/src/ops/numpy.py` and `nn.py`. Each takes the resolved params (with `__kind__`)
and the input shapes, batch first, `None` unknown."""

from __future__ import annotations

import math

from ..errors import ShapeError
from ..shapes import fmt
from .common import checked_axes
from .op_shapes import broadcast


def _operands(kind: str, inputs, numbers: list, names: str) -> None:
    """ShapeError unless there is one tensor input per operand that no number fills."""
    wanted = 1 + sum(1 for n in numbers if n is None)
    if len(inputs) != wanted:
        raise ShapeError(f"{kind} needs {wanted} tensor input(s) with these params ({names}), "
                         f"one for each operand that no number fills. Received: "
                         f"{len(inputs)} tensor(s)", port=min(len(inputs), wanted - 1))


def where_shape(params, inputs):
    """The condition, x1 and x2 broadcast together (a number counts as shape ())."""
    kind = params["__kind__"]
    _operands(kind, inputs, [params["x1"], params["x2"]],
              f"x1={params['x1']!r}, x2={params['x2']!r}")
    out = tuple(inputs[0])
    for shape in inputs[1:]:
        out = broadcast(out, shape, kind)
    return out


def take_shape(params, inputs):
    """x's dims before the axis, the indices' shape, then x's dims after it; with no
    axis, the indices' shape (they index the flattened x)."""
    kind, indices, x = params["__kind__"], params["indices"], inputs[0]
    _operands(kind, inputs, [indices], f"indices={indices!r}")
    if indices is None:
        index_shape = tuple(inputs[1])
    else:
        index_shape = () if isinstance(indices, int) else (len(indices),)
    if params["axis"] is None:
        _check_bounds(kind, indices, None if None in x else math.prod(x), x)
        return index_shape
    axis = checked_axes(params["axis"], x, kind)[0]
    _check_bounds(kind, indices, x[axis], x)
    return (*x[:axis], *index_shape, *x[axis + 1:])


def _check_bounds(kind: str, indices, size: int | None, shape) -> None:
    """ShapeError for a given index outside an axis of known size (Keras would only fail
    when the model runs)."""
    values = [] if indices is None or size is None else (
        [indices] if isinstance(indices, int) else list(indices))
    bad = [i for i in values if not -size <= i < size]
    if bad:
        raise ShapeError(f"{kind}: index {bad[0]} is out of bounds for an axis of size "
                         f"{size}. Received: indices={indices!r}, input_shape={fmt(shape)}",
                         port=0)


def take_along_axis_shape(params, inputs):
    """x with the indices' size on the axis, broadcast against the indices (same rank)."""
    kind = params["__kind__"]
    x, indices = list(inputs[0]), list(inputs[1])
    if params["axis"] is None:
        x = [None] if None in x else [math.prod(x)]
    if len(x) != len(indices):
        raise ShapeError(f"{kind}: x and indices must have the same rank. Received: "
                         f"{fmt(x)} and indices {fmt(indices)}", port=1)
    axis = 0 if params["axis"] is None else checked_axes(params["axis"], x, kind)[0]
    x[axis] = indices[axis]
    return broadcast(x, indices, kind)


def split_shape(params, inputs):
    """One shape per section: the axis cut into equal parts (an int, which must divide a
    known size) or at the given indices."""
    kind, cuts, shape = params["__kind__"], params["indices_or_sections"], inputs[0]
    axis = checked_axes(params["axis"], shape, kind)[0]
    size = shape[axis]
    if isinstance(cuts, int):
        if size is not None and size % cuts:
            raise ShapeError(f"{kind}: the size {size} of axis {params['axis']} does not "
                             f"divide into {cuts} equal sections. Received: "
                             f"input_shape={fmt(shape)}", port=0)
        sizes = [None if size is None else size // cuts] * cuts
    else:
        bounds = [0, *cuts, size]
        sizes = [None if None in (a, b) else b - a
                 for a, b in zip(bounds, bounds[1:], strict=False)]
        if any(s is not None and s < 0 for s in sizes):
            raise ShapeError(f"{kind}: the indices must rise and stay within the axis "
                             f"(size {size}). Received: indices_or_sections={list(cuts)}, "
                             f"input_shape={fmt(shape)}", port=0)
    return [(*shape[:axis], s, *shape[axis + 1:]) for s in sizes]


def one_hot_shape(params, inputs):
    """x with a new axis of num_classes at `axis` (-1: last; others from 0 to rank - 1)."""
    shape, axis, classes = list(inputs[0]), params["axis"], params["num_classes"]
    if axis == -1:
        return (*shape, classes)
    if not 0 <= axis < len(shape):
        raise ShapeError(f"{params['__kind__']}: axis must be -1 or between 0 and "
                         f"{len(shape) - 1}. Received: axis={axis}, input_shape={fmt(shape)}",
                         port=0)
    return (*shape[:axis], classes, *shape[axis:])

