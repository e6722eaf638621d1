"""Canvas items: a layer node painted in one pass, and its ports.

NodeGraphQt's own node (`BaseNode` + `NodeItem`) builds a model object, a rich
text item, an icon pixmap and a label per port for every node, and costs about
2 ms each: a 500-node project took seconds to open. Our node item derives from
`AbstractNodeItem` (so the viewer still selects, moves and wires it) and paints
its name, kind, parameter count and shape itself. Its ports are NodeGraphQt
`PortItem`s, so the viewer's wiring gestures work unchanged.

A node shows its name and "Kind · N params"; the tensor shape it produces is
written on each wire leaving it (see `pipes`), and in the node only for outputs
that have no wire.

Below `DETAIL_SCALE` (a zoomed-out view) texts and ports are not drawn: a node
is a coloured box and a pipe a thin line, which keeps panning a 1000-node view
fluid.
"""

from __future__ import annotations

import weakref

from NodeGraphQt.constants import (
    ITEM_CACHE_MODE,
    Z_VAL_PORT,
    LayoutDirectionEnum,
    NodeEnum,
    PortEnum,
    PortTypeEnum,
)
from NodeGraphQt.qgraphics.node_abstract import AbstractNodeItem
from NodeGraphQt.qgraphics.port import PortItem
from PySide6 import QtCore, QtGui, QtWidgets

# Palette category -> header stripe colour (muted, readable on the dark canvas).
CATEGORY_COLORS = {
    "Input": (76, 175, 80),
    "Core": (66, 133, 244),
    "Convolution": (0, 172, 193),
    "Pooling": (121, 134, 203),
    "Reshaping": (158, 158, 158),
    "Normalization": (171, 71, 188),
    "Merging": (255, 167, 38),
    "Activation": (239, 83, 80),
    "Recurrent": (141, 110, 99),
    "Attention": (236, 64, 122),
    "Blocks": (255, 202, 40),
}
STATUS_COLORS = {"error": (229, 57, 53), "warning": (255, 179, 0)}
OUTPUT_COLOR = (120, 220, 120)  # the ring around an output port that is a model output
OUTPUT_RING_RADIUS = 9.5  # the mark of a port that is a model output (the port's is 6)
OUTPUT_RING_WIDTH = 2.6
# Selection is blue: wires are orange, warnings amber, errors red and outputs green, so a
# selected node (and its highlighted wires) never reads as a warning.
SELECTION_COLOR = (90, 175, 255)
SELECTION_INSET = 3.5  # a selected node with an issue shows its selection inside the border
NODE_FILL = QtGui.QColor(44, 47, 54)
SELECTED_FAR_TINT = QtGui.QColor(255, 255, 255, 120)  # over a selected node, zoomed out
STRIPE_WIDTH = 5.0
MIN_WIDTH = 150.0
PAD = 4.0
# Added under a node's text, so the last line keeps 2 units clear of what sits on the
# bottom edge (the text ended PAD + 2 above it): an output port's circle (NodeGraphQt
# draws it SIZE / 1.8 wide, with a 1.8 pen), or a model output's green ring, larger.
PORT_ROOM = PortEnum.SIZE.value / 3.6 + 0.9 + 2.0 - (PAD + 2.0)
RING_ROOM = OUTPUT_RING_RADIUS + OUTPUT_RING_WIDTH / 2 + 2.0 - (PAD + 2.0)
DETAIL_SCALE = 0.35  # below this view scale, text is unreadable: draw boxes only
NODE_TYPE = "kerascanvas.LayerNode"

_STYLE: dict = {}


def _style() -> dict:
    """Fonts, metrics and pens shared by all node items (made once, on first use)."""
    if not _STYLE:
        title = QtGui.QFont()
        title.setPointSizeF(10.0)
        title.setBold(True)
        small = QtGui.QFont()
        small.setPointSizeF(7.5)
        mono = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.FixedFont)
        mono.setPointSizeF(8.5)
        label = QtGui.QFont(mono)
        label.setPointSizeF(8.0)
        fonts = {"title": title, "small": small, "mono": mono, "label": label}
        _STYLE.update(fonts=fonts, metrics={k: QtGui.QFontMetricsF(f) for k, f in fonts.items()},
                      colors={"title": QtGui.QColor(236, 239, 244),
                              "small": QtGui.QColor(175, 180, 190),
                              "mono": QtGui.QColor(130, 210, 255),
                              "label": QtGui.QColor(150, 200, 235)},
                      border=QtGui.QPen(QtGui.QColor(90, 95, 105), 1.0),
                      selected=QtGui.QPen(QtGui.QColor(*SELECTION_COLOR), 2.4),
                      selected_far=_cosmetic_pen(SELECTION_COLOR, 3.0),
                      output_port=QtGui.QPen(QtGui.QColor(*OUTPUT_COLOR), OUTPUT_RING_WIDTH),
                      status={k: QtGui.QPen(QtGui.QColor(*c), 2.6)
                              for k, c in STATUS_COLORS.items()})
    return _STYLE


def _cosmetic_pen(rgb, width: float) -> QtGui.QPen:
    """A pen `width` screen pixels wide at any zoom."""
    pen = QtGui.QPen(QtGui.QColor(*rgb), width)
    pen.setCosmetic(True)
    pen.setJoinStyle(QtCore.Qt.MiterJoin)
    return pen


def node_fonts() -> dict[str, QtGui.QFont]:
    """The fonts of a node's lines by key: title, small, mono, label."""
    return _style()["fonts"]


def node_size(lines: list[tuple[str, str]], ports: int = 1,
              ring: bool = False) -> tuple[float, float]:
    """(width, height) of a node drawing `lines` ((font key, text) pairs) and `ports` ports
    on its widest side: the canvas and the exported picture draw nodes the same size.
    The text keeps clear of the output ports on the bottom edge, and of the green ring
    a model output's port has with `ring`."""
    metrics = _style()["metrics"]
    width = max(_advance(k, t) for k, t in lines) + 4 * PAD + STRIPE_WIDTH
    width = max(width, ports * 24.0, MIN_WIDTH)
    height = sum(metrics[k].height() for k, _ in lines) + 2 * PAD + 4.0
    return width, height + (RING_ROOM if ring else PORT_ROOM)


_ADVANCES: dict[tuple[str, str], float] = {}
ADVANCES_KEPT = 4096


def _advance(key: str, text: str) -> float:
    """The width of `text` in the font `key`: kept, since a node measures its name when
    made and again with its other lines, and most kinds and shapes repeat across nodes."""
    width = _ADVANCES.get((key, text))
    if width is None:
        if len(_ADVANCES) >= ADVANCES_KEPT:
            _ADVANCES.clear()
        width = _ADVANCES[(key, text)] = _style()["metrics"][key].horizontalAdvance(text)
    return width


def text_rects(lines: list[tuple[str, str]], width: float) -> list[QtCore.QRectF]:
    """Where each line of a node `width` wide is drawn (centred in its rectangle)."""
    metrics, rects, y = _style()["metrics"], [], PAD
    for key, _ in lines:
        height = metrics[key].height()
        rects.append(QtCore.QRectF(STRIPE_WIDTH + PAD, y, width - STRIPE_WIDTH - 2 * PAD,
                                   height))
        y += height + (2.0 if key == "title" else 0.0)
    return rects


def port_x(width: float, count: int, index: int) -> float:
    """The x of port `index` of `count` along a node side `width` wide (evenly spaced)."""
    return width / (count + 1) * (index + 1)


class PipeBatch:
    """While `pipes` is a set, moved ports collect their pipes there instead of redrawing
    them: a layout that moves every node then draws each pipe once, not once per end.
    `moved` then holds each node that moved, with where it was when the batch began."""

    pipes: set | None = None
    moved: dict | None = None


_MOVED = QtWidgets.QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged
_MOVING = QtWidgets.QGraphicsItem.GraphicsItemChange.ItemPositionChange
_SCENE = QtWidgets.QGraphicsItem.GraphicsItemChange.ItemSceneChange
PORT_HIT_RADIUS = 8.0  # the drawn port circle (radius about 7) and a pixel or so around it


class LayerPortItem(PortItem):
    """A NodeGraphQt port; its node hides it (opacity 0) in a zoomed-out view.

    NodeGraphQt picks a port anywhere in its 37x22 rectangle, half of which lies inside
    the node, over the title: a click on the title started a wire drag instead of selecting
    the node. Our port is picked on its circle, and outside the node on the whole half of
    its rectangle that lies beyond the node's edge (a generous target to drop a wire on).
    """

    _shapes: dict[str, QtGui.QPainterPath] = {}

    # NodeGraphQt's Python itemChange redraws the port's pipes when it moves. Qt calls it
    # for every change of every port (about 15 as a node is made: a tenth of a 500-node
    # load), so the port keeps Qt's own, and its node redraws the pipes when it moves.
    itemChange = QtWidgets.QGraphicsItem.itemChange

    def __init__(self, parent, name: str, port_type: str):
        # NodeGraphQt's PortItem.__init__, without its flag calls (Qt's defaults already)
        # and its tooltip (set on hover): a port is made per input and output on a load.
        QtWidgets.QGraphicsItem.__init__(self, parent)
        self.setAcceptHoverEvents(True)
        self.setCacheMode(ITEM_CACHE_MODE)
        self.setZValue(Z_VAL_PORT)
        self._pipes, self._hovered, self._locked = [], False, False
        self._width = self._height = PortEnum.SIZE.value
        self._color, self._border_color = PortEnum.COLOR.value, PortEnum.BORDER_COLOR.value
        self._border_size = 1
        self._name, self._port_type = name, port_type
        self._display_name = False
        self._multi_connection = port_type == PortTypeEnum.OUT.value
        self._bounds = super().boundingRect()  # fixed size: Qt asks for it a few times a frame
        self.is_model_output = False  # an output port that is one of the model's outputs
        self.tip = ""  # set as the tooltip on hover

    def set_model_output(self, on: bool) -> None:
        if on != self.is_model_output:
            self.is_model_output = on
            self.update()

    def paint(self, painter, option, widget):
        super().paint(painter, option, widget)
        if self.is_model_output:  # a green ring, as the model's outputs are marked
            painter.save()
            painter.setRenderHint(QtGui.QPainter.Antialiasing, True)
            painter.setPen(_style()["output_port"])
            painter.setBrush(QtCore.Qt.NoBrush)
            center = self._bounds.center()
            painter.drawEllipse(center, OUTPUT_RING_RADIUS, OUTPUT_RING_RADIUS)
            painter.restore()

    def hoverEnterEvent(self, event):  # noqa: N802 (Qt override)
        if self.toolTip() != self.tip:
            self.setToolTip(self.tip)
        super().hoverEnterEvent(event)

    def boundingRect(self):  # noqa: N802 (Qt override)
        return self._bounds

    def shape(self):
        path = LayerPortItem._shapes.get(self.port_type)
        if path is None:
            rect = self._bounds
            center = rect.center()
            path = QtGui.QPainterPath()
            path.addEllipse(center, PORT_HIT_RADIUS, PORT_HIT_RADIUS)
            outside = QtGui.QPainterPath()
            top = rect.top() if self.port_type == PortTypeEnum.IN.value else center.y()
            outside.addRect(QtCore.QRectF(rect.left(), top, rect.width(), rect.height() / 2))
            path = LayerPortItem._shapes[self.port_type] = path.united(outside)
        return path

    def redraw_connected_pipes(self):
        if PipeBatch.pipes is None:
            super().redraw_connected_pipes()
        else:
            PipeBatch.pipes.update(self.connected_pipes)


class LayerNodeItem(AbstractNodeItem):
    """One layer or block: a category stripe, three lines of text and a status border.

    `id` is the document's node id. Lines: name, "Kind · N params", and the output
    shape(s) when `show_shape` (an output without a wire to carry its label).
    """

    # scene -> how many node items it holds (has a drag moved them all?)
    in_scene: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def __init__(self, node_id: str, name: str, stripe=(158, 158, 158)):
        super().__init__(name)
        self._properties["id"] = node_id
        self._properties["type_"] = NODE_TYPE
        self._properties["layout_direction"] = LayoutDirectionEnum.VERTICAL.value
        self.setAcceptHoverEvents(True)
        self.setFlag(QtWidgets.QGraphicsItem.ItemSendsGeometryChanges, True)  # see itemChange
        self.stripe = QtGui.QColor(*stripe)
        self.header = QtGui.QColor(*stripe, 70)
        self.subtitle = ""
        self.shape_text = ""
        self.show_shape = True
        self.status = None  # None, "error" or "warning"
        self.output_ports: frozenset[int] = frozenset()  # those that are model outputs
        self.tip = ""
        self.inputs: list[LayerPortItem] = []
        self.outputs: list[LayerPortItem] = []
        self._detail = True
        self._rect = QtCore.QRectF()
        self.resize()

    # ---- content ------------------------------------------------------
    def set_texts(self, name: str, subtitle: str, shape: str, show_shape: bool = True) -> None:
        """Set the lines; resizes (and moves the ports) only when the size changes."""
        if (name, subtitle, shape, show_shape) == (self.name, self.subtitle, self.shape_text,
                                                   self.show_shape):
            return
        self._properties["name"] = name
        self.subtitle, self.shape_text, self.show_shape = subtitle, shape, show_shape
        self.resize()

    def _lines(self) -> list[tuple[str, str]]:
        lines = [("title", self.name), ("small", self.subtitle)]
        return lines + [("mono", self.shape_text)] if self.show_shape else lines

    def set_ports(self, inputs: list[str], outputs: int) -> None:
        """Make the ports match: input names in order, then `outputs` output ports."""
        for port in self.inputs[len(inputs):] + self.outputs[outputs:]:
            for pipe in list(port.connected_pipes):
                pipe.delete()
            port.setParentItem(None)
            if port.scene() is not None:
                port.scene().removeItem(port)
        del self.inputs[len(inputs):], self.outputs[outputs:]
        for port, name in zip(self.inputs, inputs, strict=False):
            port.name = name
        self.inputs += [self._new_port(n, PortTypeEnum.IN.value) for n in inputs[len(self.inputs):]]
        self.outputs += [self._new_port(f"out_{i}", PortTypeEnum.OUT.value)
                         for i in range(len(self.outputs), outputs)]
        self.set_output_ports(self.output_ports)
        self.align_ports()

    def set_output_ports(self, ports) -> None:
        """Mark the output ports that are model outputs (by index)."""
        ring = bool(self.output_ports)
        self.output_ports = frozenset(ports)
        for index, port in enumerate(self.outputs):
            port.set_model_output(index in self.output_ports)
        if ring != bool(self.output_ports):
            self.resize()  # room for the ring under the text, or none

    def _new_port(self, name: str, port_type: str) -> LayerPortItem:
        port = LayerPortItem(self, name, port_type)
        port.setOpacity(1.0 if self._detail else 0.0)
        return port

    def resize(self) -> None:
        ports = max(len(self.inputs), len(self.outputs), 1)
        width, height = node_size(self._lines(), ports, ring=bool(self.output_ports))
        if (width, height) != (self._width, self._height):
            self.prepareGeometryChange()
            self._width, self._height = width, height
            self._rect = QtCore.QRectF(0.0, 0.0, width, height)
            self.align_ports()
        self.update()

    def align_ports(self) -> None:
        for ports, y in ((self.inputs, 0.0), (self.outputs, self._height)):
            for i, port in enumerate(ports):
                rect = port.boundingRect()
                x = port_x(self._width, len(ports), i)
                port.setPos(x - rect.width() / 2, y - rect.height() / 2)
        self.redraw_pipes()

    def redraw_pipes(self) -> None:
        """Redraw the pipes of every port (after the node or its ports moved)."""
        for port in self.inputs + self.outputs:
            if port.connected_pipes:
                port.redraw_connected_pipes()

    def set_detail(self, detail: bool) -> None:
        """Show or hide the ports (zoomed out they are too small to use)."""
        if detail != self._detail:
            self._detail = detail
            for port in self.inputs + self.outputs:
                port.setOpacity(1.0 if detail else 0.0)

    def draw_node(self):
        self.resize()

    # ---- Qt overrides ---------------------------------------------------
    def boundingRect(self):  # noqa: N802 (Qt override)
        return self._rect

    def itemChange(self, change, value):  # noqa: N802 (Qt override)
        # In place of the ports' own (see LayerPortItem): a moved node redraws its pipes.
        if change == _MOVED:
            self.redraw_pipes()
        elif change == _MOVING and PipeBatch.moved is not None and self not in PipeBatch.moved:
            # An item not yet in the scene is placed, not moved: it appears where it is put
            # (from the origin, a paste's 177 new nodes made every other wire route again).
            PipeBatch.moved[self] = self.pos() if self.scene() is not None else value
        elif change == _SCENE:
            counts = LayerNodeItem.in_scene
            if self.scene() is not None:
                counts[self.scene()] = counts.get(self.scene(), 1) - 1
            if value is not None:
                counts[value] = counts.get(value, 0) + 1
        return super().itemChange(change, value)

    def hoverEnterEvent(self, event):  # noqa: N802 (Qt override)
        # Set on hover only: setToolTip on every redraw was a large share of a load.
        if self.toolTip() != self.tip:
            self.setToolTip(self.tip)
        super().hoverEnterEvent(event)

    def mouseDoubleClickEvent(self, event):  # noqa: N802 (Qt override)
        viewer = self.viewer()
        if viewer is not None and event.button() == QtCore.Qt.LeftButton:
            viewer.node_double_clicked.emit(self.id)
        super().mouseDoubleClickEvent(event)

    def paint(self, painter, option, widget):
        rect = self._rect
        if option.levelOfDetailFromTransform(painter.worldTransform()) < DETAIL_SCALE:
            self._paint_far(painter, rect)
            return
        self._paint_body(painter, rect.adjusted(1.0, 1.0, -1.0, -1.0))
        self._paint_texts(painter)

    def _paint_far(self, painter, rect) -> None:
        """Zoomed out: a box in the node's colour (its status' when it has an issue); a
        selected one lighter and framed in the selection's blue, a few pixels wide at any
        zoom (box-selecting part of a large graph showed nothing chosen)."""
        painter.fillRect(rect, self.stripe if not self.status else
                         QtGui.QColor(*STATUS_COLORS[self.status]))
        if self.isSelected():
            painter.fillRect(rect, SELECTED_FAR_TINT)
            painter.setPen(_style()["selected_far"])
            painter.setBrush(QtCore.Qt.NoBrush)
            inset = 1.5 / max(painter.worldTransform().m11(), 1e-6)  # inside its bounds
            painter.drawRect(rect.adjusted(inset, inset, -inset, -inset))

    def _paint_body(self, painter, rect) -> None:
        style, radius = _style(), 5.0
        painter.setPen(QtCore.Qt.NoPen)
        painter.setBrush(NODE_FILL)
        painter.drawRoundedRect(rect, radius, radius)
        header = style["metrics"]["title"].height() + PAD + 2.0
        painter.setBrush(self.header)
        painter.drawRoundedRect(QtCore.QRectF(rect.x(), rect.y(), rect.width(), header),
                                radius, radius)
        painter.fillRect(QtCore.QRectF(rect.x(), rect.y() + radius, STRIPE_WIDTH,
                                       rect.height() - 2 * radius), self.stripe)
        if self.isSelected():
            painter.setBrush(QtGui.QColor(*NodeEnum.SELECTED_COLOR.value))
            painter.drawRoundedRect(rect, radius, radius)
        painter.setBrush(QtCore.Qt.NoBrush)
        painter.setPen(self._border_pen())
        painter.drawRoundedRect(rect, radius, radius)
        if self.isSelected() and self.status in STATUS_COLORS:  # both: selection inside
            painter.setPen(style["selected"])
            inner = rect.adjusted(SELECTION_INSET, SELECTION_INSET, -SELECTION_INSET,
                                  -SELECTION_INSET)
            painter.drawRoundedRect(inner, radius - 1.0, radius - 1.0)

    def _paint_texts(self, painter) -> None:
        style, lines = _style(), self._lines()
        for (key, text), rect in zip(lines, text_rects(lines, self._width), strict=True):
            painter.setFont(style["fonts"][key])
            painter.setPen(style["colors"][key])
            painter.drawText(rect, QtCore.Qt.AlignCenter, text)

    def text_rects(self) -> list[QtCore.QRectF]:
        """Where the lines are drawn, in the node's coordinates."""
        return text_rects(self._lines(), self._width)

    def _border_pen(self) -> QtGui.QPen:
        style = _style()
        if self.status in STATUS_COLORS:
            return style["status"][self.status]
        if self.isSelected():
            return style["selected"]
        return style["border"]

    def highlight_pipes(self) -> None:
        """Highlight the pipes of a selected node (plain again once neither end is selected)."""
        highlight_wires([self])


def highlight_wires(items) -> None:
    """The wires of the node `items` in the selection's colour where an end is selected,
    plain where neither is. Each wire is looked at once (a paste that changed the selection
    from 177 nodes to 177 others visited every wire twice, from both ends), and restyled
    only when its look changes: a reset also places its arrow again (531 passes and 384
    resets took 0.4 s of that paste)."""
    pipes = {pipe for item in items for port in item.inputs + item.outputs
             for pipe in port.connected_pipes}
    for pipe in pipes:
        wanted = any(port is not None and port.node.isSelected()
                     for port in (pipe.input_port, pipe.output_port))
        if pipe._active or pipe._highlight != wanted:  # hovered, or the other look
            pipe.highlight() if wanted else pipe.reset()
