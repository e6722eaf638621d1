"""Rows of the auto-layout and where each node sits across them: pure, no Qt.

`order_layers` puts the nodes of each layer (`layout.layers_of`) in a row, the main-path
node in the middle and the others to its sides by a barycenter sweep; `side_chains_lined_up`
gives each node its centre across the layer axis, with side chains running straight; `span`
is how far a row reaches either side of the main path. `layout.layered_layout` stacks the
rows and cuts them into columns.
"""

from __future__ import annotations

from collections.abc import Mapping

from .document import Document


def preds_of(doc: Document) -> dict[str, list[str]]:
    """Node id -> the ids of the nodes wired into it, each once, in edge order."""
    preds: dict[str, list[str]] = {nid: [] for nid in doc.nodes}
    for e in doc.edges:
        if e.dst in preds and e.src in doc.nodes and e.src not in preds[e.dst]:
            preds[e.dst].append(e.src)
    return preds


def order_layers(doc: Document, layer: Mapping[str, int], main: set[str],
                 pull: Mapping[str, float]) -> list[list]:
    """Nodes per layer, each as (node id, side rank); the main-path node has rank 0. A side
    node goes by the mean rank of its predecessors, or where that is the main path's (or it
    has none) by the side of the ports its wires lead to (`pulls`): the source of a merge
    node's in_0 left of the one of in_1."""
    count = max(layer.values(), default=-1) + 1
    rows: list[list[str]] = [[] for _ in range(count)]
    for nid in doc.nodes:
        rows[layer[nid]].append(nid)
    preds = preds_of(doc)
    rank: dict[str, float] = {}
    slots = []
    for row in rows:
        def bary(n):
            ranks = [rank[p] for p in preds[n] if p in rank]
            mean = sum(ranks) / len(ranks) if ranks else 0.0
            return mean or pull.get(n, 0.0) / 4
        centre = [n for n in row if n in main]
        others = sorted((n for n in row if n not in main), key=bary)
        left = [n for n in others if bary(n) < 0]
        right = [n for n in others if bary(n) >= 0]
        if not centre and right:  # no main node here: the nearest one takes the centre
            centre = [right.pop(0)]
        ordered = left + centre + right
        base = len(left)
        for i, n in enumerate(ordered):
            rank[n] = float(i - base)
        slots.append([(n, i - base) for i, n in enumerate(ordered)])
    return slots


def side_chains_lined_up(doc: Document, slots, extent, along, gap) -> list[dict]:
    """The centres across the layer axis (`_cross_positions`), each side node moved out
    to the centre of its one predecessor or its one successor on its side of the main
    path, where that is further out: a side chain of nodes of different sizes (a second
    Input and its Embedding) runs straight. A few passes carry a move along a chain."""
    preds, succs = preds_of(doc), {nid: [] for nid in doc.nodes}
    for nid, sources in preds.items():
        for src in sources:
            succs[src].append(nid)
    cross = [_cross_positions(nodes, extent, along, gap) for nodes in slots]
    for _ in range(3):
        placed = {nid: centre for layer in cross for nid, centre in layer.items()}
        wanted = [_neighbours_out(nodes, (preds, succs), placed) for nodes in slots]
        moved = [_cross_positions(nodes, extent, along, gap, want)
                 for nodes, want in zip(slots, wanted, strict=True)]
        if moved == cross:
            break
        cross = moved
    return cross


def _neighbours_out(nodes, links, placed: Mapping[str, float]) -> dict[str, float]:
    """Side node -> the outermost centre of its one predecessor and its one successor
    (each of `links`), among those on its side of the main path."""
    out = {}
    for nid, rank in nodes:
        centres = [placed[linked[nid][0]] for linked in links
                   if rank and len(linked[nid]) == 1 and linked[nid][0] in placed]
        centres = [c for c in centres if c * rank > 0]
        if centres:
            out[nid] = max(centres) if rank > 0 else min(centres)
    return out


def _cross_positions(nodes, extent, along, gap, fed=None) -> dict[str, float]:
    """Centre of each node across the layer axis; the rank-0 node is centred on 0, the
    others packed beside it, or further out where `fed` (node -> centre) wants them."""
    cross_axis = 1 - along
    fed = fed or {}
    out: dict[str, float] = {}
    at = 0.0
    for nid, rank in [x for x in nodes if x[1] >= 0]:
        size = extent[nid][cross_axis]
        if rank == 0:
            out[nid], at = 0.0, size / 2 + gap
        else:
            out[nid] = max(at + size / 2, fed.get(nid, at + size / 2))
            at = out[nid] + size / 2 + gap
    zero = next((n for n, r in nodes if r == 0), None)
    at = -(extent[zero][cross_axis] / 2 + gap) if zero else 0.0
    for nid, _ in reversed([x for x in nodes if x[1] < 0]):
        size = extent[nid][cross_axis]
        out[nid] = min(at - size / 2, fed.get(nid, at - size / 2))
        at = out[nid] - size / 2 - gap
    return out


def span(centres: Mapping[str, float], extent, cross_axis: int) -> tuple[float, float]:
    """(first, last) edge of a row's nodes across the layer axis, around the main path."""
    if not centres:
        return (0.0, 0.0)
    return (min(c - extent[n][cross_axis] / 2 for n, c in centres.items()),
            max(c + extent[n][cross_axis] / 2 for n, c in centres.items()))
