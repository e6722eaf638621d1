"""Removing nodes with their edges in one pass, and putting them back where they were
(the undo of a delete). A part of `Document` (`graph.document`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import events as ev
from .errors import DocumentError

if TYPE_CHECKING:
    from .document import Edge, Node


class NodeRemoval:
    """`remove_nodes` and `restore`, over the document's nodes, edges, outputs, positions
    and indexes."""

    def remove_nodes(self, node_ids) -> Removal:
        """Remove nodes with their edges, in one pass over the edges however many go.

        Emits `EdgeRemoved` for each edge, `OutputsChanged` if a model output went, then
        `NodeRemoved` for each node (the document holds none of them by then). Returns what
        `restore` needs to put them back.
        """
        gone = {self.node(nid).id for nid in node_ids}  # DocumentError for an unknown id
        graph_index = self._live_index()
        nodes = [(place, node) for place, node in enumerate(self.nodes.values())
                 if node.id in gone]
        edges, kept = [], []
        for place, e in enumerate(self.edges):
            if e.src in gone or e.dst in gone:
                edges.append((place, e))
            else:
                kept.append(e)
        self.edges[:] = kept
        positions = self.ui.get("positions", {})
        removal = Removal(nodes, edges, {n: positions.pop(n) for n in gone if n in positions},
                          [(i, o) for i, o in enumerate(self.outputs)
                           if self.output_ref(o)[0] in gone])
        for _, e in edges:
            self._taken_ports.discard((e.dst, e.dst_port))
            if graph_index is not None:
                graph_index.edge_removed(e)
        for _, node in nodes:
            del self.nodes[node.id]
            if self._by_name.get(node.name) == node.id:
                del self._by_name[node.name]
        if graph_index is not None:
            graph_index.nodes_changed(self.nodes)
            self._index_took_edit()
        for _, e in edges:
            self.events.emit(ev.EdgeRemoved(e.dst, e))
        if removal.output_slots:
            self.outputs = [o for o in self.outputs if self.output_ref(o)[0] not in gone]
            self.events.emit(ev.OutputsChanged())
        for _, node in nodes:
            self.events.emit(ev.NodeRemoved(node.id, node))
        return removal

    def restore(self, removal: Removal) -> None:
        """Put back what `remove_nodes` took out, each node, edge, output and position in its
        old place (the undo of a delete). Emits `NodeAdded` for each node, `EdgeAdded` for
        each edge and `OutputsChanged` if a model output came back."""
        for _, node in removal.nodes:
            if node.id in self.nodes or self.find(node.name) is not None:
                raise DocumentError(f"Node {node.id!r} ({node.name!r}) cannot come back: its "
                                    "id or name is taken")
        graph_index = self._live_index()
        items = list(self.nodes.items())
        for place, node in removal.nodes:  # in ascending places: each lands where it was
            items.insert(place, (node.id, node))
            self._by_name[node.name] = node.id
        self.nodes = dict(items)
        for place, e in removal.edges:
            self.edges.insert(place, e)
            self._taken_ports.add((e.dst, e.dst_port))
        if removal.positions:
            self.ui.setdefault("positions", {}).update(removal.positions)
        for slot, entry in removal.output_slots:
            self.outputs.insert(slot, entry)
        if graph_index is not None:
            graph_index.refill(self)
            self._index_took_edit()
        for _, node in removal.nodes:
            self.events.emit(ev.NodeAdded(node.id))
        for _, e in removal.edges:
            self.events.emit(ev.EdgeAdded(e.dst, e))
        if removal.output_slots:
            self.events.emit(ev.OutputsChanged())


@dataclass
class Removal:
    """What `Document.remove_nodes` took out: nodes and edges with their places (in document
    order), the positions, and the model outputs with their slots."""

    nodes: list[tuple[int, Node]]
    edges: list[tuple[int, Edge]]
    positions: dict[str, list[float]]
    output_slots: list[tuple[int, str]]
