"""Shape rules of `graph.layers.op_arrays` (cumsum, prod, flip, roll, tile, repeat, pad,
broadcast_to, sort, norm...), as each op's `compute_output_spec` in Keras'
`keras/src/ops/numpy.py`, `math.py`, `linalg.py` and `nn.py` computes them. Each takes
the resolved params (with `__kind__`) and the input shapes, batch first, `None` unknown.
Where Keras' symbolic call lets through what the model would refuse when it runs
(padding a rank-3 tensor with two pairs, broadcasting to a smaller shape), the rule
refuses it at edit time."""

from __future__ import annotations

import math

from ..errors import ShapeError
from ..shapes import fmt
from .common import checked_axes
from .op_shapes import broadcast, reduce_shape


def flat_or_same(params, inputs):
    """An op along one axis that keeps the shape, or along the flattened tensor when the
    axis is None (cumsum, sort): `(size,)`, `(None,)` when a dim is unknown.

    >>> flat_or_same({"axis": None, "__kind__": "ops.cumsum"}, [(3, 4)])
    (12,)
    """
    shape = tuple(inputs[0])
    if params["axis"] is None:
        return (None,) if None in shape else (math.prod(shape),)
    checked_axes(params["axis"], shape, params["__kind__"])
    return shape


def axes_same_shape(params, inputs):
    """An op over some axes (or all, for None) that keeps the shape (flip, roll)."""
    if params["axis"] is not None:
        checked_axes(params["axis"], inputs[0], params["__kind__"])
    return tuple(inputs[0])


def flip_axis_shape(params, inputs):
    """fliplr (axis 1: rank 2 or more) and flipud (axis 0): the shape kept."""
    kind, shape = params["__kind__"], tuple(inputs[0])
    rank = 2 if kind == "ops.fliplr" else 1
    if len(shape) < rank:
        raise ShapeError(f"{kind} needs a rank of {rank} or more. Received: "
                         f"input_shape={fmt(shape)}", port=0)
    return shape


def tile_shape(params, inputs):
    """Each dim times its repeat, the shorter of shape and repeats padded with 1s in front.

    >>> tile_shape({"repeats": (2, 1), "__kind__": "ops.tile"}, [(None, 4, 6)])
    (None, 8, 6)
    """
    shape, repeats = list(inputs[0]), params["repeats"]
    repeats = [repeats] if isinstance(repeats, int) else list(repeats)
    width = max(len(shape), len(repeats))
    shape = [1] * (width - len(shape)) + shape
    repeats = [1] * (width - len(repeats)) + repeats
    return tuple(None if d is None else d * r for d, r in zip(shape, repeats, strict=True))


def repeat_shape(params, inputs):
    """The axis (or the flattened tensor) with each entry repeated `repeats` times."""
    shape, repeats = list(inputs[0]), params["repeats"]
    if params["axis"] is None:
        return (None,) if None in shape else (math.prod(shape) * repeats,)
    axis = checked_axes(params["axis"], shape, params["__kind__"])[0]
    shape[axis] = None if shape[axis] is None else shape[axis] * repeats
    return tuple(shape)


def pad_pairs(pad_width, rank: int, kind: str, shape) -> list[tuple[int, int]]:
    """(before, after) per axis of a pad_width: an int for every side, one pair for every
    axis, or one pair per axis.

    >>> pad_pairs([[0, 0], [1, 2]], 2, "ops.pad", (None, 4))
    [(0, 0), (1, 2)]
    >>> pad_pairs(1, 2, "ops.pad", (None, 4))
    [(1, 1), (1, 1)]
    """
    if isinstance(pad_width, int):
        return [(pad_width, pad_width)] * rank
    if all(isinstance(v, int) for v in pad_width):
        return [tuple(pad_width)] * rank
    if len(pad_width) == 1:
        return [tuple(pad_width[0])] * rank
    if len(pad_width) != rank:
        raise ShapeError(f"{kind}: pad_width needs one (before, after) pair per axis of the "
                         f"input ({rank}), one pair or one int. Received: pad_width="
                         f"{pad_width}, input_shape={fmt(shape)}", port=0)
    return [tuple(p) for p in pad_width]


def pad_shape(params, inputs):
    kind, shape = params["__kind__"], tuple(inputs[0])
    pairs = pad_pairs(params["pad_width"], len(shape), kind, shape)
    if params["mode"] != "constant" and params["constant_values"] is not None:
        raise ShapeError(f"{kind}: constant_values is only for mode='constant'. Received: "
                         f"mode={params['mode']!r}, constant_values="
                         f"{params['constant_values']!r}", port=0)
    return tuple(None if d is None else d + a + b for d, (a, b) in zip(shape, pairs,
                                                                        strict=True))


def broadcast_to_shape(params, inputs):
    """The target shape, which the input must broadcast to (equal dims or 1s, the input's
    rank at most the target's)."""
    kind, shape, target = params["__kind__"], tuple(inputs[0]), tuple(params["shape"])
    if len(shape) > len(target) or broadcast(shape, target, kind) != target:
        raise ShapeError(f"{kind}: an input of shape {fmt(shape)} does not broadcast to "
                         f"{fmt(target)} (each dim must be 1 or the target's, the input's "
                         f"rank at most {len(target)})", port=0)
    return target


def norm_shape(params, inputs):
    """A reduction over one axis (a vector norm) or two (a matrix norm: 'fro', 'nuc'...)."""
    kind, shape, ord_ = params["__kind__"], tuple(inputs[0]), params["ord"]
    axes = tuple(range(len(shape))) if params["axis"] is None else \
        checked_axes(params["axis"], shape, kind)
    if isinstance(ord_, str) and len(axes) != 2:
        raise ShapeError(f"{kind}: ord={ord_!r} is a matrix norm, over two axes. Received: "
                         f"axis={params['axis']}, input_shape={fmt(shape)}", port=0)
    return reduce_shape(params, inputs)


def top_k_shape(params, inputs):
    """(values, indices): the last axis cut to its k largest."""
    kind, shape, k = params["__kind__"], tuple(inputs[0]), params["k"]
    if not shape:
        raise ShapeError(f"{kind} needs an input with at least one axis. Received: "
                         f"input_shape={fmt(shape)}", port=0)
    if shape[-1] is not None and k > shape[-1]:
        raise ShapeError(f"{kind}: k={k} is more than the {shape[-1]} entries of the last "
                         f"axis. Received: input_shape={fmt(shape)}", port=0)
    return [(*shape[:-1], k)] * 2


def unstack_shape(params, inputs):
    """`num` tensors, each the input without the axis; num must be the axis' size."""
    kind, shape = params["__kind__"], tuple(inputs[0])
    axis = checked_axes(params["axis"], shape, kind)[0]
    if shape[axis] is not None and shape[axis] != params["num"]:
        raise ShapeError(f"{kind}: num must be the size of axis {params['axis']} "
                         f"({shape[axis]}). Received: num={params['num']}, "
                         f"input_shape={fmt(shape)}", port=0)
    return [(*shape[:axis], *shape[axis + 1:])] * params["num"]


def array_split_shape(params, inputs):
    """`indices_or_sections` parts of the axis, the first ones one longer when the size
    does not divide."""
    kind, shape, count = params["__kind__"], tuple(inputs[0]), params["indices_or_sections"]
    axis = checked_axes(params["axis"], shape, kind)[0]
    size = shape[axis]
    sizes = [None] * count if size is None else \
        [size // count + (1 if i < size % count else 0) for i in range(count)]
    return [(*shape[:axis], s, *shape[axis + 1:]) for s in sizes]



def swapaxes_shape(params, inputs):
    """The input with two axes exchanged.

    >>> swapaxes_shape({"axis1": 1, "axis2": -1, "__kind__": "ops.swapaxes"}, [(None, 4, 6)])
    (None, 6, 4)
    """
    shape = list(inputs[0])
    first, second = checked_axes((params["axis1"], params["axis2"]), shape, params["__kind__"])
    shape[first], shape[second] = shape[second], shape[first]
    return tuple(shape)


def moveaxis_shape(params, inputs):
    """The input with the `source` axes moved to `destination`, the others in order."""
    kind, shape = params["__kind__"], tuple(inputs[0])
    source, destination = (checked_axes(params[n], shape, kind) for n in ("source",
                                                                           "destination"))
    if len(source) != len(destination) or len(set(source)) != len(source) \
            or len(set(destination)) != len(destination):
        raise ShapeError(f"{kind}: source and destination need as many axes, none twice. "
                         f"Received: source={params['source']}, "
                         f"destination={params['destination']}", port=0)
    rest = iter(d for i, d in enumerate(shape) if i not in source)
    placed = dict(zip(destination, (shape[s] for s in source), strict=True))
    return tuple(placed[i] if i in placed else next(rest) for i in range(len(shape)))


def diff_shape(params, inputs):
    """The axis `n` shorter (not below 0): differences of neighbours, n times."""
    shape = list(inputs[0])
    axis = checked_axes(params["axis"], shape, params["__kind__"])[0]
    if shape[axis] is not None:
        shape[axis] = max(shape[axis] - params["n"], 0)
    return tuple(shape)


def glu_shape(params, inputs):
    """The axis halved (one half gates the other): its size must be even."""
    kind, shape = params["__kind__"], list(inputs[0])
    axis = checked_axes(params["axis"], shape, kind)[0]
    if shape[axis] is not None:
        if shape[axis] % 2:
            raise ShapeError(f"{kind}: the size of axis {params['axis']} must be even (one "
                             f"half gates the other). Received: input_shape={fmt(shape)}",
                             port=0)
        shape[axis] //= 2
    return tuple(shape)


def matrix_shape(params, inputs):
    """An op on the last two axes (triu, tril) that keeps the shape: rank 2 or more."""
    if len(inputs[0]) < 2:
        raise ShapeError(f"{params['__kind__']} works on the last two axes: the input needs "
                         f"rank 2 or more. Received: input_shape={fmt(inputs[0])}", port=0)
    return tuple(inputs[0])


def ravel_shape(params, inputs):
    """Every entry in one axis, the batch's too: `(size,)`, `(None,)` when a dim is unknown."""
    shape = tuple(inputs[0])
    return (None,) if None in shape else (math.prod(shape),)


def rot90_shape(params, inputs):
    """The two axes' dims exchanged, as Keras' symbolic call says for every k. For an even
    k the rotated tensor keeps its shape when the model runs, so the rule refuses an even
    k unless both dims are known and equal (where both say the same)."""
    shape, kind, k = list(inputs[0]), params["__kind__"], params["k"]
    if len(shape) < 2:
        raise ShapeError(f"{kind} needs rank 2 or more. Received: input_shape={fmt(shape)}",
                         port=0)
    first, second = checked_axes(params["axes"], shape, kind)
    if first == second:
        raise ShapeError(f"{kind}: the two axes must be different. Received: "
                         f"axes={list(params['axes'])}", port=0)
    if k % 2 == 0 and (shape[first] != shape[second] or shape[first] is None):
        raise ShapeError(f"{kind}: with an even k the tensor keeps its shape "
                         f"{fmt(tuple(shape))} when the model runs, where Keras' symbolic call "
                         f"exchanges the dims of axes {list(params['axes'])}; use an odd k or "
                         f"two axes of one known size", port=0)
    shape[first], shape[second] = shape[second], shape[first]
    return tuple(shape)
