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
from functools import partial

from NodeGraphQt.constants import PipeEnum
from NodeGraphQt.qgraphics.pipe import PIPE_STYLES, PipeItem
from PySide6 import QtCore, QtGui, QtWidgets

from .labels import LabelQueue, label_wire
from .node_columns import NodeColumns
from .node_style import DETAIL_SCALE, SELECTION_COLOR, shared_style
from .nodes import LayerNodeItem
from .ports import LayerPortItem, PipeBatch
from .routes import CLEARANCE, route, spread

NO_BRUSH = QtGui.QBrush(QtCore.Qt.NoBrush)
LABEL_SCALE = 0.55  # below this view scale, the shape labels on the wires are hidden


_RESIZED: dict = {}  # during a batch: node item -> its rectangle before it was resized
_PLACED: dict = {}  # during a batch: node item put in or taken out -> (scene, rectangle)


@contextmanager
def batched_pipes():
    """Move many nodes inside this block: each pipe they touch is redrawn once, at the end,
    with the node rectangles looked up once rather than by a scene query per pipe."""
    if PipeBatch.pipes is not None:  # nested: the outer block redraws
        yield
        return
    PipeBatch.pipes, PipeBatch.moved = set(), {}
    try:
        yield
    finally:
        pipes, PipeBatch.pipes = PipeBatch.pipes, None
        moved, PipeBatch.moved = PipeBatch.moved, None
        resized, placed = dict(_RESIZED), dict(_PLACED)
        _RESIZED.clear()
        _PLACED.clear()
        pipes = [p for p in pipes if p.scene() is not None and p.input_port is not None
                 and p.output_port is not None]
        LayerPipeItem.node_rects = {}  # each scene's nodes, looked up when first needed
        try:
            _redraw(pipes, moved)
            _redraw_near(resized, placed, set(pipes))
            LabelQueue.flush()
        finally:
            LayerPipeItem.node_rects = None


def _redraw(pipes, moved: dict) -> None:
    """Draw the pipes again, after the nodes in `moved` (item -> where it was) moved.

    When every moved node moved by the same step (a selection dragged), a wire between two
    of them with no other node near it keeps its shape: it is shifted, not routed again,
    and so is its label when no node stayed behind. Routing and labelling every wire of
    all of a ResNet50 took 0.15 s a mouse step. A wire between two nodes that stayed is
    routed again when a moved node came near it or left it (it went around the node, or
    now has to).
    """
    step = _common_step(moved)
    scenes = ({p.scene() for p in pipes} | {item.scene() for item in moved}) - {None}
    everything = sum(LayerNodeItem.in_scene.get(s, 0) for s in scenes) == len(moved)
    starts = {item: _xy(was) for item, was in moved.items()} if step is not None else {}
    for pipe in pipes:
        if step is None or not pipe.shift_with(step, starts, everything):
            pipe.draw_path(pipe.input_port, pipe.output_port)
    if moved and not everything:
        for pipe in _passed_by(scenes, set(pipes), moved):
            pipe.draw_path(pipe.input_port, pipe.output_port)


def _passed_by(scenes, drawn: set, moved: dict) -> list:
    """The wires between nodes that stayed, other than those `drawn`, whose route may
    change because the nodes in `moved` came near them or left: those near (`near_area`)
    a moved node's rectangle, where it was or where it is (or between: one box for both)."""
    rects = [(now := item.sceneBoundingRect()).united(now.translated(was - item.pos()))
             for item, was in moved.items()]
    return _near_wires(scenes, drawn, rects, moved)


def _near_wires(scenes, drawn: set, rects: list, skip) -> list:
    """The wires of `scenes` between nodes not in `skip`, other than those `drawn`, that
    are near (`near_area`) one of `rects`."""
    wires = [pipe for pipe in _stayed_wires(scenes, skip) if pipe not in drawn
             and pipe._drawn_between is not None and pipe.scene() is not None
             and pipe.isVisible()]
    if not wires:
        return []
    spots, bounds = NodeColumns([(None, r) for r in rects]), _united(rects)
    return [pipe for pipe in wires if (near := near_area(pipe.path())).intersects(bounds)
            and spots.meeting(near, ())]


def _redraw_near(resized: dict, placed: dict, drawn: set) -> None:
    """Route again the wires of other nodes near the nodes in `resized` (item -> its
    rectangle before) or in `placed` (item -> its scene and rectangle, in or out of it): a
    node that grew (a longer name, a port more) or was put in (a delete undone) may stand
    in their way now, and one that shrank or was taken away (deleted, an inserted fix
    undone) may have left it. The wires of a node put in are drawn with it, not here."""
    spots = [(item.scene(), was.united(item.sceneBoundingRect()))
             for item, was in resized.items() if item.scene() is not None]
    spots += placed.values()
    if spots:
        rects = [rect for _, rect in spots]
        for pipe in _near_wires({scene for scene, _ in spots}, drawn, rects, placed):
            pipe.draw_path(pipe.input_port, pipe.output_port)


def _on_node_resized(item, was: QtCore.QRectF) -> None:
    """A node's size changed: the wires of other nodes near it are routed again, at the
    end of the batch of pipes it changed in (or of one of its own)."""
    with batched_pipes():
        _RESIZED[item] = _RESIZED[item].united(was) if item in _RESIZED else was


PipeBatch.resized = _on_node_resized


def reroute_near(item, scene) -> None:
    """The node `item` was put in `scene`, or taken out of it: the wires of other nodes
    near it (that now pass through it, or went around it) are routed again, at the end of
    the batch it came or left in (or now)."""
    with batched_pipes():
        _PLACED[item] = (scene, item.sceneBoundingRect())


def _stayed_wires(scenes, moved: dict):
    """The wires of `scenes` whose two nodes are not in `moved`. A scene all of whose nodes
    are in `moved` has none, and its nodes are not looked up (an undone delete of all of a
    ResNet50 bucketed its 354 nodes to find no wire)."""
    for scene in scenes:
        if all(node in moved for node in LayerNodeItem.members.get(scene, ())):
            continue
        for node, _ in LayerPipeItem.scene_nodes(scene).rects:
            if node in moved:
                continue
            for port in node.outputs:
                yield from (p for p in port.connected_pipes if p.input_port.node not in moved)


def _united(rects: list[QtCore.QRectF]) -> QtCore.QRectF:
    box = QtCore.QRectF(rects[0])
    for rect in rects[1:]:
        box = box.united(rect)
    return box


def near_area(path: QtGui.QPainterPath) -> QtCore.QRectF:
    """Where a node must be to take part in routing the wire drawn along `path`: routes
    look no further than `CLEARANCE` (a lane's room) beyond the box of their path."""
    return path.controlPointRect().adjusted(-2 * CLEARANCE, -2 * CLEARANCE,
                                            2 * CLEARANCE, 2 * CLEARANCE)


def _common_step(moved: dict) -> QtCore.QPointF | None:
    """The step by which every node in `moved` moved, or None (none moved, or not alike)."""
    step = None
    for item, was in moved.items():
        now = item.pos() - was
        if step is None:
            step = now
        elif not _same(now, step):
            return None
    return step if step is not None and not step.isNull() else None


def _same(a: QtCore.QPointF, b: QtCore.QPointF) -> bool:
    return abs(a.x() - b.x()) < 1e-6 and abs(a.y() - b.y()) < 1e-6


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
                                                      dst.inputs.index(self.input_port)))
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
