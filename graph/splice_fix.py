"""A layer added beside a chain instead of into it: the fix that splices it in. Pure.

Selecting `pool` in `pool -> flatten` and adding a Dropout wires `pool -> dropout`, a
branch that leads nowhere ("does not lead to any model output"), where the user most
often meant `pool -> dropout -> flatten`. The unused-node warning of such a layer gets
the fix "Insert between pool and flatten" when:

- the layer has one input wire and feeds nothing;
- the tensor it takes feeds exactly one other port (the wire to splice into);
- it keeps that tensor's shape (Dropout, BatchNormalization, an Activation, ...), so
  every layer after it receives what it did before and no new error appears.

The fix moves the wire's end from that port to the layer's output and puts the layer
on the wire (the nodes after it move on when there is no room), in one undo step. The
issue's data names the wire (`dst`, `dst_port`) and the two layers by name, so the
button says where the layer goes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from . import commands as cmd
from .document import Document, Edge
from .errors import DocumentError
from .issue_data import IssueData
from .placement import NODE_SIZE, Measure, Size, between

SPLICE_FIX = "splice_into_wire"
UNUSED = "unused_node"


def splice_edge(doc: Document, node_id: str, results: Mapping) -> Edge | None:
    """The wire the stray `node_id` would go on (see the module docstring), or None."""
    node, gives = doc.nodes.get(node_id), results.get(node_id)
    ins = doc.in_edges(node_id)
    if node is None or not _ok(gives) or len(ins) != 1 or doc.out_edges(node_id):
        return None  # an unknown kind has no result that is ok: its spec is not read
    if node.spec.is_merge:
        return None
    src = ins[0]
    others = [e for e in doc.edges if e.src == src.src and e.src_port == src.src_port
              and e.dst != node_id]
    if len(others) != 1:
        return None
    takes = results.get(src.src)
    if not _ok(takes) or len(gives.output_shapes) != 1:
        return None
    if src.src_port >= len(takes.output_shapes):
        return None
    same = tuple(gives.output_shapes[0]) == tuple(takes.output_shapes[src.src_port])
    return others[0] if same else None


def _ok(result) -> bool:
    return result is not None and result.ok and bool(result.output_shapes)


def with_splice_fixes(doc: Document, results: Mapping, issues: list) -> list:
    """`issues` with the fix added to the unused-node warning of each layer that fits."""
    out = []
    for issue in issues:
        edge = splice_edge(doc, issue.node, results) if issue.code == UNUSED else None
        if edge is not None:
            named = {"src": edge.src, "dst": edge.dst, "dst_port": edge.dst_port,
                     "src_name": doc.nodes[edge.src].name,
                     "dst_name": doc.nodes[edge.dst].name}
            issue = dataclasses.replace(issue, fixes=(SPLICE_FIX, *issue.fixes),
                                        data=IssueData({**issue.data, **named}))
        out.append(issue)
    return out


def splice_label(issue, doc: Document | None = None) -> str | None:
    """"Insert between <src> and <dst>", by their names in `doc` as they are now (else as
    they were when the issue was found); None where the issue does not say."""
    data = issue.data if issue is not None else {}
    if data.get("dst") is None:
        return None
    names = []
    for key in ("src", "dst"):
        nid = data.get(key)
        names.append(doc.nodes[nid].name if doc is not None and nid in doc.nodes
                     else data.get(f"{key}_name"))
    return f"Insert between {names[0]} and {names[1]}"


def splice_into_wire(doc: Document, issue, stack: cmd.UndoStack,
                     measure: Measure | None = None,
                     sizes: Mapping[str, Size] | None = None) -> list[str]:
    """Move the wire `splice_edge` finds to start at the stray node, and place the node
    on it."""
    from .validate import analyze

    edge = splice_edge(doc, issue.node, analyze(doc).results)
    if edge is None or (edge.dst, edge.dst_port) != (issue.data.get("dst"),
                                                     issue.data.get("dst_port")):
        raise DocumentError("This layer no longer sits beside one wire it could go on")
    node_id = issue.node
    stack.push(cmd.Disconnect(doc, edge))
    stack.push(cmd.Connect(doc, Edge(node_id, 0, edge.dst, edge.dst_port)))
    size = measure([node_id])[node_id] if measure else NODE_SIZE
    pos, moves = between(doc, edge.src, edge.dst, size, sizes, ignore=node_id)
    if pos is not None:
        stack.push(cmd.Move(doc, {**moves, node_id: pos}))
    return [node_id]
