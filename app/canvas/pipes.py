"""Pipes between canvas nodes: routed around nodes and between columns, labelled with shapes.

A pipe is a NodeGraphQt `PipeItem` (so the viewer's wiring gestures work) that
bends around the nodes it would cross, and runs up the gap between columns when
it wraps from the bottom of one column of a laid-out model to the top of the
next. Its label is the tensor shape it carries, a `QGraphicsSimpleTextItem`
child that Qt paints itself, placed by `labels` (apart from the labels of the
other wires out of the same node); labels are smaller than node titles, so they
are hidden already below `LABEL_SCALE`. Zoomed out below `DETAIL_SCALE` a pipe is
a plain line.
"""

from __future__ import annotations

from contextlib import contextmanager

from NodeGraphQt.constants import PipeEnum
from NodeGraphQt.qgraphics.pipe import PIPE_STYLES, PipeItem
from PySide6 import QtCore, QtGui, QtWidgets

from .labels import LabelQueue, label_wire
from .nodes import DETAIL_SCALE, SELECTION_COLOR, LayerNodeItem, LayerPortItem, PipeBatch, _style

NO_BRUSH = QtGui.QBrush(QtCore.Qt.NoBrush)
LABEL_SCALE = 0.55  # below this view scale, the shape labels on the wires are hidden


@contextmanager
def batched_pipes():
    """Move many nodes inside this block: each pipe they touch is redrawn once, at the end,
    with the node rectangles looked up once rather than by a scene query per pipe."""
    if PipeBatch.pipes is not None:  # nested: the outer block redraws
        yield
        return
    PipeBatch.pipes = set()
    try:
        yield
    finally:
        pipes, PipeBatch.pipes = PipeBatch.pipes, None
        pipes = [p for p in pipes if p.scene() is not None and p.input_port is not None
                 and p.output_port is not None]
        LayerPipeItem.node_rects = {
            scene: NodeColumns([(i, i.sceneBoundingRect()) for i in scene.items()
                                if isinstance(i, LayerNodeItem)])
            for scene in {p.scene() for p in pipes}}
        try:
            for pipe in pipes:
                pipe.draw_path(pipe.input_port, pipe.output_port)
            LabelQueue.flush()
        finally:
            LayerPipeItem.node_rects = None


class NodeColumns:
    """Node rectangles bucketed by x, so that a query for a narrow area (a lane beside a
    column) looks at the nodes near it rather than at every node of the graph."""

    WIDTH = 64.0  # of a bucket, in scene units

    def __init__(self, rects):
        self.rects = rects  # (item, scene rect)
        self.buckets: dict[int, list[int]] = {}
        for index, (_, rect) in enumerate(rects):
            for key in self._keys(rect.left(), rect.right()):
                self.buckets.setdefault(key, []).append(index)

    def _keys(self, left: float, right: float) -> range:
        return range(int(left // self.WIDTH), int(right // self.WIDTH) + 1)

    def meeting(self, area: QtCore.QRectF, skip) -> list[QtCore.QRectF]:
        """The rectangles (in the order given) that meet `area`, but not those of `skip`."""
        found = set()
        for key in self._keys(area.left(), area.right()):
            found.update(self.buckets.get(key, ()))
        return [rect for item, rect in (self.rects[i] for i in sorted(found))
                if item not in skip and rect.intersects(area)]


class LayerPipeItem(PipeItem):
    """A pipe that bends around the nodes it would cross, and is a plain line zoomed out.

    A skip connection (a residual add, a projection beside a main path) would
    otherwise be drawn straight through the nodes between its ends, and a wire
    into the next column would cut across both columns.
    """

    node_rects: dict | None = None  # scene -> its nodes (`NodeColumns`), during a batch

    # NodeGraphQt's Python itemChange only styles a pipe when it is selected or deselected,
    # and Qt calls it for every change (about 40 as a pipe is made and drawn). The pipe
    # keeps Qt's own; the viewer styles the pipes when the selection changes
    # (`follow_selection`).
    itemChange = QtWidgets.QGraphicsItem.itemChange

    def __init__(self):
        super().__init__()
        style = _style()
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
            self._place_label()

    def _place_label(self) -> None:
        """Beside the wire's middle, apart from the labels of its neighbours (`labels`)."""
        label_wire(self)

    def draw_path(self, start_port, end_port=None, cursor_pos=None):
        super().draw_path(start_port, end_port, cursor_pos)
        if end_port is None or cursor_pos is not None or not self.isVisible():
            return
        p1, p2 = self.path().pointAtPercent(0.0), self.path().pointAtPercent(1.0)
        source = self.output_port.sceneBoundingRect().center()
        reverse = (p1 - source).manhattanLength() > (p2 - source).manhattanLength()
        start, end = (p2, p1) if reverse else (p1, p2)  # from the output port to the input
        if end.y() < start.y():  # into a column further on: up the gap beside this column
            path = wrap(start, end, self._free_lane(start, end))
            self.setPath(path.toReversed() if reverse else path)
            self._draw_direction_pointer()
        elif abs(p2.y() - p1.y()) > 4 * BEND:  # shorter ones pass no node (the query costs)
            blocked = self._blocking_rects(p1, p2)
            if blocked:
                self.setPath(detour(p1, p2, blocked, self._lane_blockers(p1, p2)))
                self._draw_direction_pointer()
        self._place_label()

    def _nodes_in(self, area: QtCore.QRectF) -> list[QtCore.QRectF]:
        """Rectangles of the nodes (other than this pipe's ends) that meet `area`."""
        ends = {self.input_port.node, self.output_port.node}
        scene = self.scene()
        if scene is None:
            return []
        if self.node_rects is not None and scene in self.node_rects:
            return self.node_rects[scene].meeting(area, ends)
        return [i.sceneBoundingRect() for i in scene.items(area)
                if isinstance(i, LayerNodeItem) and i not in ends]

    def _blocking_rects(self, p1, p2) -> list[QtCore.QRectF]:
        rects = self._nodes_in(QtCore.QRectF(p1, p2).normalized().adjusted(-2.0, -2.0, 2.0, 2.0))
        steps = [k / 24 for k in range(1, 24)]
        points = [QtCore.QPointF(p1.x() + (p2.x() - p1.x()) * t, p1.y() + (p2.y() - p1.y()) * t)
                  for t in steps]
        return [r for r in rects if any(r.contains(p) for p in points)]

    def _free_lane(self, p1, p2) -> float:
        """The x nearest to p1's column, towards p2 (above it), of a lane that passes no node."""
        top, height = p2.y() - BEND, p1.y() - p2.y() + 2 * BEND
        step = 8.0 if p2.x() >= p1.x() else -8.0
        x = p1.x() + step
        for _ in range(int(abs(p2.x() - p1.x()) / 8.0)):
            if not self._nodes_in(QtCore.QRectF(x - CLEARANCE / 2, top, CLEARANCE, height)):
                return x
            x += step
        return (p1.x() + p2.x()) / 2

    def _lane_blockers(self, p1, p2):
        """lane x -> the x of a lane that passes no node between p1 and p2 on that side."""
        top, height = min(p1.y(), p2.y()), abs(p2.y() - p1.y())

        def clear(lane: float, side: float) -> float:
            for _ in range(8):  # each round steps past the nodes the lane still meets
                hits = self._nodes_in(QtCore.QRectF(lane - CLEARANCE / 2, top, CLEARANCE,
                                                    height))
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


def wrap(p1: QtCore.QPointF, p2: QtCore.QPointF, lane: float) -> QtGui.QPainterPath:
    """A path from p1 down and out to `lane`, up the lane, and down into p2 (above p1)."""
    path = QtGui.QPainterPath(p1)
    low, high = p1.y() + BEND, p2.y() - BEND
    path.cubicTo(QtCore.QPointF(p1.x(), low + BEND), QtCore.QPointF(lane, low + BEND),
                 QtCore.QPointF(lane, low - BEND))
    path.lineTo(lane, high + BEND)
    path.cubicTo(QtCore.QPointF(lane, high - BEND), QtCore.QPointF(p2.x(), high - BEND), p2)
    return path


def connect_ports(out_port: LayerPortItem, in_port: LayerPortItem,
                  detail: bool = True, labels: bool = True) -> LayerPipeItem:
    """Draw a pipe between two port items (the view only; the document holds the edge)."""
    pipe = LayerPipeItem()
    if not detail:
        pipe._dir_pointer.setOpacity(0.0)
    pipe.label.setVisible(labels)
    out_port.scene().addItem(pipe)
    pipe.set_connections(out_port, in_port)
    if PipeBatch.pipes is None:
        pipe.draw_path(pipe.input_port, pipe.output_port)
    else:
        PipeBatch.pipes.add(pipe)
    if out_port.node.isSelected() or in_port.node.isSelected():
        pipe.highlight()
    return pipe
