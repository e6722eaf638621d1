"""The canvas' wire item: a NodeGraphQt `PipeItem` routed around the nodes it would
cross (`routes`), labelled with the shape it carries (`labels`), shifted rather than
routed again when both its nodes moved alike, and a plain line zoomed out. Drawing
many at once is `pipes.batched_pipes`.
"""

from __future__ import annotations

from functools import partial

from NodeGraphQt.constants import PipeEnum
from NodeGraphQt.qgraphics.pipe import PIPE_STYLES, PipeItem
from PySide6 import QtCore, QtGui, QtWidgets

from .labels import label_wire
from .node_columns import NodeColumns
from .node_style import DETAIL_SCALE, SELECTION_COLOR, shared_style
from .nodes import LayerNodeItem
from .routes import CLEARANCE, route, spread

NO_BRUSH = QtGui.QBrush(QtCore.Qt.NoBrush)


def near_area(path: QtGui.QPainterPath) -> QtCore.QRectF:
    """Where a node must be to take part in routing the wire drawn along `path`: routes
    look no further than `CLEARANCE` (a lane's room) beyond the box of their path."""
    return path.controlPointRect().adjusted(-2 * CLEARANCE, -2 * CLEARANCE,
                                            2 * CLEARANCE, 2 * CLEARANCE)


def _xy(point: QtCore.QPointF) -> tuple[float, float]:
    return (point.x(), point.y())


def _at(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return abs(a[0] - b[0]) < 1e-6 and abs(a[1] - b[1]) < 1e-6


class LayerPipeItem(PipeItem):
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
        super().__init__()
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

    def shift_with(self, step: QtCore.QPointF, starts: dict, everything: bool) -> bool:
        """Shift the wire, its arrow and its label by `step` when both its nodes moved by it
        from where they were when it was drawn (`starts`: each moved node -> its (x, y)
        before the step), with their ports as they were on them, and the nodes around it
        did too (so routing it again would give the same path moved by `step`); False,
        doing nothing, when it must be drawn again.

        Positions kept as numbers are compared, not the ports' scene positions asked of Qt:
        comparing those was most of the time of a drag step of all of a ResNet50."""
        drawn = self._drawn_between
        if drawn is None or drawn[0] not in starts or drawn[1] not in starts:
            return False
        src, dst = drawn[0], drawn[1]
        if not (_at(drawn[2], starts[src]) and _at(drawn[3], starts[dst])
                and drawn[4] == (src.port_layout, dst.port_layout)):
            return False  # drawn elsewhere, or its ports were placed on their nodes since
        path = self.path().translated(step)
        if not everything:  # a node that stayed in the way (or off it) changes the route
            near = near_area(path).united(near_area(self.path()))
            if self.scene_nodes(self.scene()).meeting(near, starts):
                return False
        dx, dy = step.x(), step.y()
        self.setPath(path)
        self._dir_pointer.moveBy(dx, dy)
        self.label.moveBy(dx, dy)
        self._drawn_between = (src, dst, (starts[src][0] + dx, starts[src][1] + dy),
                               (starts[dst][0] + dx, starts[dst][1] + dy), drawn[4])
        if not everything:  # the labels of the wires that stayed may be in its way now
            self._place_label()
        return True

    # What the wire was last drawn between: its two node items, where each stood ((x, y)),
    # and how many times each had its ports placed (`port_layout`); None while it is not
    # drawn between them (new, hidden, or being dragged by hand).
    _drawn_between: tuple | None = None

    def draw_path(self, start_port, end_port=None, cursor_pos=None):
        super().draw_path(start_port, end_port, cursor_pos)
        self._drawn_between = None
        if end_port is None or cursor_pos is not None or not self.isVisible():
            return
        p1, p2 = self.path().pointAtPercent(0.0), self.path().pointAtPercent(1.0)
        source = self.output_port.sceneBoundingRect().center()
        reverse = (p1 - source).manhattanLength() > (p2 - source).manhattanLength()
        start, end = (p2, p1) if reverse else (p1, p2)  # from the output port to the input
        src, dst = self.output_port.node, self.input_port.node
        path = route(start, end, self._nodes_query(), (src.sceneBoundingRect(),
                     dst.sceneBoundingRect()), spread(src.outputs.index(self.output_port),
                                                      dst.inputs.index(self.input_port)),
                     beside=tuple(port.sceneBoundingRect().center().x() for port in dst.inputs
                                  if port is not self.input_port and port.connected_pipes))
        if path is not None:
            self.setPath(path.toReversed() if reverse else path)
            self._draw_direction_pointer()
        self._drawn_between = (src, dst, _xy(src.pos()), _xy(dst.pos()),
                               (src.port_layout, dst.port_layout))
        self._place_label()

    def _nodes_query(self):
        """area -> the rectangles of the nodes (other than this pipe's ends) that meet it."""
        ends, scene = {self.input_port.node, self.output_port.node}, self.scene()
        if scene is None:
            return lambda area: []
        if self.node_rects is not None:
            return partial(self.scene_nodes(scene).meeting, skip=ends)
        return lambda area: [i.sceneBoundingRect() for i in scene.items(area)
                             if isinstance(i, LayerNodeItem) and i not in ends]

    def paint(self, painter, option, widget):
        if option.levelOfDetailFromTransform(painter.worldTransform()) < DETAIL_SCALE:
            painter.setPen(self.pen())
            painter.drawPath(self.path())
            return
        super().paint(painter, option, widget)
