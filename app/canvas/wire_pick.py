"""A click on a wire picks the wire (`WirePick`, mixed into the canvas' viewer).

NodeGraphQt takes a press on a wire for the start of a drag of its nearer end off its
port: it lifts the wire and puts it back only where the release comes within 2 px of
the press, so a click whose hand moved 3 px took the wire away. And the viewer took the
click for one on the port at the wire's far end, selecting that node, which Delete then
deleted. A click on a wire (a press and release within the drag distance, no key held)
puts the wire back and selects it alone; Delete takes the selected wires away where no
node is selected (`window.editing`). Escape during a wire drag ends it: no wire is made,
and one lifted off its port goes back.
"""

from __future__ import annotations

import math

from NodeGraphQt.qgraphics.node_abstract import AbstractNodeItem
from NodeGraphQt.qgraphics.pipe import PipeItem
from NodeGraphQt.qgraphics.port import PortItem

from .nodes import LayerNodeItem
from .ports import PORT_HIT_RADIUS


class WirePick:
    """The viewer's part that notes the wire a press lifts and selects it on a click."""

    _picked_wire = None  # (output port, input port) of the wire the last press lifted

    def _note_wire_press(self, event) -> None:
        """Before NodeGraphQt's press: the wire it lifts, if any. It takes the first node,
        port or wire near the press (5 x 5 px), in the scene's order, as here."""
        self._picked_wire = None
        if self._LIVE_PIPE.isVisible() or event.modifiers():
            return
        near = self._items_near(event.scenePos(), None, 5, 5)
        for item in near:
            if isinstance(item, PortItem):
                self._picked_wire = _wire_beside(item, event.scenePos(), near)
                return
            if isinstance(item, AbstractNodeItem):
                return
            if isinstance(item, PipeItem):
                if item.output_port is not None and item.input_port is not None:
                    self._picked_wire = (item.output_port, item.input_port)
                return

    def _wire_clicked(self, event):
        """Before NodeGraphQt's release: the ports of the wire a click (not a drag) lifted,
        else None. NodeGraphQt is then told the pointer did not move, so it puts the wire
        back."""
        wire, self._picked_wire = self._picked_wire, None
        if wire is None or not self._LIVE_PIPE.isVisible() or not self._is_click(event):
            return None
        self._previous_pos = self._origin_pos
        return wire

    def _select_wire(self, wire) -> None:
        """Select the wire between the ports `wire` alone (drawn again from the document
        when the release ended)."""
        out, into = wire
        pipe = next((p for p in into.connected_pipes if p.output_port is out), None)
        if pipe is None:
            return
        nodes = [i for i in self.scene().selectedItems() if isinstance(i, LayerNodeItem)]
        self.scene().clearSelection()
        # The nodes' wires turn plain as they are reported deselected; the picked one is
        # then highlighted as it is selected.
        self.node_selection_changed.emit([], [i.id for i in nodes])
        pipe.setSelected(True)

    def cancel_wiring(self) -> bool:
        """End a wire drag where it is (Escape): nothing is connected or taken away, and a
        wire lifted off its port is drawn again from the document. Whether one was on."""
        if not self._LIVE_PIPE.isVisible():
            return False
        start = self._start_port
        self._detached_port = self._picked_wire = None
        self.end_live_connection()
        if start is not None:
            start.hovered = False
            self.wiring_ended.emit(start.node.id)
        return True

    def selected_wires(self) -> list:
        """The wires selected, with both their ends."""
        return [i for i in self.scene().selectedItems() if isinstance(i, PipeItem)
                and i.output_port is not None and i.input_port is not None]


def _wire_beside(port, pos, near: list):
    """The wire of `port` that a press at `pos` lies on, off the port's circle and outside
    its node, as (output port, input port); else None. A port's pick area reaches half its
    size beyond the node's edge: between two nodes one under the other (a gap of some 20
    screen pixels as a small model opens) those of the two ports cover the whole wire, and
    a click on it selected the node at one end, which Delete then deleted."""
    centre = port.sceneBoundingRect().center()
    if math.hypot(pos.x() - centre.x(), pos.y() - centre.y()) <= PORT_HIT_RADIUS or \
            port.node.sceneBoundingRect().contains(pos):
        return None
    wires = [item for item in near if isinstance(item, PipeItem) and port in
             (item.output_port, item.input_port) and item.output_port is not None
             and item.input_port is not None]
    return (wires[0].output_port, wires[0].input_port) if wires else None
