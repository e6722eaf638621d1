"""Layered auto-layout of the document: pure, linear-ish, no Qt.

Nodes go into layers by longest path from the inputs (so every edge points
forward). The longest input-to-output chain is the main path: it is laid out on
one straight line, and every other node sits beside it, ordered within its layer
by the mean position of its predecessors (a barycenter sweep), so skip
connections and side branches fan out next to the main path.

>>> from kerascanvas.graph.document import Document, Edge
>>> doc = Document()
>>> a = doc.add_node("Input", params={"shape": [4]}); b = doc.add_node("Dense")
>>> doc.connect(Edge(a.id, 0, b.id, 0))
>>> pos = layered_layout(doc, direction="TB")
>>> pos[a.id][1] < pos[b.id][1] and pos[a.id][0] == pos[b.id][0]
True
"""

from __future__ import annotations

from collections.abc import Mapping

from .document import Document

DIRECTIONS = ("TB", "LR")


def layers_of(doc: Document) -> dict[str, int]:
    """Layer index per node: the length of the longest path reaching it from a source.

    These are networkx's topological generations. The document refuses cycles, so a
    cyclic graph only comes from a hand-edited file: everything then sits on layer 0.
    """
    import networkx as nx  # imported on first layout, not at start-up

    graph = nx.DiGraph()
    graph.add_nodes_from(doc.nodes)
    graph.add_edges_from((e.src, e.dst) for e in doc.edges
                         if e.src in doc.nodes and e.dst in doc.nodes)
    try:
        return {nid: i for i, generation in enumerate(nx.topological_generations(graph))
                for nid in generation}
    except nx.NetworkXUnfeasible:
        return dict.fromkeys(doc.nodes, 0)


def main_path(doc: Document, layer: Mapping[str, int]) -> list[str]:
    """The longest chain of nodes (ties go to document order), ending at a model output if any."""
    preds = _preds(doc)
    order = list(doc.nodes)
    ends = [o for o in doc.outputs if o in layer] or order
    if not ends:
        return []
    end = max(ends, key=lambda n: (layer[n], -order.index(n)))
    path = [end]
    while preds[path[-1]]:
        candidates = [p for p in preds[path[-1]] if layer[p] == layer[path[-1]] - 1]
        if not candidates:
            break
        path.append(min(candidates, key=order.index))
    return path[::-1]


def layered_layout(doc: Document, direction: str = "TB",
                   sizes: Mapping[str, tuple[float, float]] | None = None,
                   gap: tuple[float, float] = (60.0, 34.0)) -> dict[str, tuple[float, float]]:
    """Positions (top-left corners) for every node.

    Args:
        doc: the document.
        direction: "TB" (layers top to bottom) or "LR" (layers left to right).
        sizes: node id -> (width, height) as drawn; a default size is assumed otherwise.
        gap: (between nodes of one layer, between layers), in scene units.
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}. Received: {direction!r}")
    sizes = sizes or {}
    layer = layers_of(doc)
    slots = _order_layers(doc, layer, set(main_path(doc, layer)))
    along = 1 if direction == "TB" else 0  # the axis the layers advance on
    extent = {n: sizes.get(n, (180.0, 80.0)) for n in doc.nodes}
    depth = _layer_offsets(slots, extent, along, gap[1])
    positions = {}
    for index, nodes in enumerate(slots):
        for nid, cross in _cross_positions(nodes, extent, along, gap[0]).items():
            w, h = extent[nid]
            start = depth[index]
            if along == 1:
                positions[nid] = (cross - w / 2, start)
            else:
                positions[nid] = (start, cross - h / 2)
    return positions


def _preds(doc: Document) -> dict[str, list[str]]:
    preds: dict[str, list[str]] = {nid: [] for nid in doc.nodes}
    for e in doc.edges:
        if e.dst in preds and e.src in doc.nodes and e.src not in preds[e.dst]:
            preds[e.dst].append(e.src)
    return preds


def _order_layers(doc: Document, layer: Mapping[str, int], main: set[str]) -> list[list]:
    """Nodes per layer, each as (node id, side rank); the main-path node has rank 0."""
    count = max(layer.values(), default=-1) + 1
    rows: list[list[str]] = [[] for _ in range(count)]
    for nid in doc.nodes:
        rows[layer[nid]].append(nid)
    preds = _preds(doc)
    rank: dict[str, float] = {}
    slots = []
    for row in rows:
        def bary(n):
            ranks = [rank[p] for p in preds[n] if p in rank]
            return sum(ranks) / len(ranks) if ranks else 0.0

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


def _layer_offsets(slots, extent, along, gap) -> list[float]:
    offsets, at = [], 0.0
    for nodes in slots:
        offsets.append(at)
        at += max((extent[n][along] for n, _ in nodes), default=0.0) + gap
    return offsets


def _cross_positions(nodes, extent, along, gap) -> dict[str, float]:
    """Centre of each node across the layer axis; the rank-0 node is centred on 0."""
    cross_axis = 1 - along
    out: dict[str, float] = {}
    at = 0.0
    for nid, rank in [x for x in nodes if x[1] >= 0]:
        size = extent[nid][cross_axis]
        if rank == 0:
            out[nid], at = 0.0, size / 2 + gap
        else:
            out[nid], at = at + size / 2, at + size + gap
    zero = next((n for n, r in nodes if r == 0), None)
    at = -(extent[zero][cross_axis] / 2 + gap) if zero else 0.0
    for nid, _ in reversed([x for x in nodes if x[1] < 0]):
        size = extent[nid][cross_axis]
        out[nid], at = at - size / 2, at - size - gap
    return out
