"""Layers inserted into the graph, placed at their drawn sizes beside their neighbours.

A layer dropped on a wire (`insert_on_edge`), the layers the fixes of mismatched inputs
insert (a rank fix's Flatten, GlobalAveragePooling or Reshape, a 1x1 projection, a
cropping or a padding: `INSERT_FIXES`, labelled in `INSERT_LABELS`, whose codes are
`PLACING`), and the layers a block node expands into (`expand_block`). Each is one
undoable step; `graph.fixes` lists these fixes with the others and applies them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from . import commands as cmd
from .document import Document, Edge
from .errors import DocumentError
from .fixplan import INSERTED_KIND, plan_fix, projection, widest
from .param_fixes import edge_into
from .placement import NODE_SIZE, Measure, Point, Size, between, direction_axis
from .placement_blocks import in_place
from .spec import get_spec

INSERT_LABELS = {
    "insert_flatten": "Insert Flatten",
    "insert_gap1d": "Insert GlobalAveragePooling1D",
    "insert_gap2d": "Insert GlobalAveragePooling2D",
    "insert_reshape": "Insert Reshape",
    "insert_projection": "Insert 1x1 projection",
    "insert_cropping": "Insert Cropping2D",
    "insert_padding": "Insert ZeroPadding2D",
    "insert_cropping1d": "Insert Cropping1D",
    "insert_padding1d": "Insert ZeroPadding1D",
}


def _shapes(doc: Document) -> dict[str, list]:
    """Input shapes per node id, from a fresh analysis."""
    from .validate import analyze

    return {nid: list(r.input_shapes or ()) for nid, r in analyze(doc).results.items()}


def insert_on_edge(doc: Document, stack: cmd.UndoStack, edge: Edge, kind: str,
                   params: dict | None = None, measure: Measure | None = None,
                   sizes: Mapping[str, Size] | None = None, at: Point | None = None) -> str:
    """Put a new `kind` node on `edge` (src -> new -> dst); returns the new node's id.

    The node goes between its neighbours in the graph's direction; the nodes after
    it move on when there is no room (`graph.placement`). With `measure` it is placed
    at its drawn size once wired, and with `sizes` (node id -> drawn size) its
    neighbours are taken at theirs, so its wires run straight. With `at` (where it was
    dropped on the wire) it is centred there as far as `between` allows. Call it inside a macro
    when it is part of a larger gesture.
    """
    with stack.macro(f"Insert {kind}"):
        # A new node starts as a dropped one does: the initial values of required params.
        start = {**get_spec(kind).initial_params(), **(params or {})}
        node = stack.push(cmd.AddNode(doc, kind, params=start))
        stack.push(cmd.Disconnect(doc, edge))
        stack.push(cmd.Connect(doc, Edge(edge.src, edge.src_port, node.id, 0)))
        stack.push(cmd.Connect(doc, Edge(node.id, 0, edge.dst, edge.dst_port)))
        size = measure([node.id])[node.id] if measure else NODE_SIZE
        pos, moves = between(doc, edge.src, edge.dst, size, sizes, at)
        if pos is not None:
            stack.push(cmd.Move(doc, {**moves, node.id: pos}))
    return node.id


def _insert_planned(doc: Document, issue, stack: cmd.UndoStack, code: str,
                    measure: Measure | None = None,
                    sizes: Mapping[str, Size] | None = None) -> list[str]:
    """Insert the layer of the rank fix `code` on each input its plan changes."""
    from .inference import shape_spec
    from .validate import analyze

    node = doc.node(issue.node)
    result = analyze(doc).results.get(node.id)
    spec = shape_spec(doc, node)
    plan = None if result is None or spec is None or result.params is None else \
        plan_fix(spec, result.params, list(result.input_shapes), issue.port, code)
    if plan is None:
        raise DocumentError(f"{INSERT_LABELS[code]} no longer fits {node.name!r}: its inputs "
                            f"are now {list(result.input_shapes) if result else []}")
    kind = INSERTED_KIND[code]
    added = []
    for port, shape in sorted(plan.items()):
        params = {"target_shape": list(shape[1:])} if kind == "Reshape" else {}
        added.append(insert_on_edge(doc, stack, edge_into(doc, node.id, port), kind, params,
                                    measure, sizes))
    return added


def _rank_fix(code: str) -> Callable:
    def fix(doc: Document, issue, stack: cmd.UndoStack, measure: Measure | None = None,
            sizes: Mapping[str, Size] | None = None) -> list[str]:
        return _insert_planned(doc, issue, stack, code, measure, sizes)

    fix.__doc__ = f"{INSERT_LABELS[code]} where the inputs of `issue.node` need it."
    return fix


def insert_projection(doc: Document, issue, stack: cmd.UndoStack,
                      measure: Measure | None = None,
                      sizes: Mapping[str, Size] | None = None) -> list[str]:
    """Project the Add inputs whose channels (or spatial size) differ onto the widest input.

    A 1x1 Conv2D (Conv1D for rank 3, Dense for rank 2) with the target channels and
    the stride that maps the spatial size is inserted on each mismatched input.
    """
    edges = doc.in_edges(issue.node)
    shapes = _shapes(doc)[issue.node]
    goal = widest(shapes)
    added = []
    with stack.macro("Insert projection"):
        for edge, shape in zip(edges, shapes, strict=False):
            if shape == goal:
                continue
            kind, params = projection(shape, goal)
            added.append(insert_on_edge(doc, stack, edge, kind, params, measure, sizes))
    return added


def _spatial_fix(doc: Document, issue, stack: cmd.UndoStack, crop: bool,
                 measure: Measure | None = None,
                 sizes: Mapping[str, Size] | None = None) -> list[str]:
    """Crop (or pad) every merge input to the smallest (largest) size along its steps
    (a sequence, rank 3) or its height and width (an image, rank 4), centred."""
    edges = doc.in_edges(issue.node)
    shapes = _shapes(doc)[issue.node]
    axes = range(1, len(shapes[0]) - 1)
    pick = min if crop else max
    goal = [pick(s[axis] for s in shapes) for axis in axes]
    dims = len(goal)
    kind = f"Cropping{dims}D" if crop else f"ZeroPadding{dims}D"
    param = "cropping" if crop else "padding"
    added = []
    with stack.macro(f"Insert {kind}"):
        for edge, shape in zip(edges, shapes, strict=False):
            diffs = [abs(shape[axis] - goal[axis - 1]) for axis in axes]
            if any(diffs):
                amount = [[d // 2, d - d // 2] for d in diffs]
                value = amount[0] if dims == 1 else amount
                added.append(insert_on_edge(doc, stack, edge, kind, {param: value},
                                            measure, sizes))
    return added


def insert_cropping(doc: Document, issue, stack: cmd.UndoStack,
                    measure: Measure | None = None,
                    sizes: Mapping[str, Size] | None = None) -> list[str]:
    """Crop every merge input down to the smallest spatial size (centered)."""
    return _spatial_fix(doc, issue, stack, True, measure, sizes)


def insert_padding(doc: Document, issue, stack: cmd.UndoStack,
                   measure: Measure | None = None,
                   sizes: Mapping[str, Size] | None = None) -> list[str]:
    """Zero-pad every merge input up to the largest spatial size (centered)."""
    return _spatial_fix(doc, issue, stack, False, measure, sizes)


INSERT_FIXES: dict[str, Callable] = {
    **{code: _rank_fix(code) for code in INSERTED_KIND},
    "insert_projection": insert_projection,
    "insert_cropping": insert_cropping,
    "insert_padding": insert_padding,
    "insert_cropping1d": insert_cropping,
    "insert_padding1d": insert_padding,
}

# The fixes that insert layers: they take the window's `measure` and `sizes` and place the
# new nodes at their drawn sizes, as `insert_on_edge` does.
PLACING = frozenset({*INSERTED_KIND, "insert_projection", "insert_cropping", "insert_padding",
                     "insert_cropping1d", "insert_padding1d"})


def expand_block(doc: Document, node_id: str, stack: cmd.UndoStack,
                 size: tuple[float, float] | None = None,
                 measure: Measure | None = None) -> list[str]:
    """Replace a block node by the layers of its expansion, undoably.

    The sublayers are named `{block}_{suffix}` like the built model's layers; the
    block's input and consumers are rewired, and its output slot passes to the
    expansion's last layer. They are laid out where the block stood, in the graph's
    direction, and the nodes after it (beyond its end: `size`, the block's size as
    drawn, when known) move on. `measure` gives the new nodes' drawn sizes once they are
    wired (else they are estimated from their names), so their centres line up as drawn.
    Returns the new node ids in expansion order.
    """
    node = doc.node(node_id)
    spec = node.spec
    if not spec.is_block:
        raise DocumentError(f"{node.name!r} ({node.kind}) is not a block")
    inputs = doc.in_edges(node_id)
    expansion = spec.expand(spec.resolve(node.params), _shapes(doc).get(node_id, []))
    consumers, outputs, origin = doc.out_edges(node_id), list(doc.outputs), doc.position(node_id)
    along = direction_axis(doc)
    ids: dict[str, str] = {}
    with stack.macro(f"Expand {node.name}"):
        stack.push(cmd.RemoveNode(doc, node_id))
        for sub in expansion.layers:
            name = doc.unique_name(f"{node.name}_{sub.name}")
            added = stack.push(cmd.AddNode(doc, sub.kind, name, params=dict(sub.params)))
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
        if origin is not None:  # laid out where the block stood, the rest moved on
            new = list(ids.values())
            placed, moves = in_place(doc, new, origin, along, size or NODE_SIZE,
                                     measure(new) if measure else None)
            stack.push(cmd.Move(doc, {**moves, **placed}))
    return list(ids.values())
