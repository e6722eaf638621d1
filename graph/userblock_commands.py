"""Undoable edits of user-defined blocks: a selection made into a block, an instance expanded.

`make_block` turns a selection into a definition plus one instance, and
`expand_instance` puts one instance's layers back in its place. `SetBlockDefinition`
(adds, replaces or deletes a definition; every instance follows) and the block library
on disk (`export_block`/`import_block`, `library_dir`) are in `graph.userblock_library`,
their names importable here too. The definitions themselves, their checks and inference
live in `graph.userblocks`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .commands import AddNode, Connect, Move, RemoveNode, SetOutputs, UndoStack
from .document import Document, Edge, output_entry
from .errors import DocumentError
from .layers import shared
from .params import to_json
from .placement import NODE_SIZE, Measure, Size, direction_axis
from .placement_blocks import collapse, in_place, main_line
from .spec import INPUT
from .userblock_library import (  # noqa: F401 - public here too
    LIBRARY_FORMAT,
    SetBlockDefinition,
    export_block,
    import_block,
    library_dir,
    read_library_file,
)
from .userblocks import (
    KIND,
    BlockDefinitionError,
    bind,
    check_definition,
    inner_params,
    output_refs,
    with_outputs,
)


def make_block(doc: Document, stack: UndoStack, node_ids: Sequence[str], name: str,
               exposed_params: Mapping[str, tuple[str, str]] | None = None, doc_text: str = "",
               measure: Measure | None = None, sizes: Mapping[str, Size] | None = None):
    """Replace the selected nodes by one instance of a new block `name`, as one undo step.

    Args:
        doc: the document.
        stack: its undo stack.
        node_ids: the selection; it must not hold Input nodes and must send at least one
            tensor out (to other nodes or as a model output): each such tensor becomes one
            output port of the block.
        name: the new block's name (an identifier not yet defined).
        exposed_params: block param name -> (inner node id, inner param name); the
            block param's default is the inner node's current value.
        doc_text: one line describing the block.
        measure: the instance's drawn size once wired (else `NODE_SIZE` is assumed), and
        sizes: node id -> drawn size of the selected nodes: the instance is centred on
            where they were drawn, so the wires into and out of it run straight.

    Returns:
        The instance node.

    Raises:
        DocumentError: the selection cannot become a block (the message says why).
        BlockDefinitionError: the resulting definition is refused.
    """
    selected = list(dict.fromkeys(node_ids))
    if name in doc.blocks:
        raise DocumentError(f"A block named {name!r} already exists")
    definition, feeds, leaving = _cut(doc, selected, exposed_params or {}, doc_text)
    with stack.macro(f"Make block {name}"):
        stack.push(SetBlockDefinition(doc, name, definition))
        return _replace(doc, stack, selected, name, feeds, leaving, measure, sizes)


def _cut(doc, selected, exposed, doc_text):
    """The definition of the selection, its incoming tensors, and (the leaving edges, the
    tensors that leave, one per block output)."""
    chosen = set(selected)
    for nid in selected:
        if doc.node(nid).kind == INPUT:
            raise DocumentError(f"{doc.node(nid).name!r} is an Input; a block cannot hold one")
    feeds: list[tuple[str, int]] = []
    inputs: list[list[dict]] = []
    inner_edges, leaving = [], []
    for e in doc.edges:
        if e.dst in chosen and e.src in chosen:
            inner_edges.append({"src": e.src, "src_port": e.src_port, "dst": e.dst,
                                "dst_port": e.dst_port})
        elif e.dst in chosen:
            if (e.src, e.src_port) not in feeds:
                feeds.append((e.src, e.src_port))
                inputs.append([])
            inputs[feeds.index((e.src, e.src_port))].append({"node": e.dst, "port": e.dst_port})
        elif e.src in chosen:
            leaving.append(e)
    marked = [o for o in doc.outputs if doc.output_ref(o)[0] in chosen]
    # one block output per tensor that leaves, in the order of the edges, then the outputs
    tensors = list(dict.fromkeys([(e.src, e.src_port) for e in leaving]
                                 + [doc.output_ref(o) for o in marked]))
    if not tensors:
        raise DocumentError("A block needs an output: the selection sends no tensor out "
                            "(to another node or as a model output)")
    if not feeds:
        raise DocumentError("A block needs an input: the selection receives no tensor")
    nodes = [{"id": nid, "kind": doc.node(nid).kind, "name": doc.node(nid).name,
              "params": {k: to_json(v) for k, v in doc.node(nid).params.items()}}
             for nid in doc.nodes if nid in chosen]
    params = {}
    for key, (nid, param) in exposed.items():
        if nid not in chosen:
            raise DocumentError(f"Exposed param {key!r} names node {nid!r}, not in the selection")
        spec = bind(doc, doc.node(nid))
        value = doc.node(nid).params.get(param, spec.param(param).start_value())
        params[key] = {"node": nid, "param": param, "default": to_json(value)}
    definition = with_outputs({"nodes": nodes, "edges": inner_edges, "inputs": inputs,
                               "params": params},
                              [{"node": nid, "port": port} for nid, port in tensors])
    if doc_text:
        definition["doc"] = doc_text
    return definition, feeds, (leaving, tensors)


def _replace(doc, stack, selected, name, feeds, leaving, measure=None, sizes=None):
    """Swap the selection for one instance: its inputs wired from `feeds`, each leaving
    edge and model output moved to the instance's port for that tensor."""
    edges, tensors = leaving
    port_of = {ref: port for port, ref in enumerate(tensors)}
    chosen = set(selected)
    outputs = [(doc.output_ref(o), o) for o in doc.outputs]
    placed = {nid: doc.position(nid) for nid in selected if doc.position(nid)}
    line = main_line(doc, placed, sizes) if placed else None  # while the nodes are there
    for nid in selected:
        stack.push(RemoveNode(doc, nid))
    instance = stack.push(AddNode(doc, KIND, doc.unique_name(name.lower()), {"block": name}))
    for port, (src, src_port) in enumerate(feeds):
        stack.push(Connect(doc, Edge(src, src_port, instance.id, port)))
    for e in edges:
        stack.push(Connect(doc, Edge(instance.id, port_of[(e.src, e.src_port)], e.dst,
                                     e.dst_port)))
    if any(ref[0] in chosen for ref, _ in outputs):
        stack.push(SetOutputs(doc, [output_entry(instance.id, port_of[ref]) if ref[0] in chosen
                                    else entry for ref, entry in outputs]))
    if placed:  # where the selection began; the nodes after it in its column close the gap
        size = measure([instance.id])[instance.id] if measure else NODE_SIZE
        pos, moves = collapse(doc, placed, size, sizes, line)
        stack.push(Move(doc, {**moves, instance.id: pos}))
    return instance


def expand_instance(doc: Document, stack: UndoStack, node_id: str,
                    size: tuple[float, float] | None = None,
                    measure: Measure | None = None) -> list[str]:
    """Replace one instance of a user block by the block's layers, as one undo step.

    The layers take the instance's values and are named f"{instance}_{inner}", as the
    built model names them; the instance's inputs, consumers and model-output slots are
    rewired to them, and they are laid out where it stood (the nodes after it, beyond its
    end: `size`, the instance's size as drawn, when known, move on), at their drawn sizes
    when `measure` gives them (else estimated from their names).
    The definition stays, for the other instances and the palette. Returns the new ids.

    Raises:
        DocumentError: the node is no instance, or a SharedCall calls it again.
        BlockDefinitionError: its definition is missing or malformed.
    """
    node = doc.node(node_id)
    if node.kind != KIND:
        raise DocumentError(f"{node.name!r} ({node.kind}) is not an instance of a user block")
    block = node.params.get("block")
    if block not in doc.blocks:
        raise BlockDefinitionError(f"no block definition named {block!r}", f"{node.name}.block")
    definition = doc.blocks[block]
    check_definition(block, definition, doc.blocks)
    callers = [n.name for n in doc.nodes.values()
               if n.kind == shared.KIND and n.params.get(shared.OWNER_PARAM) == node_id]
    if callers:
        raise DocumentError(f"{node.name!r} is called again by {', '.join(callers)}; its "
                            "layers are shared with them, so it stays one block")
    values = inner_params(definition, bind(doc, node).resolve(node.params))
    feeds, consumers = doc.in_edges(node_id), doc.out_edges(node_id)
    outputs = [(o, doc.output_ref(o)) for o in doc.outputs]
    origin, along = doc.position(node_id), direction_axis(doc)
    with stack.macro(f"Expand {node.name}"):
        stack.push(RemoveNode(doc, node_id))
        ids = _add_inner(doc, stack, definition, values, node.name)
        for e in feeds:
            for target in definition["inputs"][e.dst_port]:
                stack.push(Connect(doc, Edge(e.src, e.src_port, ids[target["node"]],
                                             target.get("port", 0))))
        leaving = [(ids[ref["node"]], ref.get("port", 0)) for ref in output_refs(definition)]
        for e in consumers:
            stack.push(Connect(doc, Edge(*leaving[e.src_port], e.dst, e.dst_port)))
        if any(nid == node_id for _, (nid, _) in outputs):  # it was a model output
            stack.push(SetOutputs(doc, [output_entry(*leaving[port]) if nid == node_id else o
                                        for o, (nid, port) in outputs]))
        if origin is not None:
            new = list(ids.values())
            placed, moves = in_place(doc, new, origin, along, size or NODE_SIZE,
                                     measure(new) if measure else None)
            stack.push(Move(doc, {**moves, **placed}))
    return list(ids.values())


def _add_inner(doc, stack, definition, values, prefix) -> dict[str, str]:
    """Add the definition's nodes (owners before the SharedCalls that call them) and its
    inner edges; inner id -> new node id."""
    ids: dict[str, str] = {}
    for inner in sorted(definition["nodes"], key=lambda n: n["kind"] == shared.KIND):
        params = dict(values[inner["id"]])
        if inner["kind"] == shared.KIND:
            params[shared.OWNER_PARAM] = ids[params[shared.OWNER_PARAM]]
        added = stack.push(AddNode(doc, inner["kind"],
                                   doc.unique_name(f"{prefix}_{inner['name']}"), params))
        ids[inner["id"]] = added.id
    for e in definition["edges"]:
        stack.push(Connect(doc, Edge(ids[e["src"]], e["src_port"], ids[e["dst"]],
                                     e["dst_port"])))
    return ids
