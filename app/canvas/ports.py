"""Ports of canvas nodes: NodeGraphQt `PortItem`s picked on their circle, and the batch
in which moved ports collect their pipes to be drawn once."""

from __future__ import annotations

from NodeGraphQt.constants import ITEM_CACHE_MODE, Z_VAL_PORT, PortEnum, PortTypeEnum
from NodeGraphQt.qgraphics.port import PortItem
from PySide6 import QtCore, QtGui, QtWidgets

from .node_style import OUTPUT_RING_RADIUS, PAD, shared_style


class PipeBatch:
    """While `pipes` is a set, moved ports collect their pipes there instead of redrawing
    them: a layout that moves every node then draws each pipe once, not once per end.
    `moved` then holds each node that moved, with where it was when the batch began."""

    pipes: set | None = None
    moved: dict | None = None
    # Called with a node item and its scene rectangle before its size changed (set by
    # `pipes`, which routes the wires of other nodes that the node now meets or left).
    resized = None


PORT_HIT_RADIUS = 8.0  # the drawn port circle (radius about 7) and a pixel or so around it
# How far into its node a port is picked: a press tests the items in a 5 x 5 area around
# it (`view._items_near`), so one on the node's text (from PAD inside) misses the port
INSIDE_REACH = PAD - 3.0
# NodeGraphQt's port constants, read once (an enum's `.value` is a Python call each time)
PORT_SIZE, IN, OUT = PortEnum.SIZE.value, PortTypeEnum.IN.value, PortTypeEnum.OUT.value
PORT_COLORS = (PortEnum.COLOR.value, PortEnum.BORDER_COLOR.value)


class LayerPortItem(PortItem):
    """A NodeGraphQt port; its node hides it (opacity 0) in a zoomed-out view.

    NodeGraphQt picks a port anywhere in its 37x22 rectangle, half of which lies inside
    the node, over the title: a click on the title started a wire drag instead of selecting
    the node. Our port is picked outside the node on the whole half of its rectangle that
    lies beyond the node's edge (a generous target to drop a wire on), and inside only on
    its circle's first `INSIDE_REACH`, short of the node's text: a press on the title just
    under an input port grabs the node, and a drag moves it, leaving the wire plugged in.
    """

    _shapes: dict[str, QtGui.QPainterPath] = {}
    # NodeGraphQt's port rectangle, the same for every port: Qt asks for it a few times a frame
    _bounds = QtCore.QRectF(0.0, 0.0, PORT_SIZE + PortEnum.CLICK_FALLOFF.value, PORT_SIZE)

    # NodeGraphQt's Python itemChange redraws the port's pipes when it moves. Qt calls it
    # for every change of every port (about 15 as a node is made: a tenth of a 500-node
    # load), so the port keeps Qt's own, and its node redraws the pipes when it moves.
    itemChange = QtWidgets.QGraphicsItem.itemChange

    def __init__(self, parent, name: str, port_type: str):
        # NodeGraphQt's PortItem.__init__, without its flag calls (Qt's defaults already)
        # and its tooltip (set on hover): a port is made per input and output on a load.
        # Put on its node once made: made as the node's child, the node's Python itemChange
        # heard of a child not yet wrapped, and each port took 28 us instead of 8.
        QtWidgets.QGraphicsItem.__init__(self)
        self.setAcceptHoverEvents(True)
        self.setCacheMode(ITEM_CACHE_MODE)
        self.setZValue(Z_VAL_PORT)
        self._pipes, self._hovered, self._locked = [], False, False
        self._width = self._height = PORT_SIZE
        self._color, self._border_color = PORT_COLORS
        self._border_size = 1
        self._name, self._port_type = name, port_type
        self._display_name = False
        self._multi_connection = port_type == OUT
        self.is_model_output = False  # an output port that is one of the model's outputs
        self.tip = ""  # set as the tooltip on hover
        self.setParentItem(parent)

    @property
    def node(self):
        """The node item the port is on (None once taken off it), kept rather than asked of
        Qt as NodeGraphQt does (`parentItem()`, its wrapper looked up each time): a paste of
        a ResNet50 asks it 6,000 times (each wire's ends, each label's wires)."""
        return self._node

    def setParentItem(self, parent):  # noqa: N802 (Qt override)
        self._node = parent
        super().setParentItem(parent)

    def set_model_output(self, on: bool) -> None:
        if on != self.is_model_output:
            self.is_model_output = on
            self.update()

    def paint(self, painter, option, widget):
        super().paint(painter, option, widget)
        if self.is_model_output:  # a green ring, as the model's outputs are marked
            painter.save()
            painter.setRenderHint(QtGui.QPainter.Antialiasing, True)
            painter.setPen(shared_style()["output_port"])
            painter.setBrush(QtCore.Qt.NoBrush)
            center = self._bounds.center()
            painter.drawEllipse(center, OUTPUT_RING_RADIUS, OUTPUT_RING_RADIUS)
            painter.restore()

    def hoverEnterEvent(self, event):  # noqa: N802 (Qt override)
        tip = self.tip + self._wire_shape()
        if self.toolTip() != tip:
            self.setToolTip(tip)
        super().hoverEnterEvent(event)

    def _wire_shape(self) -> str:
        """On an input port, the shape its wire brings (its label's text, as drawn now): a
        wire whose label found no room has its shape named at both its ends, each a larger
        mark to hover than the wire (an output port's `tip` names the shape it sends)."""
        if self._port_type != IN:
            return ""
        texts = [pipe.label.text() for pipe in self._pipes if hasattr(pipe, "label")]
        return f", {texts[0]}" if texts and texts[0] else ""

    def boundingRect(self):  # noqa: N802 (Qt override)
        return self._bounds

    def shape(self):
        path = LayerPortItem._shapes.get(self.port_type)
        if path is None:
            rect = self._bounds
            center = rect.center()
            inward = 1.0 if self.port_type == PortTypeEnum.IN.value else -1.0
            # The half of the rectangle beyond the node's edge, and of the circle no more
            # than INSIDE_REACH inside: the node's text (its title under an input port)
            # begins PAD below the edge, and a press there grabs the node, not the wire.
            outer = center.y() - inward * rect.height() / 2
            edge = center.y() + inward * INSIDE_REACH
            outside, band = QtGui.QPainterPath(), QtGui.QPainterPath()
            outside.addRect(QtCore.QRectF(rect.left(), min(outer, center.y()), rect.width(),
                                          rect.height() / 2))
            band.addRect(QtCore.QRectF(rect.left(), min(outer, edge), rect.width(),
                                       abs(edge - outer)))
            circle = QtGui.QPainterPath()
            circle.addEllipse(center, PORT_HIT_RADIUS, PORT_HIT_RADIUS)
            path = outside.united(circle.intersected(band))
            LayerPortItem._shapes[self.port_type] = path
        return path

    def redraw_connected_pipes(self):
        if PipeBatch.pipes is None:
            super().redraw_connected_pipes()
        else:
            PipeBatch.pipes.update(self.connected_pipes)
