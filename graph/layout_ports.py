"""Which side of a node with several inputs each of its sources belongs on, for the layered
layout (`graph.layout`): a node's input ports are drawn evenly along its top (in_0
leftmost, and a merge node keeps one free port after its last operand), so the source
of a port left of the middle belongs left of the main path, and the main path itself
best comes down into the port nearest the middle, where the node is centred under it.
Port order is the model's meaning: it is never changed here, only where nodes stand.
Pure, no Qt.

>>> from kerascanvas.graph.document import Document, Edge
>>> doc = Document()
>>> x = doc.add_node("Input", params={"shape": [4]})
>>> a = doc.add_node("Dense"); b = doc.add_node("Dense"); add = doc.add_node("Add")
>>> for e in (Edge(x.id, 0, a.id, 0), Edge(x.id, 0, b.id, 0), Edge(a.id, 0, add.id, 0),
...           Edge(b.id, 0, add.id, 1)):
...     doc.connect(e)
>>> offsets = port_offsets(doc)  # Add shows in_0, in_1 and a free port: in_1 is the middle
>>> offsets[(a.id, add.id)], offsets[(b.id, add.id)]
(-1.0, 0.0)
"""

from __future__ import annotations

from collections.abc import Mapping

from .document import Document
from .userblocks import spec_for_display


def port_count(doc: Document, node_id: str, used: int) -> int:
    """How many input ports the node shows (as the canvas draws it), `used` of them up to
    its last wired one."""
    node = doc.nodes[node_id]
    try:
        spec = spec_for_display(doc, node)
        if spec.is_merge:  # merges keep one free input to wire the next operand to
            return max(used + 1, spec.min_inputs)
        return max(used, spec.max_ports(node.params) or used)
    except (KeyError, TypeError, ValueError, AttributeError):
        return used


def port_offsets(doc: Document) -> dict[tuple[str, str], float]:
    """(source, destination) -> how many port widths the source's port lies right of the
    middle of the destination's ports (mean over its ports there), for every destination
    wired into more than one port."""
    ports: dict[str, dict[str, list[int]]] = {}
    for e in doc.edges:
        if e.src in doc.nodes and e.dst in doc.nodes:
            ports.setdefault(e.dst, {}).setdefault(e.src, []).append(e.dst_port)
    out = {}
    for dst, sources in ports.items():
        wired = {p for used in sources.values() for p in used}
        if len(wired) < 2:
            continue
        middle = (port_count(doc, dst, max(wired) + 1) - 1) / 2
        for src, used in sources.items():
            out[(src, dst)] = sum(used) / len(used) - middle
    return out


def pulls(doc: Document, order: list[str], main: set[str],
          offsets: Mapping[tuple[str, str], float]) -> dict[str, float]:
    """Node -> the side its wires lead to below: the mean port offset of the multi-port
    nodes it feeds, or, through nodes off the main path, of what those lead to (so a whole
    side chain knows which side of the main path its merge port is on). `order`: the
    nodes, sources first."""
    succs: dict[str, list[str]] = {nid: [] for nid in doc.nodes}
    for e in doc.edges:
        if e.src in succs and e.dst in succs and e.dst not in succs[e.src]:
            succs[e.src].append(e.dst)
    pull: dict[str, float] = {}
    for nid in reversed(order):
        got = [offsets[(nid, d)] if (nid, d) in offsets else pull.get(d, 0.0)
               for d in succs[nid] if (nid, d) in offsets or d not in main]
        got = [g for g in got if g]
        pull[nid] = sum(got) / len(got) if got else 0.0
    return pull


def main_ports(doc: Document, main: list[str],
               extent: Mapping[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    """Main-path node -> (into, out of): how far right of the node's middle the port its
    main wire enters lies, and how far right of its source's middle the port that wire
    leaves. Ports are spread evenly along a node's sides, so the wire into in_0 of an Add,
    or out of an LSTM's first output, is off the middle. Only nodes that need a move are
    named."""
    out = {}
    for src, dst in zip(main, main[1:], strict=False):
        ins = doc.in_edges(dst)
        wires = [e for e in ins if e.src == src]
        used = max(e.dst_port for e in ins) + 1
        plain = used == 1 and _one_input(doc.nodes[dst].spec)  # most nodes: quick
        count, outputs = 1 if plain else port_count(doc, dst, used), output_count(doc, src)
        into = sum(e.dst_port for e in wires) / len(wires) - (count - 1) / 2
        out_of = sum(e.src_port for e in wires) / len(wires) - (outputs - 1) / 2
        moved = (extent[dst][0] * into / (count + 1), extent[src][0] * out_of / (outputs + 1))
        if any(abs(m) > 1e-9 for m in moved):
            out[dst] = moved
    return out


def _one_input(spec) -> bool:
    """Whether a node of this table entry shows one input port whatever its params."""
    return spec.max_inputs == 1 and spec.keyword_ports is None and not spec.is_merge


def output_count(doc: Document, node_id: str) -> int:
    """How many output ports the node shows (1 where its kind does not say)."""
    node = doc.nodes[node_id]
    try:
        return max(int(node.spec.output_count(node.params)), 1)
    except Exception:  # noqa: BLE001 - unreadable params: drawn with one output
        return 1


def main_in_line(doc: Document, slots, cross: list[dict],
                 moved: Mapping[str, tuple[float, float]]):
    """The centres across of each layer (`cross`), shifted so that the main path comes
    straight down into the port of `main_ports` rather than into the node's middle. A
    wire that leaves its source off the middle (an LSTM's first output) moves the rest of
    the column under that port; a node whose port is off its middle (an Add's in_0) stands
    aside by that much alone, and the layers below it keep to the column: a ResNet's Adds
    would otherwise each carry the column further sideways, a staircase."""
    carry, out = 0.0, []
    for nodes, centres in zip(slots, cross, strict=True):
        main = [moved.get(nid, (0.0, 0.0)) for nid, rank in nodes if rank == 0]
        carry += sum(m[1] for m in main)
        shift = carry - sum(m[0] for m in main)
        out.append({nid: c + shift for nid, c in centres.items()} if shift else centres)
    return out


def port_x(doc: Document, node_id: str, port: int, centre: float, width: float,
           output: bool = False) -> float:
    """Where across the node standing at `centre` its input (or output) `port` is drawn:
    the ports are spread evenly along the node's side."""
    if output:
        count = output_count(doc, node_id)
    else:
        used = max((e.dst_port for e in doc.in_edges(node_id)), default=0) + 1
        count = port_count(doc, node_id, used)
    return centre - width / 2 + width * (port + 1) / (count + 1)


def sideways_gaps(doc: Document, layer: Mapping[str, int], centres: Mapping[str, float],
                  extent: Mapping[str, tuple[float, float]]) -> set[int]:
    """Layers whose gap above needs room for wires that run across in it: a wire between
    two nodes of neighbouring layers that do not stand over each other (it runs across the
    whole gap), or two wires that run across there (out of a node of the layer above, or
    into a node of this one, between ports not in line)."""
    across: dict[int, int] = {}
    out = set()
    for e in doc.edges:
        if e.src not in centres or e.dst not in centres:
            continue
        a = port_x(doc, e.src, e.src_port, centres[e.src], extent[e.src][0], output=True)
        b = port_x(doc, e.dst, e.dst_port, centres[e.dst], extent[e.dst][0])
        if abs(a - b) <= 1.0:
            continue
        below = layer[e.dst]
        across[below] = across.get(below, 0) + 1
        if layer[e.src] + 1 == below:
            if abs(centres[e.src] - centres[e.dst]) >= (extent[e.src][0]
                                                       + extent[e.dst][0]) / 2:
                out.add(below)
        else:
            across[layer[e.src] + 1] = across.get(layer[e.src] + 1, 0) + 1
    return out | {k for k, n in across.items() if n > 1}


def right_detours(doc: Document, layer: Mapping[str, int], centres: Mapping[str, float],
                  extent: Mapping[str, tuple[float, float]], axis: list[float]) -> list[bool]:
    """Per layer, whether a wire passes it on the right of the main path on its way down
    over two or more layers: the canvas takes such a wire around the nodes between on the
    side of its ends' midpoint (a skip into an Add's in_1, the Add standing aside to the
    right). `axis`: the centre of each layer's main-path node."""
    wide = [False] * len(axis)
    for e in doc.edges:
        if e.src in centres and e.dst in centres and layer[e.dst] - layer[e.src] > 1:
            a = port_x(doc, e.src, e.src_port, centres[e.src], extent[e.src][0], output=True)
            b = port_x(doc, e.dst, e.dst_port, centres[e.dst], extent[e.dst][0])
            passed = range(layer[e.src] + 1, layer[e.dst])
            if (a + b) / 2 > sum(axis[i] for i in passed) / len(passed) + 1.0:
                for i in passed:
                    wide[i] = True
    return wide
