"""Where the shape labels of wires go: beside the middle of each wire, apart from each other.

The wires out of one node are labelled together, in a fixed order, each label
clear of those placed before it and, where it can be, of the other wires of
the group. Parallel wires (an LSTM's two states into one Concatenate, one
tensor into both inputs of an Add) have their middles side by side, so their
labels would otherwise be drawn on top of each other.

A wire alone gets its label at once. A node with several wires out is queued
and its wires are labelled together once per turn of the event loop (or at
`flush`), so dragging a node with many wires costs one pass per move, not one
per wire.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui
from shiboken6 import isValid

from .nodes import LayerNodeItem

LABEL_OFFSET = 7.0  # from the middle of a wire to its label (clear of the arrow)
LABEL_GAP = 2.0  # between two labels moved apart
LABEL_TRIES = 9  # spots along a wire tried for its label before it goes below the others
LABEL_SPAN = (0.15, 0.85)  # of a wire's length, where its label may sit


class LabelQueue:
    """Source nodes whose wires need their labels placed together."""

    pending: dict[int, object] = {}
    timer: QtCore.QTimer | None = None

    @classmethod
    def add(cls, node) -> None:
        cls.pending[id(node)] = node
        if cls.timer is None:
            cls.timer = QtCore.QTimer()
            cls.timer.setSingleShot(True)
            cls.timer.setInterval(0)
            cls.timer.timeout.connect(cls.flush)
        if not cls.timer.isActive():
            cls.timer.start()

    @classmethod
    def flush(cls) -> None:
        """Place the labels of every queued node's wires now."""
        nodes, cls.pending = list(cls.pending.values()), {}
        for node in nodes:
            if isValid(node) and node.scene() is not None:  # not deleted or removed since
                place_labels(wires_out(node))


def label_wire(pipe) -> None:
    """Label `pipe` beside its middle or, when its source node has other wires, queue the
    node so that all its labels are placed apart."""
    node = pipe.output_port.node if pipe.output_port is not None else None
    wires = sum(len(port.connected_pipes) for port in getattr(node, "outputs", ()))
    if node is not None and pipe.input_port is not None and wires > 1:
        LabelQueue.add(node)
        return
    path = pipe.path()
    if not path.isEmpty():
        pipe.label.setPos(next(label_spots(path, pipe.label.boundingRect().size())).topLeft())


def wires_out(node) -> list:
    """The labelled wires out of `node`, by output port, then by where they end."""
    wires = []
    for index, port in enumerate(getattr(node, "outputs", ())):
        for pipe in port.connected_pipes:
            if hasattr(pipe, "label") and pipe.input_port is not None and pipe.scene() is not None:
                end = pipe.input_port.scenePos()
                wires.append(((index, end.x(), end.y()), pipe))
    wires.sort(key=lambda entry: entry[0])
    return [pipe for _, pipe in wires]


def place_labels(pipes) -> None:
    """Place the `label` of each pipe in `pipes` (in that order), apart from one another and,
    where a spot allows, off the other wires into the same node (parallel wires) and off
    the nodes, which would hide it."""
    wires = WireOutlines()
    into: dict[int, list] = {}  # destination node -> the wires into it
    for pipe in pipes:
        into.setdefault(id(pipe.input_port.node), []).append(pipe)
    taken: list[QtCore.QRectF] = []
    for pipe in pipes:
        path = pipe.path()
        if path.isEmpty():
            continue
        size = pipe.label.boundingRect().size()
        twins = [p for p in into[id(pipe.input_port.node)] if p is not pipe]
        pipe.label.setPos(label_spot(path, size, taken,
                                     lambda r, t=twins, p=pipe: wires.meet(r, t) or covered(p, r)))
        taken.append(pipe.label.mapRectToScene(pipe.label.boundingRect()))


def covered(pipe, rect: QtCore.QRectF) -> bool:
    """Whether a node of the pipe's scene meets `rect`."""
    items = pipe.scene().items(rect, QtCore.Qt.IntersectsItemBoundingRect)  # not wire shapes
    return any(isinstance(item, LayerNodeItem) for item in items)


class WireOutlines:
    """Outlines of wires, to test label spots against, each made once and only for a wire
    whose bounds meet a spot. `path_of(wire)` gives a wire's path (a pipe's by default)."""

    def __init__(self, path_of=lambda pipe: pipe.path()):
        self.path_of = path_of
        self.outlines: dict = {}
        self.stroker = QtGui.QPainterPathStroker()
        self.stroker.setWidth(3.0)

    def meet(self, rect: QtCore.QRectF, wires) -> bool:
        """Whether `rect` meets one of `wires`."""
        for wire in wires:
            made = self.outlines.get(wire)
            if made is None:
                path = self.path_of(wire)
                made = self.outlines[wire] = (path.boundingRect().adjusted(-2, -2, 2, 2),
                                              self.stroker.createStroke(path))
            if made[0].intersects(rect) and made[1].intersects(rect):
                return True
        return False


def label_spot(path: QtGui.QPainterPath, size: QtCore.QSizeF, taken: list[QtCore.QRectF],
               blocked=lambda rect: False) -> QtCore.QPointF:
    """Top left of a label of `size` for the wire `path`: the first spot (`label_spots`)
    that meets no rectangle in `taken` and is not `blocked` (by a wire or a node); failing
    that the first clear of `taken`; failing that below those it meets."""
    spots = []
    for spot in label_spots(path, size):  # lazily: the first spot usually does
        spots.append(spot)
        if not any(spot.intersects(other) for other in taken) and not blocked(spot):
            return spot.topLeft()
    for spot in spots:
        if not any(spot.intersects(other) for other in taken):
            return spot.topLeft()
    spot = spots[0]
    while any(spot.intersects(other) for other in taken):
        spot.translate(0.0, size.height() + LABEL_GAP)
    return spot.topLeft()


def label_spots(path: QtGui.QPainterPath, size: QtCore.QSizeF):
    """Rectangles where a label of `size` may sit: at the middle of the wire first, then out
    along it both ways; at each, right then left of a wire going down (above then below one
    going across). The first is where a wire alone has its label."""
    step = (size.height() + LABEL_GAP) / max(path.length(), 1.0)
    ends = path.pointAtPercent(1.0) - path.pointAtPercent(0.0)
    down = abs(ends.y()) >= 0.5 * abs(ends.x())
    for k in range(LABEL_TRIES):
        t = 0.5 + step * ((k + 1) // 2) * (1 if k % 2 else -1)  # 0.5, then out both ways
        if k and not LABEL_SPAN[0] <= t <= LABEL_SPAN[1]:
            continue
        point = path.pointAtPercent(t)
        for side in (1.0, -1.0):
            yield QtCore.QRectF(_beside(point, size, down, side), size)


def _beside(point: QtCore.QPointF, size: QtCore.QSizeF, down: bool,
            side: float) -> QtCore.QPointF:
    """Top left of a label beside `point` of a wire: right (side 1) or left of a wire going
    down, above (side 1) or below one going across."""
    if down:
        x = point.x() + LABEL_OFFSET if side > 0 else point.x() - LABEL_OFFSET - size.width()
        return QtCore.QPointF(x, point.y() - size.height() / 2)
    y = point.y() - LABEL_OFFSET - size.height() if side > 0 else point.y() + LABEL_OFFSET
    return QtCore.QPointF(point.x() - size.width() / 2, y)
