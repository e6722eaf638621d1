"""Merging kinds: the elementwise merges (Add, Subtract, ...) and Concatenate.

Every merge takes a list of two or more tensors (`max_inputs=None`). The rules
follow Keras 3 exactly. Elementwise merges broadcast the non-batch dims
right-aligned: a dim of 1 stretches, an unknown dim makes that output dim
unknown, and a lower-rank input is expanded just after its batch axis. Batch
sizes, where known, must agree. Concatenate needs equal ranks and equal known
dims everywhere but the concatenation axis.
"""

from __future__ import annotations

from ..errors import ShapeError
from ..params import ParamSpec
from ..shapes import fmt
from ..spec import LayerSpec, Sample, register
from .common import checked_axes

Shape = tuple


def _require_inputs(kind: str, shapes: list[Shape], exactly: int | None = None) -> None:
    count = len(shapes)
    if exactly is not None and count != exactly:
        wanted, port = f"exactly {exactly}", (exactly if count > exactly else None)
    elif count < 2:
        wanted, port = "at least 2", None
    else:
        return
    received = ", ".join(fmt(s) for s in shapes)
    said = f"1 input with shape [{received}]" if count == 1 else \
        f"{count} inputs" + (f" with shapes [{received}]" if count else "")
    raise ShapeError(f"{kind} expects {wanted} inputs. Received: {said}", port=port)


def broadcast_dims(a: Shape, b: Shape) -> Shape | None:
    """Right-aligned broadcast of two shapes as Keras' merges compute it; None if they clash.

    >>> broadcast_dims((1, 4), (3, 4))
    (3, 4)
    >>> broadcast_dims((2, None), (5,))
    (2, None)
    >>> broadcast_dims((3,), (4,)) is None
    True
    """
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return tuple(a)
    out = list(a[: len(a) - len(b)])
    for i, j in zip(a[len(a) - len(b):], b, strict=True):
        if i is None or j is None:
            out.append(None)
        elif i == 1 or j == 1:
            out.append(j if i == 1 else i)
        elif i != j:
            return None
        else:
            out.append(i)
    return tuple(out)


def _clash(kind: str, shapes: list[Shape], port: int, what: str, earlier: int) -> ShapeError:
    return ShapeError(
        f"{kind} expects {what}. Received: input_shape={fmt(shapes[earlier])} on port "
        f"{earlier} and {fmt(shapes[port])} on port {port}",
        port=port,
    )


def _batch_size(kind: str, shapes: list[Shape]) -> int | None:
    batch, first = None, 0
    for port, shape in enumerate(shapes):
        if shape[0] is None:
            continue
        if batch is not None and shape[0] != batch:
            raise _clash(kind, shapes, port, "inputs with the same batch size", first)
        batch, first = (shape[0], port) if batch is None else (batch, first)
    return batch


def _first_clash(shapes: list[Shape], port: int) -> int:
    """The earliest port whose shape cannot broadcast with `port`'s (0 if none alone can)."""
    for earlier in range(port):
        if broadcast_dims(shapes[earlier][1:], shapes[port][1:]) is None:
            return earlier
    return 0


def _elementwise_shape(kind: str, exactly: int | None = None):
    def shape_rule(params, inputs):
        shapes = [tuple(s) for s in inputs]
        _require_inputs(kind, shapes, exactly)
        batch = _batch_size(kind, shapes)
        out = shapes[0][1:]
        for port, shape in enumerate(shapes[1:], start=1):
            out = broadcast_dims(out, shape[1:])
            if out is None:
                what = "inputs of equal or broadcastable shapes"
                raise _clash(kind, shapes, port, what, _first_clash(shapes, port))
        return (batch, *out)

    return shape_rule


_ELEMENTWISE = (
    ("Add", "Sums its inputs elementwise", None),
    ("Subtract", "Subtracts the second input from the first, elementwise", 2),
    ("Multiply", "Multiplies its inputs elementwise", None),
    ("Average", "Averages its inputs elementwise", None),
    ("Maximum", "Takes the elementwise maximum of its inputs", None),
    ("Minimum", "Takes the elementwise minimum of its inputs", None),
)

for _kind, _doc, _exactly in _ELEMENTWISE:
    _samples = (
        Sample({}, ((None, 8), (None, 8))),
        Sample({}, ((None, 4, 5), (None, 1, 5))),
        Sample({}, ((None, 4), (None, 3, 4))),
        Sample({}, ((None, None, 6), (None, 7, 6))),
        Sample({}, ((2, 5), (None, 5))),
        Sample({}, ((None, 4), (None, 5))),
        Sample({}, ((2, 5), (3, 5))),
    )
    _several = (
        Sample({}, ((None, 8), (None, 8), (None, 8))),
        Sample({}, ((None, 2, 3), (None, 1, 3), (None, 3))),
        Sample({}, ((None, 4), (None, 4), (None, 5))),
    )
    register(LayerSpec(
        kind=_kind,
        category="Merging",
        doc=_doc,
        params=(),
        shape=_elementwise_shape(_kind, _exactly),
        min_inputs=2,
        max_inputs=None,
        # Subtract also gets the three-input cases: Keras refuses them, and so must we.
        samples=_samples + _several,
    ))


def _concatenate_shape(params, inputs):
    shapes = [tuple(s) for s in inputs]
    _require_inputs("Concatenate", shapes)
    axis = params["axis"]
    rank = len(shapes[0])
    for port, shape in enumerate(shapes[1:], start=1):
        if len(shape) != rank:
            raise _concat_error(shapes, axis, port, f"inputs of equal rank ({rank})")
    (concat,) = checked_axes(axis, shapes[0], "Concatenate")
    for dim in range(rank):
        if dim == concat:
            continue
        known = [(port, s[dim]) for port, s in enumerate(shapes) if s[dim] is not None]
        for port, size in known[1:]:
            if size != known[0][1]:
                what = "inputs with matching shapes except for the concatenation axis"
                raise _concat_error(shapes, axis, port, what, known[0][0])
    out = list(shapes[0])
    sizes = [s[concat] for s in shapes]
    out[concat] = None if None in sizes else sum(sizes)
    return tuple(out)


def _concat_error(shapes, axis, port, what, earlier=0) -> ShapeError:
    return ShapeError(
        f"Concatenate (axis={axis}) expects {what}. Received: input_shape="
        f"{fmt(shapes[earlier])} on port {earlier} and {fmt(shapes[port])} on port {port}",
        port=port,
    )


register(LayerSpec(
    kind="Concatenate",
    category="Merging",
    doc="Joins its inputs along one axis; all other dims must match",
    params=(ParamSpec("axis", "int", default=-1,
                      doc="Axis to join along (negative counts from the end)"),),
    shape=_concatenate_shape,
    min_inputs=2,
    max_inputs=None,
    samples=(
        Sample({}, ((None, 8), (None, 4))),
        Sample({"axis": 1}, ((None, 4, 5), (None, 3, 5), (None, 2, 5))),
        Sample({"axis": 1}, ((None, 4, None), (None, 3, 6))),
        Sample({"axis": -2}, ((None, None, 5), (None, 3, 5))),
        Sample({}, ((None, 8, 8, 16), (None, 8, 8, 32), (None, 8, 8, 8), (None, 8, 8, 1))),
        Sample({"axis": 0}, ((None, 4), (3, 4))),
        Sample({"axis": 1}, ((None, 4, 5), (None, 3, 6))),
        Sample({}, ((2, 4, 5), (3, 4, 5))),
        Sample({}, ((None, 4), (None, 4, 1))),
        Sample({"axis": 3}, ((None, 4, 5), (None, 4, 5))),
        Sample({"axis": -4}, ((None, 4, 5), (None, 4, 5))),
    ),
))


def _dot_axes(params, shapes) -> tuple[int, int]:
    axes = params["axes"]
    pair = (axes, axes) if isinstance(axes, int) else tuple(axes)
    out = []
    for port, (axis, shape) in enumerate(zip(pair, shapes, strict=True)):
        (a,) = checked_axes(axis, shape, "Dot", port)
        if a == 0:
            raise ShapeError(f"Dot cannot contract the batch axis. Received: axes={axes}",
                             port=port)
        out.append(a)
    return out[0], out[1]


def _dot_shape(params, inputs):
    shapes = [tuple(s) for s in inputs]
    _require_inputs("Dot", shapes, 2)
    first, second = shapes
    for port, shape in enumerate(shapes):
        if len(shape) < 2:
            raise ShapeError(f"Dot expects inputs of rank >= 2. Received: input_shape="
                             f"{fmt(shape)} on port {port}", port=port)
    a, b = _dot_axes(params, shapes)
    if first[a] != second[b]:
        raise ShapeError(
            f"Dot (axes={params['axes']}) expects equal dims on the contracted axes. "
            f"Received: {first[a]} (axis {a} of {fmt(first)}) and {second[b]} "
            f"(axis {b} of {fmt(second)})", port=1)
    out = [d for i, d in enumerate(first) if i != a] + [
        d for i, d in enumerate(second) if i not in (0, b)]
    return tuple(out + [1] if len(out) == 1 else out)


def _axes_problem(value) -> str | None:
    if isinstance(value, tuple) and len(value) != 2:
        return "an axis, or a list of 2 axes (one per input)"
    return None


register(LayerSpec(
    kind="Dot",
    category="Merging",
    doc="Dot product of two inputs along the given axes (batch kept), e.g. cosine similarity",
    params=(
        ParamSpec("axes", "int_or_list", initial=-1, check=_axes_problem,
                  doc="Axis to contract, or [axis of input 0, axis of input 1]"),
        ParamSpec("normalize", "bool", default=False,
                  doc="L2-normalize both inputs along the axes first (cosine similarity)"),
    ),
    shape=_dot_shape,
    min_inputs=2,
    max_inputs=None,  # a merge: called on a list, like Subtract (the rule wants exactly 2)
    samples=(
        Sample({"axes": -1}, ((None, 8), (None, 8))),
        Sample({"axes": (2, 2)}, ((None, 5, 4), (None, 7, 4))),
        Sample({"axes": (1, 1)}, ((None, 5, 4), (None, 5, 3))),
        Sample({"axes": 1, "normalize": True}, ((None, 6, 2), (None, 6, 3))),
        Sample({"axes": -1}, ((None, 4), (None, 5))),
        Sample({"axes": (2, 1)}, ((2, 3, 4), (2, 4, 5))),
    ),
))
