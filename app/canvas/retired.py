"""Items of removed nodes, kept for the undo that brings the nodes back.

A delete of many nodes and its undo made and dropped an item for each node and each
wire, and the undo drew every text, routed every wire and placed every label again
(most of undoing a delete of a whole ResNet50). The canvas keeps the items that the
last edit removed, out of the scene, with the wires between two of them; when a node
comes back as the same kind, its item returns as it was drawn, and so does each kept
wire whose two nodes are back and which the document still has.
"""

from __future__ import annotations

from collections.abc import Callable

from .nodes import LayerNodeItem, highlight_wires


class RetiredItems:
    """Node id -> (item, its node's kind, what the renderer knew it showed)."""

    def __init__(self) -> None:
        self.items: dict[str, tuple[LayerNodeItem, str, tuple | None]] = {}
        self.edit = 0  # the edit that removed them

    def keep(self, edit: int, node_id: str, item: LayerNodeItem, kind: str,
             shown: tuple | None) -> None:
        """Keep an item that `edit` removed; the items of earlier edits go."""
        if edit != self.edit:
            self.clear()
            self.edit = edit
        item.setSelected(False)  # a node comes back unselected, as a new item would be
        self.items[node_id] = (item, kind, shown)

    def take(self, node_id: str, kind: str) -> tuple[LayerNodeItem, tuple | None] | None:
        """The kept item of `node_id` and what it shows, or None (none kept, or the node
        came back as another kind: another stripe)."""
        item, was, shown = self.items.pop(node_id, (None, None, None))
        return None if item is None or was != kind else (item, shown)

    def clear(self) -> None:
        for item, _, _ in self.items.values():
            for pipe in wires(item):
                pipe.delete()
        self.items.clear()

    def settle(self, pipes) -> None:
        """At the end of an edit that removed nodes: a wire between two kept items leaves
        the scene with them; one with a live end is deleted; one between two live items
        is left to the canvas' wiring."""
        kept = {item for item, _, _ in self.items.values()}
        for pipe in pipes:
            ends = (pipe.output_port.node, pipe.input_port.node)
            if all(n.scene() is not None for n in ends):
                continue
            if all(n in kept and n.scene() is None for n in ends):
                if pipe.scene() is not None:
                    pipe.scene().removeItem(pipe)
            else:
                pipe.delete()


def wires(item: LayerNodeItem) -> list:
    """The pipes at the item's ports."""
    return [pipe for port in item.inputs + item.outputs for pipe in port.connected_pipes]


def bring_back_wires(items, wanted: Callable, detail: bool, labels: bool) -> None:
    """Put the kept wires of items that came back into the scene, where both ends are back
    and `wanted(pipe)` (the document has the edge); delete the others."""
    for item in items:
        scene = item.scene()
        for pipe in wires(item):
            if pipe.scene() is not None:
                continue
            ends = (pipe.output_port.node, pipe.input_port.node)
            if scene is None or any(n.scene() is not scene for n in ends):
                continue  # its other node is still away (kept): the wire waits with it
            if wanted(pipe):
                scene.addItem(pipe)
                pipe._dir_pointer.setOpacity(1.0 if detail else 0.0)
                pipe.label.setVisible(labels)
            else:
                pipe.delete()
    highlight_wires(items)  # the look of their ends' selection, restyled only if it changed
