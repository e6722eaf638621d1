"""What the canvas' viewer selects on a click and what it reports (`SelectionFollow`, mixed
into `view.CanvasViewer`), and the wires that follow the selection.

NodeGraphQt's press and release left the selection as Qt's scene made it after its own
handling: a press that starts a wire drag deselected everything, a click with Ctrl or
Shift acted on every node within 10 px of the cursor, and the selection was reported
before the release changed it. These methods set it right and report what changed.
"""

from __future__ import annotations

from NodeGraphQt.qgraphics.node_abstract import AbstractNodeItem

from .nodes import LayerNodeItem, highlight_wires
from .pipes import LayerPipeItem


class SelectionFollow:
    """The viewer's part that keeps, toggles and reports the selection on a click, and
    highlights the wires of what is selected (held during an edit made in one go)."""

    _selection_held = 0  # > 0: wires follow the selection when the hold ends
    _selection_stale = False
    _selected_pipes: frozenset | set = frozenset()  # replaced, never changed in place

    def _click_select(self, node) -> None:
        """A plain click: the node alone is selected (with Shift or Ctrl, NodeGraphQt's
        press already toggled or deselected what lies under the cursor)."""
        changed = [item for item in self.scene().selectedItems() if item is not node]
        for item in changed:
            item.setSelected(False)
        node.setSelected(True)  # their wires follow, as after any other click
        highlight_wires([i for i in [*changed, node] if isinstance(i, LayerNodeItem)])
        # NodeGraphQt reported the selection before this click made it: the properties
        # panel kept showing the node selected before.
        self.node_selection_changed.emit(
            [node.id], [i.id for i in changed if isinstance(i, LayerNodeItem)])

    def _modifier_click(self, event, kept: list) -> None:
        """Ctrl+click toggles the node under the cursor, Shift+click adds it; the rest of
        the selection stays. (NodeGraphQt's press deselected on Ctrl, toggled on Shift, and
        did so to every node within 10 px of the cursor.)"""
        if self._LIVE_PIPE.isVisible():  # Shift on a wire: NodeGraphQt started a new one
            return
        self._keep_selection(kept)
        node = self._node_at(self.mapToScene(event.position().toPoint()))
        if node is not None:
            node.setSelected(not node.isSelected() if self.CTRL_state else True)

    def _node_at(self, pos):
        """The node drawn at the scene point `pos` (a port or a label of it counts)."""
        for item in self.scene().items(pos):
            while item is not None and not isinstance(item, AbstractNodeItem):
                item = item.parentItem()
            if item is not None:
                return item
        return None

    def _keep_selection(self, kept: list) -> None:
        """A press that starts a wire drag leaves the selection as it was: Qt's scene went on
        to deselect everything (or to select the node under the port) after NodeGraphQt had
        started the wire. A click that ends the drag still selects the port's node
        (`_click_select`)."""
        for item in self.scene().selectedItems():
            if item not in kept:
                item.setSelected(False)
        for item in kept:
            item.setSelected(True)

    def _report_late_selection(self, before: set) -> None:
        """NodeGraphQt reports the selection before handing the release to Qt, and Qt's
        release is where a plain click on one node of a selection deselects the others:
        after Ctrl+A and a click on one node, the properties panel kept the whole
        selection and every wire stayed highlighted. Report what the release changed."""
        after = set(self.selected_nodes())
        if after != before:  # the canvas highlights the wires of the nodes named
            self.node_selection_changed.emit([i.id for i in after - before],
                                             [i.id for i in before - after])

    # Qt reports each item selected, deselected or removed while selected on its own, and
    # each report looks at every selected item: Ctrl+A, or a delete of all of a 354-node
    # graph, cost n such looks (0.4 s). An edit or a selection made in one go holds them.
    def hold_selection(self) -> None:
        """Wires stop following the selection until `release_selection` (calls pair up)."""
        self._selection_held += 1

    def release_selection(self) -> None:
        """Wires follow the selection again, once for every change made while held."""
        self._selection_held -= 1
        if not self._selection_held and self._selection_stale:
            self._on_scene_selection_changed()

    def _on_scene_selection_changed(self) -> None:
        """Selected wires are highlighted, and plain again once deselected."""
        self._selection_stale = bool(self._selection_held)
        if self._selection_held:
            return
        selected = {i for i in self.scene().selectedItems() if isinstance(i, LayerPipeItem)}
        for pipe in selected ^ self._selected_pipes:
            pipe.follow_selection()
        self._selected_pipes = selected
