"""One-click fixes for validation issues, and block expansion. Pure, undoable.

Each fix takes the document, the `Issue` it answers and an `UndoStack`, and
applies one macro of `graph.commands`, so a single undo takes it back. Fixes are
keyed by the codes listed in `Issue.fixes`:

    insert_flatten, insert_gap2d   a rank-2 consumer fed a rank-4 tensor
    insert_projection              Add inputs whose channels differ (1x1 Conv2D)
    insert_cropping, insert_padding  Concatenate inputs whose spatial sizes differ
    remove_node                    a merge left with one input

>>> sorted(FIX_LABELS)[:2]
['insert_cropping', 'insert_flatten']
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

from . import commands as cmd
from .document import Document, Edge
from .errors import DocumentError, ShapeError

FIX_LABELS = {
    "insert_flatten": "Insert Flatten",
    "insert_gap2d": "Insert GlobalAveragePooling2D",
    "insert_projection": "Insert 1x1 projection",
    "insert_cropping": "Insert Cropping2D",
    "insert_padding": "Insert ZeroPadding2D",
    "remove_node": "Remove this node",
}


class Diagnosis(NamedTuple):
    """What validation reports for a refused shape: message, issue code, port, fix codes."""

    message: str
    code: str
    port: int | None
    fixes: tuple[str, ...]


def diagnose_shape_error(node_name: str, spec, params, shapes: list, exc: ShapeError) -> Diagnosis:
    """Turn a shape rule's refusal into an issue, offering the fixes that would make it pass.

    A fix is offered only when the shape rule accepts the input shapes the fix would
    produce, so choosing it always clears this error.
    """
    fixes = tuple(code for code, reshape in _RESHAPERS.items()
                  if _fix_passes(spec, params, shapes, exc.port, reshape))
    code = "rank_mismatch" if "expects an input of rank" in str(exc) else "shape_mismatch"
    return Diagnosis(f"{node_name!r} ({spec.kind}): {exc}", code, exc.port, fixes)


def _fix_passes(spec, params, shapes, port, reshape) -> bool:
    try:
        fixed = reshape(spec, shapes, port or 0)
        if fixed is None or fixed == list(shapes):
            return False
        spec.output_shapes(params, fixed)
    except (ShapeError, DocumentError, ValueError, TypeError, KeyError):
        return False
    return True


def _flattened(spec, shapes, port):
    shape = shapes[port]
    if spec.is_merge or len(shape) < 3 or any(d is None for d in shape[1:]):
        return None
    return [*shapes[:port], (shape[0], math.prod(shape[1:])), *shapes[port + 1:]]


def _pooled(spec, shapes, port):
    shape = shapes[port]
    if spec.is_merge or len(shape) != 4:
        return None
    return [*shapes[:port], (shape[0], shape[-1]), *shapes[port + 1:]]


def _projected(spec, shapes, port):
    if not spec.is_merge or spec.kind == "Concatenate" or len({len(s) for s in shapes}) != 1:
        return None
    goal = _widest(shapes)
    for shape in shapes:
        if shape != goal:
            _projection(shape, goal)  # raises when no 1x1 projection maps it
    return [goal] * len(shapes)


def _resized(crop: bool):
    def reshape(spec, shapes, port):
        if spec.kind != "Concatenate" or any(len(s) != 4 for s in shapes):
            return None
        if any(d is None for s in shapes for d in s[1:3]):
            return None
        pick = min if crop else max
        goal = [pick(s[axis] for s in shapes) for axis in (1, 2)]
        return [(s[0], *goal, *s[3:]) for s in shapes]

    return reshape


_RESHAPERS = {
    "insert_flatten": _flattened,
    "insert_gap2d": _pooled,
    "insert_projection": _projected,
    "insert_cropping": _resized(crop=True),
    "insert_padding": _resized(crop=False),
}


def _widest(shapes):
    """The input with the most channels (the first such), the target of a projection."""
    best = max(range(len(shapes)), key=lambda i: (shapes[i][-1] or 0, -i))
    return shapes[best]


def _shapes(doc: Document) -> dict[str, list]:
    """Input shapes per node id, from a fresh analysis."""
    from .validate import analyze

    return {nid: list(r.input_shapes or ()) for nid, r in analyze(doc).results.items()}


def _between(doc: Document, a: str, b: str, t: float = 0.5) -> tuple[float, float] | None:
    pa, pb = doc.position(a), doc.position(b)
    if pa is None or pb is None:
        return pa or pb
    return (pa[0] + (pb[0] - pa[0]) * t, pa[1] + (pb[1] - pa[1]) * t)


def insert_on_edge(doc: Document, stack: cmd.UndoStack, edge: Edge, kind: str,
                   params: dict | None = None) -> str:
    """Put a new `kind` node on `edge` (src -> new -> dst); returns the new node's id.

    Call it inside a macro when it is part of a larger gesture.
    """
    with stack.macro(f"Insert {kind}"):
        node = stack.push(cmd.AddNode(doc, kind, params=params or {},
                                      pos=_between(doc, edge.src, edge.dst)))
        stack.push(cmd.Disconnect(doc, edge))
        stack.push(cmd.Connect(doc, Edge(edge.src, edge.src_port, node.id, 0)))
        stack.push(cmd.Connect(doc, Edge(node.id, 0, edge.dst, edge.dst_port)))
    return node.id


def _issue_edge(doc: Document, issue) -> Edge:
    port = issue.port or 0
    for e in doc.in_edges(issue.node):
        if e.dst_port == port:
            return e
    raise DocumentError(f"Node {doc.node(issue.node).name!r} has nothing on input port {port}")


def insert_flatten(doc: Document, issue, stack: cmd.UndoStack) -> str:
    """Flatten the tensor feeding `issue.node` (at `issue.port`)."""
    return insert_on_edge(doc, stack, _issue_edge(doc, issue), "Flatten")


def insert_gap2d(doc: Document, issue, stack: cmd.UndoStack) -> str:
    """Average the spatial axes away before `issue.node` (at `issue.port`)."""
    return insert_on_edge(doc, stack, _issue_edge(doc, issue), "GlobalAveragePooling2D")


def insert_projection(doc: Document, issue, stack: cmd.UndoStack) -> list[str]:
    """Project the Add inputs whose channels (or spatial size) differ onto the widest input.

    A 1x1 Conv2D (Conv1D for rank 3, Dense for rank 2) with the target channels and
    the stride that maps the spatial size is inserted on each mismatched input.
    """
    edges = doc.in_edges(issue.node)
    shapes = _shapes(doc)[issue.node]
    goal = _widest(shapes)
    added = []
    with stack.macro("Insert projection"):
        for edge, shape in zip(edges, shapes, strict=False):
            if shape == goal:
                continue
            kind, params = _projection(shape, goal)
            added.append(insert_on_edge(doc, stack, edge, kind, params))
    return added


def _projection(shape, goal) -> tuple[str, dict]:
    rank = len(goal)
    if rank == 2:
        return "Dense", {"units": goal[-1]}
    strides = [_stride(have, want, shape, goal)
               for have, want in zip(shape[1:-1], goal[1:-1], strict=True)]
    kind = {3: "Conv1D", 4: "Conv2D", 5: "Conv3D"}[rank]
    params = {"filters": goal[-1], "kernel_size": [1] * (rank - 2), "use_bias": False}
    if any(s != 1 for s in strides):
        params["strides"] = strides
    return kind, params


def _stride(have, want, shape, goal) -> int:
    """The stride of a 1x1 window that maps length `have` to `want` (valid padding)."""
    if have == want:
        return 1
    if have is not None and want is not None:
        for stride in range(2, have + 1):
            if (have - 1) // stride + 1 == want:
                return stride
    raise DocumentError(f"Cannot project shape {shape} onto {goal} with a 1x1 convolution: "
                        "no stride maps the spatial size")


def _spatial_fix(doc: Document, issue, stack: cmd.UndoStack, crop: bool) -> list[str]:
    edges = doc.in_edges(issue.node)
    shapes = _shapes(doc)[issue.node]
    pick = min if crop else max
    goal = [pick(s[axis] for s in shapes) for axis in (1, 2)]
    kind = "Cropping2D" if crop else "ZeroPadding2D"
    param = "cropping" if crop else "padding"
    added = []
    with stack.macro(f"Insert {kind}"):
        for edge, shape in zip(edges, shapes, strict=False):
            diffs = [abs(shape[axis] - goal[axis - 1]) for axis in (1, 2)]
            if any(diffs):
                amount = [[d // 2, d - d // 2] for d in diffs]
                added.append(insert_on_edge(doc, stack, edge, kind, {param: amount}))
    return added


def insert_cropping(doc: Document, issue, stack: cmd.UndoStack) -> list[str]:
    """Crop every Concatenate input down to the smallest spatial size (centered)."""
    return _spatial_fix(doc, issue, stack, crop=True)


def insert_padding(doc: Document, issue, stack: cmd.UndoStack) -> list[str]:
    """Zero-pad every Concatenate input up to the largest spatial size (centered)."""
    return _spatial_fix(doc, issue, stack, crop=False)


def remove_node(doc: Document, issue, stack: cmd.UndoStack) -> None:
    """Remove a pass-through node (a merge with one input), wiring its input to its consumers."""
    node_id = issue.node
    inputs = doc.in_edges(node_id)
    with stack.macro(f"Remove {doc.node(node_id).name}"):
        outputs = list(doc.outputs)
        consumers = doc.out_edges(node_id)
        stack.push(cmd.RemoveNode(doc, node_id))
        if len(inputs) == 1:
            src = inputs[0]
            for e in consumers:
                stack.push(cmd.Connect(doc, Edge(src.src, src.src_port, e.dst, e.dst_port)))
            if node_id in outputs and src.src not in outputs:
                outputs[outputs.index(node_id)] = src.src
                stack.push(cmd.SetOutputs(doc, outputs))


FIXES: dict[str, Callable] = {
    "insert_flatten": insert_flatten,
    "insert_gap2d": insert_gap2d,
    "insert_projection": insert_projection,
    "insert_cropping": insert_cropping,
    "insert_padding": insert_padding,
    "remove_node": remove_node,
}


def apply_fix(doc: Document, issue, code: str, stack: cmd.UndoStack):
    """Run the fix `code` for `issue` as one undoable step.

    Raises:
        KeyError: `code` is not a known fix.
        DocumentError: the fix does not apply to this graph (nothing is changed).
    """
    try:
        fix = FIXES[code]
    except KeyError:
        raise KeyError(f"Unknown fix {code!r}; expected one of {', '.join(FIXES)}") from None
    with stack.macro(FIX_LABELS[code]):
        return fix(doc, issue, stack)


def expand_block(doc: Document, node_id: str, stack: cmd.UndoStack) -> list[str]:
    """Replace a block node by the layers of its expansion, undoably.

    The sublayers are named `{block}_{suffix}` like the built model's layers; the
    block's input and consumers are rewired, and its output slot passes to the
    expansion's last layer. Returns the new node ids in expansion order.
    """
    node = doc.node(node_id)
    spec = node.spec
    if not spec.is_block:
        raise DocumentError(f"{node.name!r} ({node.kind}) is not a block")
    inputs = doc.in_edges(node_id)
    expansion = spec.expand(spec.resolve(node.params), _shapes(doc).get(node_id, []))
    consumers, outputs, origin = doc.out_edges(node_id), list(doc.outputs), doc.position(node_id)
    ids: dict[str, str] = {}
    with stack.macro(f"Expand {node.name}"):
        stack.push(cmd.RemoveNode(doc, node_id))
        for i, sub in enumerate(expansion.layers):
            pos = None if origin is None else (origin[0] + 240.0 * i, origin[1])
            name = doc.unique_name(f"{node.name}_{sub.name}")
            added = stack.push(cmd.AddNode(doc, sub.kind, name, params=dict(sub.params), pos=pos))
            ids[sub.name] = added.id
            for port, source in enumerate(sub.inputs):
                src = inputs[0] if source == "input" else None
                edge = (Edge(src.src, src.src_port, added.id, port) if src is not None
                        else Edge(ids[source], 0, added.id, port))
                stack.push(cmd.Connect(doc, edge))
        last = ids[expansion.output]
        for e in consumers:
            stack.push(cmd.Connect(doc, Edge(last, 0, e.dst, e.dst_port)))
        if node_id in outputs:
            outputs[outputs.index(node_id)] = last
            stack.push(cmd.SetOutputs(doc, outputs))
    return list(ids.values())
