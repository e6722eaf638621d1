"""Delete nodes and keep the chain they sat in: their inputs wired on to their consumers.

Deleting the Dropout of `pool -> dropout -> flatten` leaves `flatten` unwired; dissolving
it wires `pool -> flatten`, as node editors' "dissolve" does. Each dissolved node that
takes exactly one wire hands it on to every port its first output fed, through any run
of dissolved nodes (dissolving `a -> b` of `x -> a -> b -> y` wires `x -> y`); a model
output on such a node moves to the tensor it passes on. A node with no input or several
(an Input, a merge) is deleted as Delete deletes it. One undoable step. Pure.

>>> from kerascanvas.graph.commands import UndoStack
>>> from kerascanvas.graph.document import Document, Edge
>>> doc = Document()
>>> x, d, y = (doc.add_node(k, n) for k, n in (("Input", "x"), ("Dropout", "d"),
...                                            ("Dense", "y")))
>>> doc.connect(Edge(x.id, 0, d.id, 0)); doc.connect(Edge(d.id, 0, y.id, 0))
>>> dissolve_nodes(doc, [d.id], UndoStack())
>>> [(doc.nodes[e.src].name, doc.nodes[e.dst].name) for e in doc.edges]
[('x', 'y')]
"""

from __future__ import annotations

from collections.abc import Iterable

from . import commands as cmd
from .document import Document, Edge, output_entry


def bridged_source(doc: Document, node_id: str, removed: set[str]) -> tuple[str, int] | None:
    """(node, port) whose tensor the dissolved `node_id` passes on: its one input's source,
    followed up through other dissolved nodes; None where a node on the way takes no
    input or several."""
    seen: set[str] = set()
    while node_id in removed and node_id not in seen:
        seen.add(node_id)
        ins = doc.in_edges(node_id)
        if len(ins) != 1:
            return None
        node_id, port = ins[0].src, ins[0].src_port
    return None if node_id in removed else (node_id, port)


def dissolve_nodes(doc: Document, node_ids: Iterable[str], stack: cmd.UndoStack,
                   text: str | None = None) -> None:
    """Remove `node_ids`, wiring each one's input on to what its first output fed (see the
    module docstring), as one undoable step named `text` (default "Delete N nodes,
    keeping the chain")."""
    ids = [n for n in dict.fromkeys(node_ids) if n in doc.nodes]
    if not ids:
        return
    removed = set(ids)
    sources = {n: bridged_source(doc, n, removed) for n in ids}
    bridges = [Edge(*sources[e.src], e.dst, e.dst_port) for e in doc.edges
               if e.src in removed and e.src_port == 0 and e.dst not in removed
               and sources[e.src] is not None]
    outputs = _moved_outputs(doc, removed, sources)
    name = text or f"Delete {len(ids)} node{'s' if len(ids) > 1 else ''}, keeping the chain"
    with stack.macro(name):
        stack.push(cmd.RemoveNodes(doc, ids))
        for edge in bridges:
            if edge not in doc.edges:
                stack.push(cmd.Connect(doc, edge))
        if outputs != list(doc.outputs):
            stack.push(cmd.SetOutputs(doc, outputs))


def _moved_outputs(doc: Document, removed: set[str], sources: dict) -> list[str]:
    """The model outputs once the nodes are gone: an output on a dissolved node's first
    port moves to the tensor it passed on (once), others on dissolved nodes go."""
    outputs: list[str] = []
    for entry in doc.outputs:
        node_id, port = doc.output_ref(entry)
        if node_id in removed:
            carried = sources.get(node_id) if port == 0 else None
            entry = output_entry(*carried) if carried is not None else None
        if entry is not None and entry not in outputs:
            outputs.append(entry)
    return outputs
