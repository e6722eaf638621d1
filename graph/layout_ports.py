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
               extent: Mapping[str, tuple[float, float]]) -> dict[str, float]:
    """Main-path node -> how far right of its source's output port the middle of the node
    would stand if the main path's wire into it ran straight down: ports are spread evenly
    along a node's sides, so the wire into in_0 of an Add, or out of an LSTM's first output,
    is off the middle. Only nodes that need a move are named."""
    out = {}
    for src, dst in zip(main, main[1:], strict=False):
        ins = doc.in_edges(dst)
        wires = [e for e in ins if e.src == src]
        used = max(e.dst_port for e in ins) + 1
        plain = used == 1 and _one_input(doc.nodes[dst].spec)  # most nodes: quick
        count, outputs = 1 if plain else port_count(doc, dst, used), output_count(doc, src)
        into = sum(e.dst_port for e in wires) / len(wires) - (count - 1) / 2
        out_of = sum(e.src_port for e in wires) / len(wires) - (outputs - 1) / 2
        moved = (extent[dst][0] * into / (count + 1)
                 - extent[src][0] * out_of / (outputs + 1))
        if abs(moved) > 1e-9:
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


def main_in_line(doc: Document, slots, cross: list[dict], moved: Mapping[str, float]):
    """The centres across of each layer (`cross`), shifted so that the main path comes
    straight down into the port of `main_ports` rather than into the node's middle: its
    node, and every layer below with it, moves by that much the other way (its other
    sources' ports then lie beside the main wire, not under it)."""
    shift, out = 0.0, []
    for nodes, centres in zip(slots, cross, strict=True):
        shift -= sum(moved.get(nid, 0.0) for nid, rank in nodes if rank == 0)
        out.append({nid: c + shift for nid, c in centres.items()} if shift else centres)
    return out
