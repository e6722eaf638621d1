"""The canvas' wire item: a NodeGraphQt `PipeItem` routed around the nodes it would
cross (`routes`), labelled with the shape it carries (`labels`), shifted rather than
routed again when both its nodes moved alike (`pipe_reuse`), and a plain line zoomed out.
Drawing many at once is `pipes.batched_pipes`.
"""

from __future__ import annotations

import math
from functools import partial

from NodeGraphQt.constants import (
    ITEM_CACHE_MODE,
    Z_VAL_PIPE,
    LayoutDirectionEnum,
    PipeEnum,
    PipeLayoutEnum,
)
from NodeGraphQt.qgraphics.pipe import PIPE_STYLES, PipeItem
from PySide6 import QtCore, QtGui, QtWidgets

from .labels import label_wire
from .node_columns import NodeColumns
from .node_style import DETAIL_SCALE, SELECTION_COLOR, shared_style
from .nodes import LayerNodeItem
from .pipe_curve import arrow_length, ends_shown, plain_curve, point_xy, united
from .pipe_reuse import ReusedPath
from .routes import route, spread

NO_BRUSH = QtGui.QBrush(QtCore.Qt.NoBrush)
# NodeGraphQt's settings, read once (an enum's `.value` is a Python call each time)
_CURVED, _VERTICAL = PipeLayoutEnum.CURVED.value, LayoutDirectionEnum.VERTICAL.value
_PIPE_COLOR, _PIPE_STYLE = PipeEnum.COLOR.value, PipeEnum.DRAW_TYPE_DEFAULT.value
# NodeGraphQt's arrow head: a triangle 12 wide and 15 long, pointing up (-y) before it is
# turned along the wire
PICK_WIDTH = 8.0  # scene units across a wire's line that a press or a hover meets
_ARROW = QtGui.QPolygonF([QtCore.QPointF(-6.0, 6.0), QtCore.QPointF(0.0, -9.0),
                          QtCore.QPointF(6.0, 6.0)])


class LayerPipeItem(ReusedPath, PipeItem):
    """A pipe that bends around the nodes it would cross, and is a plain line zoomed out.

    A skip connection (a residual add, a projection beside a main path) would
    otherwise be drawn straight through the nodes between its ends, and a wire
    into the next column would cut across both columns.
    """

    node_rects: dict | None = None  # during a batch: scene -> its nodes (`NodeColumns`)

    # NodeGraphQt's Python itemChange only styles a pipe when it is selected or deselected,
    # and Qt calls it for every change (about 40 as a pipe is made and drawn). The pipe
    # keeps Qt's own; the viewer styles the pipes when the selection changes
    # (`follow_selection`).
    itemChange = QtWidgets.QGraphicsItem.itemChange

    def __init__(self):
        # NodeGraphQt's PipeItem.__init__ with its settings read once (an enum's `.value` is
        # a Python call each time) and its arrow's triangle shared, and of its `reset` what
        # a wire not yet joined to ports needs (styled, its arrow hidden): each of the 192
        # wires of a pasted ResNet50 is made so, in a fifth of the time NodeGraphQt's took.
        QtWidgets.QGraphicsPathItem.__init__(self)
        self.setZValue(Z_VAL_PIPE)
        self.setAcceptHoverEvents(True)
        self.setFlag(QtWidgets.QGraphicsItem.ItemIsSelectable)
        self.setCacheMode(ITEM_CACHE_MODE)
        self._color, self._style = _PIPE_COLOR, _PIPE_STYLE
        self._active = self._highlight = False
        self._input_port = self._output_port = None
        self._poly = _ARROW
        self._dir_pointer = QtWidgets.QGraphicsPolygonItem(_ARROW, self)
        self._dir_pointer.setVisible(False)
        self.set_pipe_styling(color=_PIPE_COLOR, width=2, style=_PIPE_STYLE)
        style = shared_style()
        self.label = QtWidgets.QGraphicsSimpleTextItem(self)
        self.label.setFont(style["fonts"]["label"])
        self.label.setBrush(style["colors"]["label"])
        self.label.setAcceptedMouseButtons(QtCore.Qt.NoButton)

    def highlight(self):
        """The wires of a selected node, in the selection's colour."""
        self._highlight = True
        self.set_pipe_styling(color=(*SELECTION_COLOR, 255), width=2,
                              style=PipeEnum.DRAW_TYPE_DEFAULT.value)

    _styles: dict[tuple, tuple] = {}  # (colour, width, style) -> pens and brush, made once

    def set_pipe_styling(self, color, width=2, style=0):
        """NodeGraphQt's styling (a wire's pen, its arrow's pen and fill), with the pens
        made once per look instead of for every wire (each wire is styled as it is made)."""
        key = (tuple(color), width, style)
        made = self._styles.get(key)
        if made is None:
            pen = QtGui.QPen(QtGui.QColor(*color), width, PIPE_STYLES.get(style),
                             QtCore.Qt.RoundCap, QtCore.Qt.MiterJoin)
            arrow = QtGui.QPen(QtGui.QColor(*color), width, QtCore.Qt.SolidLine,
                               QtCore.Qt.RoundCap, QtCore.Qt.MiterJoin)
            made = self._styles[key] = (pen, arrow, QtGui.QColor(*color).darker(200))
        self.setPen(made[0])
        self.setBrush(NO_BRUSH)
        self._dir_pointer.setPen(made[1])
        self._dir_pointer.setBrush(made[2])

    def follow_selection(self) -> None:
        """Highlighted while it or a node at either end is selected, else plain."""
        ends = (self.input_port, self.output_port)
        if self.isSelected() or any(p is not None and p.node.isSelected() for p in ends):
            self.highlight()
        else:
            self.reset()

    def set_label(self, text: str) -> None:
        if text != self.label.text():
            self.label.setText(text)
            self.setToolTip(text)  # its shape on hover, also where its label found no room
            self._place_label()

    def _place_label(self) -> None:
        """Beside the wire's middle, apart from the labels of its neighbours (`labels`)."""
        label_wire(self)

    @classmethod
    def scene_nodes(cls, scene) -> NodeColumns:
        """The nodes of `scene` (during a batch: looked up once, when first asked for)."""
        made = cls.node_rects.get(scene)
        if made is None:
            made = cls.node_rects[scene] = NodeColumns(
                [(i, i.sceneBoundingRect()) for i in scene.items() if isinstance(i, LayerNodeItem)])
        return made

    def draw_path(self, start_port, end_port=None, cursor_pos=None):
        """NodeGraphQt's curve from `start_port` to `end_port` (or the cursor), or, between
        two ports, the route around the nodes it would cross (`routes`). The plain curve
        down between two nodes is made here, as NodeGraphQt makes it, without its Python
        look-ups of the viewer and its settings for every wire."""
        self._drawn_between = None
        if cursor_pos is not None or not self._plain_curve(start_port, end_port):
            super().draw_path(start_port, end_port, cursor_pos)
            if end_port is not None and cursor_pos is None and self.isVisible():
                self._draw_routed(self.path())
            return
        shown = ends_shown(self.input_port, self.output_port)
        self.setVisible(shown)  # NodeGraphQt draws no wire to a hidden port or node
        if shown:
            curve = plain_curve(start_port, end_port)
            if not self._draw_routed(curve):
                self.setPath(curve)
                self._draw_direction_pointer()

    def _plain_curve(self, start_port, end_port) -> bool:
        """Whether NodeGraphQt would draw the wire as a curve down between the two ports
        (`_curve`): a wire between two nodes in a view of curves laid out top to bottom."""
        viewer = self.viewer() if end_port is not None and start_port else None
        return (viewer is not None and self.input_port is not None
                and self.output_port is not None and end_port.node is not start_port.node
                and viewer.get_pipe_layout() == _CURVED
                and viewer.get_layout_direction() == _VERTICAL)

    def _draw_routed(self, plain: QtGui.QPainterPath) -> bool:
        """Route the wire drawn as `plain` (NodeGraphQt's curve between its ports); draw the
        route, and True, where it goes around nodes; False where `plain` passes none."""
        p1, p2 = plain.pointAtPercent(0.0), plain.pointAtPercent(1.0)
        source = self.output_port.sceneBoundingRect().center()
        reverse = (p1 - source).manhattanLength() > (p2 - source).manhattanLength()
        start, end = (p2, p1) if reverse else (p1, p2)  # from the output port to the input
        src, dst = self.output_port.node, self.input_port.node
        looked, query = [], self._nodes_query()

        def asked(area: QtCore.QRectF) -> list:
            looked.append(area)
            return query(area)

        path = route(start, end, asked, (src.sceneBoundingRect(),
                     dst.sceneBoundingRect()), spread(src.outputs.index(self.output_port),
                                                      dst.inputs.index(self.input_port)),
                     beside=tuple(port.sceneBoundingRect().center().x() for port in dst.inputs
                                  if port is not self.input_port and port.connected_pipes))
        if path is not None:
            self.setPath(path.toReversed() if reverse else path)
            self._arrow_after(plain)
        self._routed = path is not None
        self._drawn_between = (src, dst, point_xy(src.pos()), point_xy(dst.pos()),
                               (src.port_layout, dst.port_layout))
        self._looked = united(looked)
        self._place_label()
        return path is not None

    def _arrow_after(self, plain: QtGui.QPainterPath) -> None:
        """Place the arrow on the routed wire as NodeGraphQt leaves it when it drew the
        wire as `plain` first: its arrow keeps the smaller size a short `plain` gave it."""
        length = arrow_length(plain)
        if 0.3 <= length < 1.0:
            self._dir_pointer.setScale(length)
        self._draw_direction_pointer()

    def _draw_direction_pointer(self):
        """NodeGraphQt's arrow at the middle of the wire, turned along it, hidden on a wire
        too short for one and scaled down on a short one, with each point along the wire
        asked of Qt once (the middle was asked for three times)."""
        if not (self.input_port and self.output_port) or self.disabled():
            super()._draw_direction_pointer()  # hidden, or greyed as a disabled wire
            return
        path, pointer = self.path(), self._dir_pointer
        behind, middle, ahead = (path.pointAtPercent(t) for t in (0.49, 0.5, 0.51))
        pointer.setRotation(math.degrees(math.atan2(ahead.y() - behind.y(),
                                                    ahead.x() - behind.x())) - 90)
        pointer.setPos(middle)
        length = arrow_length(path, middle, ahead)
        pointer.setVisible(length >= 0.3)
        if 0.3 <= length < 1.0:
            pointer.setScale(length)

    def _nodes_query(self):
        """area -> the rectangles of the nodes (other than this pipe's ends) that meet it."""
        ends, scene = {self.input_port.node, self.output_port.node}, self.scene()
        if scene is None:
            return lambda area: []
        if self.node_rects is not None:
            return partial(self.scene_nodes(scene).meeting, skip=ends)
        return lambda area: [i.sceneBoundingRect() for i in scene.items(area)
                             if isinstance(i, LayerNodeItem) and i not in ends]

    def shape(self) -> QtGui.QPainterPath:
        """The line as drawn, `PICK_WIDTH` wide. Qt's shape of a path item holds the area
        its path closes too: a press on the empty canvas inside a wire's bend (a ResNet50
        block's input, up a column gap and across to the next column) met that wire, and
        the drag meant for a selection box pulled the wire off its port."""
        path = self.path()
        kept = getattr(self, "_line_shape", None)
        if kept is None or kept[0] != path:
            stroker = QtGui.QPainterPathStroker()
            stroker.setWidth(max(PICK_WIDTH, self.pen().widthF()))
            kept = self._line_shape = (path, stroker.createStroke(path))
        return kept[1]

    def paint(self, painter, option, widget):
        if option.levelOfDetailFromTransform(painter.worldTransform()) < DETAIL_SCALE:
            painter.setPen(self.pen())
            painter.drawPath(self.path())
            return
        super().paint(painter, option, widget)

