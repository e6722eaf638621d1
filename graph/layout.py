"""Layered auto-layout of the document that wraps long models into columns: pure, no Qt.

Nodes go into layers by longest path from the inputs (networkx's topological
generations, so every edge points forward). The longest input-to-output chain
is the main path: it runs straight down each column, and every other node sits
beside it, ordered within its layer by the mean position of its predecessors
(a barycenter sweep), so skip connections and side branches fan out next to it.
A node whose main wire enters a port off its middle (an Add's in_0) stands aside for
it, alone (`layout_ports.main_in_line`), and two rows that wires run across between
stand further apart, with room for their bends (`layout_ports.sideways_gaps`).

A long model (a MobileNet or a ResNet is 150-180 layers) would make one column
too tall to read once fitted into a window. So the layers are cut into columns
placed side by side, with as many columns as make the picture best fill a view
of the given aspect ratio. A cut costs more where several tensors would have to
wrap from one column to the next, and more inside a repeated unit (layers named
`block_3_*` or `conv2_block1_*` belong to one unit, see `unit_key`); so columns
end between residual blocks, not inside one, and units stay whole and are set a
little apart from each other within a column (the cuts: `graph.layout_columns`, whose
public names are importable here too; the rows and their order: `graph.layout_order`).
A column reaches as far as the shape labels beside its wires (`layout_labels`), so the
gap after it is clear of them.

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
from .layout_columns import (  # noqa: F401 - public here too
    CUT_FROM,
    EMPTY_COST,
    WRAP_FROM,
    best_columns,
    break_costs,
    column_gap,
    unit_key,
    unit_starts,
)
from .layout_labels import label_spans
from .layout_order import order_layers, preds_of, side_chains_lined_up, span
from .layout_ports import (
    main_in_line,
    main_ports,
    port_offsets,
    pulls,
    right_detours,
    sideways_gaps,
)
from .placement import NODE_SIZE

DIRECTIONS = ("TB", "LR")
# Without drawn sizes (a layout made headless, at import), a node's width is estimated from
# its title, about 9 units a character at the canvas' 10 pt bold plus padding, with room to
# spare: the canvas draws wider nodes for long Keras names (expanded_conv_depthwise_BN).
TITLE_CHAR_WIDTH, TITLE_PADDING = 10.0, 40.0
VIEW_ASPECT = 1.4  # width / height of the canvas the layout is made to fill
UNIT_GAP = 0.6  # extra space between units of one column, as a share of the layer gap
# Extra space, as a share of the layer gap, above a layer that wires run across into
# (the branches of an inception block merging): each needs room for its two bends.
ACROSS_GAP = 1.0


def preload() -> None:
    """Import networkx ahead of the first layout. The import takes about 0.7 s, so the
    window does it in idle time after start-up instead of inside the first open."""
    import networkx  # noqa: F401


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


def main_path(doc: Document, layer: Mapping[str, int],
              offsets: Mapping[tuple[str, str], float] | None = None) -> list[str]:
    """The longest chain of nodes, ending at a model output if any. Into a node with several
    inputs whose sources all stand in the layer right above it, it comes down into the port
    nearest the middle (`port_offsets`), so that the other sources stand on the sides of
    their ports; further ties go to document order."""
    preds = preds_of(doc)
    offsets = port_offsets(doc) if offsets is None else offsets
    order = {nid: i for i, nid in enumerate(doc.nodes)}
    ends = [nid for nid, _ in doc.output_refs() if nid in layer] or list(doc.nodes)
    if not ends:
        return []
    end = max(ends, key=lambda n: (layer[n], -order[n]))
    path = [end]
    while preds[path[-1]]:
        candidates = [p for p in preds[path[-1]] if layer[p] == layer[path[-1]] - 1]
        if not candidates:
            break
        at = path[-1]
        level = len(candidates) == len(preds[at])  # all its sources in the row above it
        path.append(min(candidates, key=lambda p: (
            abs(offsets.get((p, at), 0.0)) if level else 0.0, order[p])))
    return path[::-1]


def estimated_size(name: str) -> tuple[float, float]:
    """(width, height) a node titled `name` is given when its drawn size is unknown.

    >>> estimated_size("dense"), estimated_size("expanded_conv_depthwise_BN")
    ((180.0, 64.0), (300.0, 64.0))
    """
    width = max(NODE_SIZE[0], TITLE_CHAR_WIDTH * len(name) + TITLE_PADDING)
    return (width, NODE_SIZE[1])


def layered_layout(doc: Document, direction: str = "TB",
                   sizes: Mapping[str, tuple[float, float]] | None = None,
                   gap: tuple[float, float] = (30.0, 22.0),
                   aspect: float | None = VIEW_ASPECT,
                   labels: Mapping[str, float] | None = None) -> dict[str, tuple[float, float]]:
    """Positions (top-left corners) for every node.

    Args:
        doc: the document.
        direction: "TB" (layers top to bottom, columns side by side) or "LR" (layers left
            to right, rows one under the other).
        sizes: node id -> (width, height) as drawn; else `estimated_size`.
        gap: (between nodes of one layer, between layers), in scene units.
        aspect: width / height of the view to fill; None keeps one column (or row).
        labels: node id -> width of the widest shape label on its wires out
            (`layout_labels.label_widths`), which each column keeps room for beside it.
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}. Received: {direction!r}")
    sizes = sizes or {}
    layer = layers_of(doc)
    offsets = port_offsets(doc)
    path = main_path(doc, layer, offsets)
    main = set(path)
    by_layer = sorted(doc.nodes, key=layer.get)
    slots = order_layers(doc, layer, main, pulls(doc, by_layer, main, offsets))
    along = 1 if direction == "TB" else 0  # the axis the layers advance on
    extent = {n: tuple(sizes.get(n) or estimated_size(node.name))
              for n, node in doc.nodes.items()}
    cross = side_chains_lined_up(doc, slots, extent, along, gap[0])
    if along == 1:
        cross = main_in_line(doc, slots, cross, main_ports(doc, path, extent))
    thick = [max((extent[n][along] for n, _ in nodes), default=0.0) for nodes in slots]
    spans = [span(c, extent, 1 - along) for c in cross]
    if labels and along == 1:  # beside the wires going down; above those going across
        spans = label_spans(spans, cross, labels)
    starts = unit_starts(doc, slots)
    cost = break_costs(doc, layer, len(slots), starts)
    centres = {n: c for row in cross for n, c in row.items()}
    roomy = sideways_gaps(doc, layer, centres, extent) if along == 1 else set()
    axis = [next((row[n] for n, rank in nodes if rank == 0), 0.0)
            for nodes, row in zip(slots, cross, strict=True)]
    wide = right_detours(doc, layer, centres, extent, axis) if along == 1 else None
    lead = [gap[1] * (UNIT_GAP * (i in starts) + ACROSS_GAP * (i in roomy))
            for i in range(len(slots))]
    view = None if aspect is None else (aspect if along == 1 else 1.0 / aspect)
    columns = best_columns(thick, lead, spans, cost, gap, view, wide)
    return _place(slots, cross, thick, lead, spans, columns, extent, along, gap, wide)


def _place(slots, cross, thick, lead, spans, columns, extent, along, gap, wide=None):
    positions: dict[str, tuple[float, float]] = {}
    offset = 0.0
    for a, b in columns:
        left = min(spans[i][0] for i in range(a, b))
        axis = offset - left
        depth = 0.0
        for i in range(a, b):
            depth += lead[i] if i > a else 0.0
            for nid, centre in cross[i].items():
                w, h = extent[nid]
                if along == 1:
                    positions[nid] = (axis + centre - w / 2, depth)
                else:
                    positions[nid] = (depth, axis + centre - h / 2)
            depth += thick[i] + gap[1]
        offset = axis + max(spans[i][1] for i in range(a, b)) + column_gap(
            gap, any((wide or [])[a:b]))
    return positions
