"""Canvas items: a layer node painted in one pass, its ports, and the pipes between them.

NodeGraphQt's own node (`BaseNode` + `NodeItem`) builds a model object, a rich
text item, an icon pixmap and a label per port for every node, and costs about
2 ms each: a 500-node project took seconds to open. Our node item derives from
`AbstractNodeItem` (so the viewer still selects, moves and wires it) and paints
its name, kind, parameter count and shape itself. Its ports are NodeGraphQt
`PortItem`s, so the viewer's wiring gestures work unchanged.

Below `DETAIL_SCALE` (a zoomed-out view) texts and ports are not drawn: a node
is a coloured box and a pipe a thin line, which keeps panning a 1000-node view
fluid.
"""

from __future__ import annotations

from NodeGraphQt.constants import LayoutDirectionEnum, NodeEnum, PortTypeEnum
from NodeGraphQt.qgraphics.node_abstract import AbstractNodeItem
from NodeGraphQt.qgraphics.pipe import PipeItem
from NodeGraphQt.qgraphics.port import PortItem
from PySide6 import QtCore, QtGui

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
NODE_FILL = QtGui.QColor(44, 47, 54)
STRIPE_WIDTH = 5.0
MIN_WIDTH = 150.0
PAD = 6.0
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
        small.setPointSizeF(8.0)
        mono = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.FixedFont)
        mono.setPointSizeF(8.5)
        fonts = {"title": title, "small": small, "mono": mono}
        _STYLE.update(fonts=fonts, metrics={k: QtGui.QFontMetricsF(f) for k, f in fonts.items()},
                      colors={"title": QtGui.QColor(236, 239, 244),
                              "small": QtGui.QColor(175, 180, 190),
                              "mono": QtGui.QColor(130, 210, 255)},
                      border=QtGui.QPen(QtGui.QColor(90, 95, 105), 1.0),
                      selected=QtGui.QPen(QtGui.QColor(*NodeEnum.SELECTED_BORDER_COLOR.value),
                                          2.0),
                      output=QtGui.QPen(QtGui.QColor(120, 200, 120), 1.6),
                      status={k: QtGui.QPen(QtGui.QColor(*c), 2.6)
                              for k, c in STATUS_COLORS.items()})
    return _STYLE


class LayerPortItem(PortItem):
    """A NodeGraphQt port; its node hides it (opacity 0) in a zoomed-out view."""

    def __init__(self, parent, name: str, port_type: str):
        super().__init__(parent)
        self.name = name
        self.port_type = port_type
        self.display_name = False
        self.multi_connection = port_type == PortTypeEnum.OUT.value


class LayerNodeItem(AbstractNodeItem):
    """One layer or block: a category stripe, three lines of text and a status border.

    `id` is the document's node id. Lines: name, "Kind · N params", output shape(s).
    """

    def __init__(self, node_id: str, name: str, stripe=(158, 158, 158)):
        super().__init__(name)
        self._properties["id"] = node_id
        self._properties["type_"] = NODE_TYPE
        self._properties["layout_direction"] = LayoutDirectionEnum.VERTICAL.value
        self.setAcceptHoverEvents(True)
        self.stripe = QtGui.QColor(*stripe)
        self.header = QtGui.QColor(*stripe, 70)
        self.subtitle = ""
        self.shape_text = ""
        self.status = None  # None, "error" or "warning"
        self.is_output = False
        self.tip = ""
        self.inputs: list[LayerPortItem] = []
        self.outputs: list[LayerPortItem] = []
        self._detail = True
        self._rect = QtCore.QRectF()
        self.resize()

    # ---- content ------------------------------------------------------
    def set_texts(self, name: str, subtitle: str, shape: str) -> None:
        """Set the three lines; resizes (and moves the ports) only when the width changes."""
        if (name, subtitle, shape) == (self.name, self.subtitle, self.shape_text):
            return
        self._properties["name"] = name
        self.subtitle, self.shape_text = subtitle, shape
        self.resize()

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
        self.align_ports()

    def _new_port(self, name: str, port_type: str) -> LayerPortItem:
        port = LayerPortItem(self, name, port_type)
        port.setOpacity(1.0 if self._detail else 0.0)
        return port

    def resize(self) -> None:
        style = _style()
        m = style["metrics"]
        width = max(m["title"].horizontalAdvance(self.name),
                    m["small"].horizontalAdvance(self.subtitle),
                    m["mono"].horizontalAdvance(self.shape_text)) + 4 * PAD + STRIPE_WIDTH
        ports = max(len(self.inputs), len(self.outputs), 1) * 24.0
        width = max(width, ports, MIN_WIDTH)
        height = sum(m[k].height() for k in ("title", "small", "mono")) + 2 * PAD + 4.0
        if (width, height) != (self._width, self._height):
            self.prepareGeometryChange()
            self._width, self._height = width, height
            self._rect = QtCore.QRectF(0.0, 0.0, width, height)
            self.align_ports()
        self.update()

    def align_ports(self) -> None:
        for ports, y in ((self.inputs, 0.0), (self.outputs, self._height)):
            step = self._width / (len(ports) + 1)
            for i, port in enumerate(ports, 1):
                rect = port.boundingRect()
                port.setPos(step * i - rect.width() / 2, y - rect.height() / 2)

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
            painter.fillRect(rect, self.stripe if not self.status else
                             QtGui.QColor(*STATUS_COLORS[self.status]))
            return
        self._paint_body(painter, rect.adjusted(1.0, 1.0, -1.0, -1.0))
        self._paint_texts(painter)

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

    def _paint_texts(self, painter) -> None:
        style = _style()
        left = STRIPE_WIDTH + PAD
        width = self._width - left - PAD
        y = PAD
        for key, text in (("title", self.name), ("small", self.subtitle),
                          ("mono", self.shape_text)):
            height = style["metrics"][key].height()
            painter.setFont(style["fonts"][key])
            painter.setPen(style["colors"][key])
            painter.drawText(QtCore.QRectF(left, y, width, height), QtCore.Qt.AlignCenter, text)
            y += height + (2.0 if key == "title" else 0.0)

    def _border_pen(self) -> QtGui.QPen:
        style = _style()
        if self.status in STATUS_COLORS:
            return style["status"][self.status]
        if self.isSelected():
            return style["selected"]
        return style["output"] if self.is_output else style["border"]

    def highlight_pipes(self) -> None:
        """Highlight the pipes of a selected node (plain again once neither end is selected)."""
        for port in self.inputs + self.outputs:
            for pipe in port.connected_pipes:
                ends = (pipe.input_port.node, pipe.output_port.node)
                pipe.highlight() if any(n.isSelected() for n in ends) else pipe.reset()


class LayerPipeItem(PipeItem):
    """A pipe that bends around the nodes it would cross, and is a plain line zoomed out.

    A skip connection (a residual add, a projection beside a main path) would
    otherwise be drawn straight through the nodes between its ends.
    """

    def draw_path(self, start_port, end_port=None, cursor_pos=None):
        super().draw_path(start_port, end_port, cursor_pos)
        if end_port is None or cursor_pos is not None or not self.isVisible():
            return
        p1, p2 = self.path().pointAtPercent(0.0), self.path().pointAtPercent(1.0)
        if abs(p2.y() - p1.y()) <= 4 * BEND:
            return  # too short to pass a node (the scene query below is not free)
        blocked = self._blocking_rects(p1, p2)
        if blocked:
            self.setPath(detour(p1, p2, blocked, self._lane_blockers(p1, p2)))
            self._draw_direction_pointer()

    def _blocking_rects(self, p1, p2) -> list[QtCore.QRectF]:
        scene = self.scene()
        if scene is None:
            return []
        ends = {self.input_port.node, self.output_port.node}
        area = QtCore.QRectF(p1, p2).normalized().adjusted(-2.0, -2.0, 2.0, 2.0)
        rects = [i.sceneBoundingRect() for i in scene.items(area)
                 if isinstance(i, LayerNodeItem) and i not in ends]
        steps = [k / 24 for k in range(1, 24)]
        points = [QtCore.QPointF(p1.x() + (p2.x() - p1.x()) * t, p1.y() + (p2.y() - p1.y()) * t)
                  for t in steps]
        return [r for r in rects if any(r.contains(p) for p in points)]

    def _lane_blockers(self, p1, p2):
        """lane x -> the x of a lane that passes no node between p1 and p2 on that side."""
        scene, ends = self.scene(), {self.input_port.node, self.output_port.node}
        top, height = min(p1.y(), p2.y()), abs(p2.y() - p1.y())

        def clear(lane: float, side: float) -> float:
            for _ in range(8):  # each round steps past the nodes the lane still meets
                area = QtCore.QRectF(lane - CLEARANCE / 2, top, CLEARANCE, height)
                hits = [i.sceneBoundingRect() for i in scene.items(area)
                        if isinstance(i, LayerNodeItem) and i not in ends]
                if not hits:
                    break
                lane = (max(r.right() for r in hits) if side > 0
                        else min(r.left() for r in hits)) + side * CLEARANCE
            return lane

        return clear

    def paint(self, painter, option, widget):
        if option.levelOfDetailFromTransform(painter.worldTransform()) < DETAIL_SCALE:
            painter.setPen(self.pen())
            painter.drawPath(self.path())
            return
        super().paint(painter, option, widget)


BEND = 16.0  # how far a detour runs straight out of and into its ports
CLEARANCE = 26.0  # gap between a detour and the nodes it passes


def detour(p1: QtCore.QPointF, p2: QtCore.QPointF, blocked, clear=None) -> QtGui.QPainterPath:
    """A path from p1 to p2 (one above the other) that passes beside the `blocked` rects.

    It leaves p1 straight (up or down, towards p2), bends out to a lane beside the
    blocking nodes (on the side away from their centre), runs along the lane,
    and bends back into p2. `clear(lane, side)` may move the lane further out.
    """
    centre = sum(r.center().x() for r in blocked) / len(blocked)
    side = 1.0 if centre <= (p1.x() + p2.x()) / 2 else -1.0
    lane = (max(r.right() for r in blocked) if side > 0
            else min(r.left() for r in blocked)) + side * CLEARANCE
    if clear is not None:
        lane = clear(lane, side)
    bend = BEND if p2.y() > p1.y() else -BEND
    start, end = p1.y() + bend, p2.y() - bend
    path = QtGui.QPainterPath(p1)
    path.cubicTo(QtCore.QPointF(p1.x(), start + bend), QtCore.QPointF(lane, start),
                 QtCore.QPointF(lane, start + 2 * bend))
    path.lineTo(lane, end - 2 * bend)
    path.cubicTo(QtCore.QPointF(lane, end), QtCore.QPointF(p2.x(), end - bend), p2)
    return path


def connect_ports(out_port: LayerPortItem, in_port: LayerPortItem,
                  detail: bool = True) -> LayerPipeItem:
    """Draw a pipe between two port items (the view only; the document holds the edge)."""
    pipe = LayerPipeItem()
    if not detail:
        pipe._dir_pointer.setOpacity(0.0)
    out_port.scene().addItem(pipe)
    pipe.set_connections(out_port, in_port)
    pipe.draw_path(pipe.input_port, pipe.output_port)
    if out_port.node.isSelected() or in_port.node.isSelected():
        pipe.highlight()
    return pipe
