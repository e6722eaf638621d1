"""The document's look-ups (a node by id or name, edges in and out, what lies
downstream, the topological order), its edge index kept current edit by edit, and
the choice of new ids and names. A part of `Document` (`graph.document`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .errors import DocumentError
from .index import GraphIndex, reachable, topological_order

if TYPE_CHECKING:
    from .document import Edge, Node

_NUMBERED = re.compile(r"(.+)_(\d+)")  # a name of a numbered family: conv2_1


class DocumentQueries:
    """Queries, the edge index and naming, over `nodes`, `edges` and the indexes that
    `Document.__init__` sets up."""

    # ---- queries -------------------------------------------------------
    def node(self, node_id: str) -> Node:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise DocumentError(f"No node with id {node_id!r}") from None

    def find(self, name: str) -> Node | None:
        node = self.nodes.get(self._by_name.get(name, ""))
        return node if node is not None and node.name == name else None

    def graph_index(self) -> GraphIndex:
        """The edge index, which the edits below keep current; rebuilt in one pass only when
        the nodes or edges were changed behind their back (a raw `edges.append`)."""
        if self._index is None or self._index_key != self._current_key():
            self._index, self._index_key = GraphIndex.of(self), self._current_key()
        return self._index

    def _current_key(self) -> tuple[int, int, int, int]:
        return id(self.edges), len(self.edges), id(self.nodes), len(self.nodes)

    def _live_index(self) -> GraphIndex | None:
        """The index if it is current (an edit about to be made can update it), else None."""
        if self._index is not None and self._index_key == self._current_key():
            return self._index
        self._index = None
        return None

    def _index_took_edit(self) -> None:
        self._index_key = self._current_key()

    def in_edges(self, node_id: str) -> list[Edge]:
        """Edges into `node_id`, ordered by destination port."""
        return list(self.graph_index().ins.get(node_id, ()))

    def out_edges(self, node_id: str) -> list[Edge]:
        return list(self.graph_index().outs.get(node_id, ()))

    def successors(self, node_id: str) -> list[str]:
        return list(dict.fromkeys(self.graph_index().succ.get(node_id, ())))

    def downstream(self, node_ids) -> set[str]:
        """The given nodes and every node reachable from them."""
        return reachable((n for n in node_ids if n in self.nodes), self.graph_index().succ)

    def would_cycle(self, edge: Edge) -> bool:
        return edge.src == edge.dst or edge.src in self.downstream([edge.dst])

    def topological_order(self) -> list[Node]:
        """Nodes sorted so every edge goes forward; ties keep document order.

        Nodes on a cycle are left out (validation reports them).
        """
        order = topological_order(self.nodes, ((e.src, e.dst) for e in self.edges), stable=True)
        return [self.nodes[nid] for nid in order]

    # ---- naming and ids ------------------------------------------------
    def new_id(self) -> str:
        while f"n{self._next_id}" in self.nodes:
            self._next_id += 1
        return f"n{self._next_id}"

    def unique_name(self, base: str, exclude: str | None = None) -> str:
        def taken(name: str) -> bool:
            node = self.find(name)
            return node is not None and node.id != exclude

        if not taken(base):
            return base
        i = 1
        while taken(f"{base}_{i}"):
            i += 1
        return f"{base}_{i}"

    def next_name(self, name: str) -> str:
        """`name` when free, else the next free name of its family, as Keras numbers layers:
        a copy of `conv2_1` is `conv2_2` (not `conv2_1_1`), of `dense` is `dense_1`.

        >>> from kerascanvas.graph.document import Document
        >>> doc = Document()
        >>> _ = doc.add_node("Dense", "conv2_1"), doc.add_node("Dense", "conv2_2")
        >>> doc.next_name("conv2_1"), doc.next_name("dense"), doc.next_name("conv2")
        ('conv2_3', 'dense', 'conv2')
        """
        if self.find(name) is None:
            return name
        match = _NUMBERED.fullmatch(name)
        stem, digits = match.groups() if match else (name, "")
        i = int(digits) + 1 if digits else 1
        while self.find(candidate := f"{stem}_{i:0{len(digits)}d}") is not None:
            i += 1
        return candidate
