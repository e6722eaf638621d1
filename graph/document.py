"""The document: nodes with stable ids, edges between ports, outputs, settings.

This is the single source of truth. The methods here are the raw edits: each
checks its arguments, changes the document and emits one event. User gestures
go through `graph.commands`, which wraps these edits into undoable commands.

>>> doc = Document()
>>> x = doc.add_node("Input", params={"shape": [4]})
>>> d = doc.add_node("Dense", params={"units": 2})
>>> doc.connect(Edge(x.id, 0, d.id, 0))
>>> doc.outputs = [d.id]
>>> [n.name for n in doc.topological_order()]
['input', 'dense']
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from . import events as ev
from .document_queries import DocumentQueries
from .document_removal import NodeRemoval, Removal  # noqa: F401 - public here too
from .errors import DocumentError
from .index import GraphIndex, reachable, topological_order  # noqa: F401 - as before
from .layers.shared import call_keyword
from .model_identity import ModelIdentity
from .names import (  # noqa: F401 (their home was here)
    default_name,
    identifier_problem,
    model_name_problem,
    name_problem,
    new_node_name,
)
from .spec import SHARED_CALL, get_spec


@dataclass
class Node:
    """A layer or block on the canvas. `params` holds only values set explicitly."""

    id: str
    kind: str
    name: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def spec(self):
        return get_spec(self.kind)


@dataclass(frozen=True, order=True)
class Edge:
    """A tensor from output port `src_port` of `src` into input port `dst_port` of `dst`."""

    src: str
    src_port: int
    dst: str
    dst_port: int


class Document(ModelIdentity, DocumentQueries, NodeRemoval):
    """Nodes, edges, ordered model outputs, training settings, user blocks and UI state;
    the model's name and dict keys (`model_identity`). Its queries and naming are in
    `document_queries`, the removal of many nodes and its undo in `document_removal`."""

    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self.outputs: list[str] = []
        self.training: dict[str, Any] = {}
        self.ui: dict[str, Any] = {}
        self.blocks: dict[str, Any] = {}
        self.search: dict[str, Any] = {}  # graph.search: read by the search only
        self.weights: dict[str, Any] = {}  # graph.initial_weights: the initial weights' file
        # The model's own identity: its Keras name ("" writes the default name 'model'),
        # and the keys of a model that takes or returns a dict (Input node id -> key,
        # `outputs` entry -> key; entries no longer in the model are ignored).
        self.model_name = ""
        self.input_keys: dict[str, str] = {}
        self.output_keys: dict[str, str] = {}
        self.events = ev.EventEmitter()
        self._next_id = 1
        # Indexes kept by the edits below, so loading and checking stay linear: names to
        # ids, occupied input ports, and the edge index (rebuilt once after edge edits).
        self._by_name: dict[str, str] = {}
        self._taken_ports: set[tuple[str, int]] = set()
        self._index: GraphIndex | None = None
        self._index_key: tuple[int, int] | None = None

    # ---- raw edits (each emits one event) ------------------------------
    def add_node(self, kind: str, name: str | None = None, params: dict | None = None,
                 node_id: str | None = None, index: int | None = None,
                 pos: tuple[float, float] | None = None) -> Node:
        """Add a node (at `index` in the document's order, else last). With `pos`, the node
        is placed there before `NodeAdded` is emitted (a view draws it there at once), and
        `NodeMoved` follows it."""
        spec = get_spec(kind)  # KeyError for unknown kinds
        node_id = node_id or self.new_id()
        if node_id in self.nodes:
            raise DocumentError(f"A node with id {node_id!r} already exists")
        params = copy.deepcopy(params) if params is not None else spec.initial_params()
        if name is None:
            name = self.unique_name(new_node_name(kind, params))
        elif self.find(name) is not None:
            raise DocumentError(f"The name {name!r} is already used by another node")
        node = Node(node_id, spec.kind, name, params)
        graph_index = self._live_index()
        if index is None or index >= len(self.nodes):
            self.nodes[node_id] = node
        else:
            items = list(self.nodes.items())
            items.insert(index, (node_id, node))
            self.nodes = dict(items)
        self._by_name[name] = node_id
        if graph_index is not None:
            graph_index.nodes_changed(self.nodes)
            self._index_took_edit()
        if pos is not None:
            self.ui.setdefault("positions", {})[node_id] = [float(pos[0]), float(pos[1])]
        self.events.emit(ev.NodeAdded(node_id))
        if pos is not None:
            self.events.emit(ev.NodeMoved(node_id, pos))
        return node

    def remove_node(self, node_id: str) -> Node:
        """Remove a node that has no edges left (commands remove its edges first)."""
        node = self.node(node_id)
        graph_index = self.graph_index()
        if graph_index.ins.get(node_id) or graph_index.outs.get(node_id):
            raise DocumentError(f"Node {node.name!r} still has connections")
        del self.nodes[node_id]
        graph_index.nodes_changed(self.nodes)
        self._index_took_edit()
        if self._by_name.get(node.name) == node_id:
            del self._by_name[node.name]
        kept = [o for o in self.outputs if self.output_ref(o)[0] != node_id]
        if kept != self.outputs:
            self.outputs = kept
            self.events.emit(ev.OutputsChanged())
        self.ui.get("positions", {}).pop(node_id, None)
        self.events.emit(ev.NodeRemoved(node_id, node))
        return node

    def connect(self, edge: Edge, index: int | None = None, check_cycle: bool = True) -> None:
        """Add an edge. `check_cycle=False` is for bulk loads that check once at the end."""
        src, dst = self.node(edge.src), self.node(edge.dst)
        spec = dst.spec
        top = spec.max_ports(dst.params)
        if top is not None and edge.dst_port >= top:
            raise DocumentError(f"{dst.name!r} ({dst.kind}) has no input port {edge.dst_port}")
        if edge.dst_port < 0 or edge.src_port < 0:
            raise DocumentError("Port numbers cannot be negative")
        if (edge.dst, edge.dst_port) in self._taken_ports:
            raise DocumentError(
                f"Input port {spec.port_name(edge.dst_port, dst.params)} of {dst.name!r} is "
                "already connected")
        if check_cycle and self.would_cycle(edge):
            raise DocumentError(
                f"Connecting {src.name!r} to {dst.name!r} would make a cycle")
        graph_index = self._live_index()
        size = len(self.edges)  # where list.insert puts it
        at = size if index is None else min(index, size) if index >= 0 else max(size + index, 0)
        self.edges.insert(at, edge)
        self._taken_ports.add((edge.dst, edge.dst_port))
        if graph_index is not None:
            graph_index.edge_added(edge, self.edges, at)
            self._index_took_edit()
        self.events.emit(ev.EdgeAdded(edge.dst, edge))

    def disconnect(self, edge: Edge) -> int:
        """Remove an edge; returns its index so an undo can put it back in place."""
        edges = self.edges
        try:  # the last first: an undo takes back the edges a paste appended, last first
            index = len(edges) - 1 if edges and edges[-1] == edge else edges.index(edge)
        except ValueError:
            raise DocumentError(f"No such connection: {edge}") from None
        graph_index = self._live_index()
        del self.edges[index]
        self._taken_ports.discard((edge.dst, edge.dst_port))
        if graph_index is not None:
            graph_index.edge_removed(edge)
            self._index_took_edit()
        self.events.emit(ev.EdgeRemoved(edge.dst, edge))
        return index

    def set_param(self, node_id: str, name: str, value: Any, checked: bool = True) -> None:
        """Set a param; `value=UNSET` removes it so Keras' default applies. A SharedCall
        also takes its owner's call keywords (`reverse` of a ReversibleEmbedding).
        `checked=False` takes a name the kind has no param for: removing one a file held
        (the fix of an unknown param), and its undo."""
        node = self.node(node_id)
        if checked and (node.kind != SHARED_CALL or not call_keyword(self.nodes, node, name)):
            node.spec.param(name)  # KeyError if the kind has no such param
        old = node.params.get(name, UNSET)
        if value is UNSET:
            node.params.pop(name, None)
        else:
            node.params[name] = copy.deepcopy(value)
        self.events.emit(ev.ParamChanged(node_id, name, old, value))

    def rename(self, node_id: str, name: str) -> None:
        node = self.node(node_id)
        problem = name_problem(name)
        if problem:
            raise DocumentError(problem)
        other = self.find(name)
        if other is not None and other.id != node_id:
            raise DocumentError(f"The name {name!r} is already used by another node")
        old, node.name = node.name, name
        if self._by_name.get(old) == node_id:
            del self._by_name[old]
        self._by_name[name] = node_id
        self.events.emit(ev.NodeRenamed(node_id, old, name))

    def output_ref(self, entry: str) -> tuple[str, int]:
        """The (node id, output port) of an entry of `outputs`: a node id means its port 0,
        `"<node id>:<port>"` a further port (`output_entry` writes it)."""
        if entry in self.nodes or not isinstance(entry, str):
            return entry, 0  # not a node: validation names the entry
        node_id, sep, port = entry.rpartition(":")
        return (node_id, int(port)) if sep and port.isdigit() else (entry, 0)

    def output_refs(self) -> list[tuple[str, int]]:
        return [self.output_ref(o) for o in self.outputs]

    def set_outputs(self, outputs: list[str]) -> None:
        for entry in outputs:
            self.node(self.output_ref(entry)[0])
        if len(set(outputs)) != len(outputs):
            raise DocumentError("A node's output can be listed as a model output only once")
        self.outputs = list(outputs)
        self.events.emit(ev.OutputsChanged())

    def set_position(self, node_id: str, pos: tuple[float, float] | None) -> None:
        positions = self.ui.setdefault("positions", {})
        if pos is None:
            positions.pop(node_id, None)
        else:
            positions[node_id] = [float(pos[0]), float(pos[1])]
        self.events.emit(ev.NodeMoved(node_id, pos))

    def position(self, node_id: str) -> tuple[float, float] | None:
        pos = self.ui.get("positions", {}).get(node_id)
        return (pos[0], pos[1]) if pos else None

    def set_training(self, training: dict) -> None:
        self.training = copy.deepcopy(training)
        self.events.emit(ev.TrainingChanged())

    def set_weights(self, weights: dict) -> None:
        """Set the `weights` section (`graph.initial_weights`); announced as a change of
        the training settings, which it belongs with in the window."""
        self.weights = copy.deepcopy(weights)
        self.events.emit(ev.TrainingChanged())

    def set_search(self, search: dict) -> None:
        self.search = copy.deepcopy(search)
        self.events.emit(ev.SearchChanged())

    def take_contents(self, new: Document) -> None:
        """Hold what `new` holds (a load into an open document), then announce a reset."""
        self.nodes, self.edges, self.outputs = new.nodes, new.edges, new.outputs
        self.training, self.ui, self.blocks = new.training, new.ui, new.blocks
        self.search, self.weights = new.search, new.weights
        self.model_name, self.input_keys = new.model_name, new.input_keys
        self.output_keys = new.output_keys
        self._next_id = new._next_id
        # The indexes (names, taken ports, edges) must follow the contents.
        self._by_name, self._taken_ports = new._by_name, new._taken_ports
        self._index = self._index_key = None
        self.reset()

    def reset(self) -> None:
        """Tell listeners that everything changed (after a load)."""
        self.events.emit(ev.Reset())



class _Unset:
    def __repr__(self) -> str:
        return "UNSET"

    # A singleton: commands deep-copy old values, and a copy must still be `UNSET`.
    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


UNSET: Any = _Unset()


def output_entry(node_id: str, port: int) -> str:
    """The entry of `Document.outputs` for a node's output port (its id for port 0)."""
    return node_id if port == 0 else f"{node_id}:{port}"
