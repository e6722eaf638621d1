"""One-click fixes for validation issues, and block expansion. Pure, undoable.

Each fix takes the document, the `Issue` it answers and an `UndoStack`, and
applies one macro of `graph.commands`, so a single undo takes it back. A fix reads
what it needs from the graph and from the issue's node, port and `data`, never from
its message, which is written for people. Fixes are
keyed by the codes listed in `Issue.fixes` (validation offers one only when the
node's shape rule accepts the result, see `graph.diagnose`):

    insert_flatten, insert_gap1d/2d,  a rank that does not fit: on the port at fault, or on
    insert_reshape                    each offending input of a merge (`graph.fixplan`)
    insert_projection                 Add inputs whose channels differ (1x1 Conv2D)
    insert_cropping, insert_padding   merge inputs whose spatial sizes differ (images);
    insert_cropping1d, ..._padding1d  the same for sequences of different lengths
    remove_node                       a merge left with one input
    set_custom_outputs                a CustomLayer whose call() returns another number of
                                      tensors than it has output ports
    mark_open_ends                    a model with no outputs: the nodes where the graph
                                      ends (wired in, feeding nothing) become its outputs
    move_output_here                  a layer added after a model output, feeding nothing:
                                      the model output moves to it
    use_free_key, name_input_as_key   a dict key used twice; an Input keyed otherwise than
                                      its name (`graph.model_keys`)
    wire_from_open_end                a layer whose input is not wired: from the nearest
                                      layer above that feeds nothing yet (`graph.wire_fix`)
    set_units_to_labels,              labels a run refused (`graph.data_fixes`)
    use_categorical_loss, ...
    set_padding_same, drop_batch_axis,  one setting changed: a param of the node at fault,
    set_softmax, use_binary_loss, ...   of its Input, or the training settings
                                        (`graph.param_fixes`)

A fix that needs the user's input is labelled here but answered by the window, not
`apply_fix`: `attach_source` (a CustomLayer without source) opens its code editor, and
`review_trust` (custom code not trusted) shows the code before trusting it.

>>> FIX_LABELS["drop_batch_axis"], FIX_LABELS["insert_reshape"]
("Drop the batch axis from the Input's shape", 'Insert Reshape')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from . import commands as cmd
from .data_fixes import DATA_FIXES, DATA_LABELS
from .document import Document, Edge, output_entry
from .errors import DocumentError
from .fixplan import INSERTED_KIND, plan_fix, projection, widest
from .model_keys import MODEL_FIXES, MODEL_LABELS
from .param_fixes import PARAM_FIXES, PARAM_LABELS, edge_into
from .placement import NODE_SIZE, Measure, Size, between, direction_axis, in_place
from .spec import get_spec
from .wire_fix import WIRE_FIX, wire_from_open_end

FIX_LABELS = {
    "insert_flatten": "Insert Flatten",
    "insert_gap1d": "Insert GlobalAveragePooling1D",
    "insert_gap2d": "Insert GlobalAveragePooling2D",
    "insert_reshape": "Insert Reshape",
    "insert_projection": "Insert 1x1 projection",
    "insert_cropping": "Insert Cropping2D",
    "insert_padding": "Insert ZeroPadding2D",
    "insert_cropping1d": "Insert Cropping1D",
    "insert_padding1d": "Insert ZeroPadding1D",
    "remove_node": "Remove this node",
    "attach_source": "Attach source…",
    "review_trust": "Review and trust…",
    "set_custom_outputs": "Set outputs to the tensors call() returns",
    "mark_open_ends": "Mark where the graph ends as outputs",
    **PARAM_LABELS,
    **DATA_LABELS,
    **MODEL_LABELS,
    "wire_from_open_end": "Wire from where the graph ends",
    "move_output_here": "Make it the model output",
}


def _shapes(doc: Document) -> dict[str, list]:
    """Input shapes per node id, from a fresh analysis."""
    from .validate import analyze

    return {nid: list(r.input_shapes or ()) for nid, r in analyze(doc).results.items()}


def insert_on_edge(doc: Document, stack: cmd.UndoStack, edge: Edge, kind: str,
                   params: dict | None = None, measure: Measure | None = None,
                   sizes: Mapping[str, Size] | None = None) -> str:
    """Put a new `kind` node on `edge` (src -> new -> dst); returns the new node's id.

    The node goes between its neighbours in the graph's direction; the nodes after
    it move on when there is no room (`graph.placement`). With `measure` it is placed
    at its drawn size once wired, and with `sizes` (node id -> drawn size) its
    neighbours are taken at theirs, so its wires run straight. Call it inside a macro
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
        pos, moves = between(doc, edge.src, edge.dst, size, sizes)
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
        raise DocumentError(f"{FIX_LABELS[code]} no longer fits {node.name!r}: its inputs "
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

    fix.__doc__ = f"{FIX_LABELS[code]} where the inputs of `issue.node` need it."
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
            carried = output_entry(src.src, src.src_port)
            if node_id in outputs and carried not in outputs:
                outputs[outputs.index(node_id)] = carried
                stack.push(cmd.SetOutputs(doc, outputs))


def set_custom_outputs(doc: Document, issue, stack: cmd.UndoStack) -> list[str]:
    """Give a CustomLayer one output port per tensor Keras says its call() returns."""
    from .validate import analyze

    found = analyze(doc).results[issue.node].output_shapes
    if not found:
        raise DocumentError(f"no output shapes are known for node {issue.node!r}")
    stack.push(cmd.SetParam(doc, issue.node, "outputs", len(found)))
    return [issue.node]


def mark_open_ends(doc: Document, issue, stack: cmd.UndoStack) -> list[str]:
    """Make the first output of each node where the graph ends a model output."""
    from .rules import open_ends

    ends = open_ends(doc)
    if not ends:
        raise DocumentError("The graph has no end to mark as an output: every layer that is "
                            "wired in feeds another")
    stack.push(cmd.SetOutputs(doc, [*doc.outputs, *(output_entry(n, 0) for n in ends)]))
    return ends


def move_output_here(doc: Document, issue, stack: cmd.UndoStack) -> list[str]:
    """A layer added after a model output, feeding nothing: the outputs it follows become
    it (a softmax added after the classes layer is the model's output now)."""
    from .index import GraphIndex

    before = GraphIndex.of(doc).upstream([issue.node])
    moved = [o for o in doc.outputs if doc.output_ref(o)[0] in before]
    if not moved or doc.out_edges(issue.node):
        raise DocumentError("No model output comes before this node any more")
    here = output_entry(issue.node, 0)
    outputs = [here if o == moved[0] else o for o in doc.outputs if o not in moved[1:]]
    stack.push(cmd.SetOutputs(doc, outputs))
    return [issue.node]


FIXES: dict[str, Callable] = {
    **{code: _rank_fix(code) for code in INSERTED_KIND},
    "insert_projection": insert_projection,
    "insert_cropping": insert_cropping,
    "insert_padding": insert_padding,
    "insert_cropping1d": insert_cropping,
    "insert_padding1d": insert_padding,
    "remove_node": remove_node,
    "set_custom_outputs": set_custom_outputs,
    "mark_open_ends": mark_open_ends,
    **PARAM_FIXES,
    **DATA_FIXES,
    **MODEL_FIXES,
    WIRE_FIX: wire_from_open_end,
    "move_output_here": move_output_here,
}

# The fixes that insert layers: they take the window's `measure` and `sizes` and place the
# new nodes at their drawn sizes, as `insert_on_edge` does.
PLACING = frozenset({*INSERTED_KIND, "insert_projection", "insert_cropping", "insert_padding",
                     "insert_cropping1d", "insert_padding1d"})


def apply_fix(doc: Document, issue, code: str, stack: cmd.UndoStack,
              measure: Measure | None = None, sizes: Mapping[str, Size] | None = None):
    """Run the fix `code` for `issue` as one undoable step.

    A fix that inserts layers (`PLACING`) places them at the sizes `measure` gives once
    they are wired, beside neighbours of `sizes` (node id -> drawn size), as a layer
    dropped on a wire is (`insert_on_edge`); without them, at the assumed size.

    Raises:
        KeyError: `code` is not a known fix.
        DocumentError: the fix does not apply to this graph (nothing is changed).
    """
    try:
        fix = FIXES[code]
    except KeyError:
        raise KeyError(f"Unknown fix {code!r}; expected one of {', '.join(FIXES)}") from None
    with stack.macro(FIX_LABELS[code]):
        if code in PLACING:
            return fix(doc, issue, stack, measure, sizes)
        return fix(doc, issue, stack)


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
