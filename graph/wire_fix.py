"""A node dropped but not wired: the fix that wires it from where the graph ends. Pure.

A layer whose input is not connected, while some layer above it feeds nothing yet (the
graph's open end, where the user was building), gets the fix "Wire from <name>": the
nearest such layer above it (by the canvas positions; else the last one in the
document), offered only when the layer takes that tensor (its shape rule accepts it)
and the wire makes no cycle. A merge (Concatenate, Add) with only its first input wired
gets the same fix first, for its second input, where the merge takes both tensors. The
issue's data names that layer (`source`, by id, and `source_name`), so the fix's button
says which layer it wires from, and wires that one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from . import commands as cmd
from .document import Document, Edge
from .errors import DocumentError
from .issue_data import IssueData

WIRE_FIX = "wire_from_open_end"
UNCONNECTED = "unconnected_input"
ONE_INPUT = "merge_one_input"  # a merge with its first input wired, and no other


def source_for(doc: Document, node_id: str, results: Mapping, index=None) -> str | None:
    """The node whose output 0 the stray `node_id` would take (a merge with one input
    wired: as its second), or None (`index`: the document's `GraphIndex`, when the caller
    holds one)."""
    node = doc.nodes.get(node_id)
    wired = [e for e in doc.edges if e.dst == node_id]
    if node is None or not (_stray_layer(node, wired) or _merge_of_one(node, wired)):
        return None  # a layer wired already: its own issue says which port is missing
    from .index import GraphIndex

    feeding = {e.src for e in doc.edges if e.src_port == 0}
    below = (index or GraphIndex.of(doc)).downstream([node_id])
    shape_of = {nid: r.output_shapes[0] for nid, r in results.items()
                if r is not None and r.ok and r.output_shapes}
    candidates = [nid for nid in doc.nodes if nid != node_id and nid not in feeding
                  and nid not in below and nid in shape_of
                  and _takes(node, results.get(node_id), shape_of[nid])]
    if not candidates:
        return None
    return min(candidates, key=lambda nid: _distance(doc, nid, node_id, candidates))


def _stray_layer(node, wired: list[Edge]) -> bool:
    return not node.spec.is_merge and node.spec.min_inputs == 1 and not wired


def _merge_of_one(node, wired: list[Edge]) -> bool:
    return node.spec.is_merge and len(wired) == 1 and wired[0].dst_port == 0


def _takes(node, result, shape) -> bool:
    params = getattr(result, "params", None)
    if params is None:
        return False
    given = list(result.input_shapes or ()) if node.spec.is_merge else []
    try:
        node.spec.output_shapes(params, [*given, tuple(shape)])
    except Exception:  # noqa: BLE001 - any refusal of the shape rule: no fix offered
        return False
    return True


def _distance(doc: Document, src: str, dst: str, order: list[str]) -> tuple:
    """Nearest above first, then nearest anywhere; without positions, the last added."""
    a, b = _position(doc, src), _position(doc, dst)
    if a is None or b is None:
        return (1, 0.0, -order.index(src))
    above = 0 if a[1] < b[1] else 1
    return (above, (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2, -order.index(src))


def _position(doc: Document, node_id: str) -> tuple[float, float] | None:
    """The node's canvas position, or None when there is none or it is malformed (the
    analysis never fails on a hand-edited `ui` section)."""
    try:
        x, y = doc.position(node_id) or (None, None)
        return (float(x), float(y)) if x is not None else None
    except (TypeError, ValueError, AttributeError, IndexError, KeyError):
        return None


def with_wire_fixes(doc: Document, results: Mapping, node_issues: dict, index) -> dict:
    """`node_issues` with the fix added to the unconnected-input issue of each stray node
    that a source fits."""
    out = dict(node_issues)
    for nid, issues in node_issues.items():
        if not any(_strays(i) for i in issues):
            continue
        source = source_for(doc, nid, results, index)
        if source is None:
            continue
        named = {"source": source, "source_name": doc.nodes[source].name}
        out[nid] = [dataclasses.replace(i, fixes=(WIRE_FIX, *i.fixes) if i.code == ONE_INPUT
                                        else (*i.fixes, WIRE_FIX),
                                        data=IssueData({**i.data, **named}))
                    if _strays(i) else i for i in issues]
    return out


def _strays(issue) -> bool:
    """An input left unwired: a layer's only one, or a merge's second."""
    return (issue.code == UNCONNECTED and issue.port == 0) or issue.code == ONE_INPUT


def wire_label(issue, doc: Document | None = None) -> str | None:
    """"Wire from <name>": the layer the fix wires from, by its name in `doc` as it is now
    (else as it was when the issue was found); None where the issue does not say."""
    source = issue.data.get("source") if issue is not None else None
    if source is None:
        return None
    name = doc.nodes[source].name if doc is not None and source in doc.nodes else \
        issue.data.get("source_name")
    return f"Wire from {name}" if name else None


def wire_from_open_end(doc: Document, issue, stack: cmd.UndoStack) -> list[str]:
    """Wire the stray node's input from the open end `source_for` picks."""
    from .validate import analyze

    source = issue.data.get("source")  # the layer its button names
    if source not in doc.nodes or source == issue.node:
        source = source_for(doc, issue.node, analyze(doc).results)
    if source is None:
        raise DocumentError("No layer where the graph ends takes this node's input any more")
    port = len(doc.in_edges(issue.node))  # a merge's next port; 0 for a stray layer
    stack.push(cmd.Connect(doc, Edge(source, 0, issue.node, port)))
    return [issue.node]
