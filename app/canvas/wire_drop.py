"""Where a dragged wire lands when it is released off any port's pick area.

A port is picked on the half of its rectangle beyond its node's edge and on a sliver of its
circle inside (`ports.LayerPortItem.shape`), so that a press on the title grabs the node.
That suits a press, but not a drop: a wire released on the lower half of an input port's
drawn circle, a pixel under its centre, fell on the node's title, and NodeGraphQt, finding
no port under the cursor, dropped the wire. A drop aims at the port the user sees, so it
lands on:

- the nearest port of the other kind within `NEAR_PX` screen pixels of the cursor (the drawn
  circle and a margin, however far the view is zoomed);
- failing that, on a node's body: its free input port nearest the cursor (dragged from an
  output), or its output port nearest the cursor (dragged from an input). A node whose inputs
  are all wired takes no wire dropped on its body: replacing one is done on the port itself.

The viewer then makes the connection to that port itself (`CanvasViewer.connect_drop`):
NodeGraphQt takes the first port it finds under the release point, and where two nodes sit
close, one above the other, the upper node's output port reaches over the lower one's input
port, so it would find the port the wire was dragged from and connect nothing.
"""

from __future__ import annotations

import math

from NodeGraphQt.qgraphics.port import PortItem
from PySide6 import QtCore

from .nodes import LayerNodeItem
from .ports import IN, OUT, PORT_HIT_RADIUS, LayerPortItem

NEAR_PX = 12.0  # screen pixels from a port's centre within which a drop lands on it


def _centre(port) -> QtCore.QPointF:
    return port.sceneBoundingRect().center()


def _distance(a: QtCore.QPointF, b: QtCore.QPointF) -> float:
    return math.hypot(a.x() - b.x(), a.y() - b.y())


def drop_port(scene, start: LayerPortItem, pos: QtCore.QPointF, scale: float):
    """The port a wire dragged from `start` lands on when released at scene point `pos`
    (the view at `scale`), as the module says, or None (NodeGraphQt's own pick then
    decides: the port whose pick area is under the cursor, if any)."""
    want = IN if start.port_type == OUT else OUT
    reach = max(PORT_HIT_RADIUS, NEAR_PX / max(scale, 1e-6))
    area = QtCore.QRectF(pos.x() - reach, pos.y() - reach, 2 * reach, 2 * reach)
    near = [(_distance(_centre(item), pos), item) for item in scene.items(area)
            if isinstance(item, LayerPortItem) and item.port_type == want
            and item.node is not start.node and item.opacity() > 0]
    near = [pair for pair in near if pair[0] <= reach]
    if near:
        return min(near, key=lambda pair: pair[0])[1]
    node = _body_under(scene, pos)
    if node is None or node is start.node:
        return None
    ports = node.inputs if want == IN else node.outputs
    if want == IN:
        ports = [port for port in ports if not port.connected_pipes]
    if not ports:
        return None
    return min(ports, key=lambda port: abs(_centre(port).x() - pos.x()))


def _body_under(scene, pos: QtCore.QPointF):
    """The node whose body is at `pos` (no port there), or None."""
    items = scene.items(pos)
    if any(isinstance(item, PortItem) for item in items):
        return None
    return next((item for item in items if isinstance(item, LayerNodeItem)), None)


def refused_drop(scene, start: LayerPortItem, pos: QtCore.QPointF) -> str | None:
    """Why a wire dragged from an output and released on a node's body at `pos` lands
    nowhere: the node's inputs are all wired (a wire is replaced on the port itself).
    None where that is not why (no node there, or the drop found a port)."""
    node = _body_under(scene, pos) if start.port_type == OUT else None
    if node is None or node is start.node or not node.inputs or \
            any(not port.connected_pipes for port in node.inputs):
        return None
    sources = ", ".join(sorted({repr(other.node.name) for port in node.inputs
                                for other in port.connected_ports}))
    ports = ("its input is", "its input port") if len(node.inputs) == 1 else \
        ("its inputs are all", "one of its input ports")
    return (f"Not connected to {node.name!r}: {ports[0]} wired already (from {sources}). "
            f"Drop the wire on {ports[1]} to replace the wire there.")


def nearest_ports_first(items: list, pos: QtCore.QPointF) -> list:
    """`items` (topmost first) with the ports among them reordered nearest `pos` first,
    each other item where it was."""
    ports = [item for item in items if isinstance(item, PortItem)]
    if len(ports) < 2:
        return items
    order = iter(sorted(ports, key=lambda port: _distance(_centre(port), pos)))
    return [next(order) if isinstance(item, PortItem) else item for item in items]
