"""Where the shape labels of wires go: beside the middle of each wire, apart from each other.

The wires out of one node are labelled together, in a fixed order, each label
clear of those placed before it and, where it can be, of the other wires of
the group. Parallel wires (an LSTM's two states into one Concatenate, one
tensor into both inputs of an Add) have their middles side by side, so their
labels would otherwise be drawn on top of each other.

A label never goes under a node, nor over another wire's label, where a spot
beside its wire is free. Wires
are queued and labelled once per turn of the event loop (or at `flush`: after
a render, after a batch of moves), so dragging a node with many wires costs
one pass per move, not one per wire, and the nodes are looked up once a pass.
"""

from __future__ import annotations

import weakref

from PySide6 import QtCore, QtGui
from shiboken6 import isValid

from .nodes import LayerNodeItem
from .routes import NodeColumns

LABEL_OFFSET = 7.0  # from the middle of a wire to its label (clear of the arrow)
LABEL_GAP = 2.0  # between two labels moved apart
LABEL_TRIES = 9  # spots along a wire tried for its label before it goes below the others
LABEL_TRIES_LONG = 41  # a long wire (up a column gap) tries along all its span, up to this
LABEL_SPAN = (0.15, 0.85)  # of a wire's length, where its label may sit


class LabelQueue:
    """Wires, and nodes whose wires go together, that need their labels placed."""

    pending: dict[int, object] = {}
    timer: QtCore.QTimer | None = None

    @classmethod
    def add(cls, item) -> None:
        """Queue a pipe, or a node item (all its wires, placed together)."""
        cls.pending[id(item)] = item
        if cls.timer is None:
            cls.timer = QtCore.QTimer()
            cls.timer.setSingleShot(True)
            cls.timer.setInterval(0)
            cls.timer.timeout.connect(cls.flush)
        if not cls.timer.isActive():
            cls.timer.start()

    @classmethod
    def flush(cls) -> None:
        """Place the labels of every queued wire now, with what a label keeps off in each
        scene brought up to date once (`Obstacles.of`) rather than by a scene query per spot."""
        items, cls.pending = list(cls.pending.values()), {}
        scenes: dict = {}  # scene -> what a label there keeps off
        for item in items:
            scene = item.scene() if isValid(item) else None  # deleted or removed since
            if scene is None:
                continue
            if scene not in scenes:
                scenes[scene] = Obstacles.of(scene)
            wires = wires_out(item) if isinstance(item, LayerNodeItem) else parallel(item)
            if wires:
                place_labels(wires, scenes[scene])


class RectGrid:
    """Rectangles by key, bucketed in the cells of `NodeColumns`' grid and updated in place:
    a key whose rectangle is unchanged costs a comparison, not a bucketing."""

    def __init__(self):
        self.rects: dict = {}
        self.cells: dict[tuple[int, int], set] = {}

    def put(self, key, rect: QtCore.QRectF) -> None:
        old = self.rects.get(key)
        if old is not None:
            if old == rect:
                return
            self._unbucket(key, old)
        self.rects[key] = rect
        for cell in NodeColumns._cells(rect):
            self.cells.setdefault(cell, set()).add(key)

    def keep_only(self, keys) -> None:
        """Forget the keys not in `keys`."""
        for key in [key for key in self.rects if key not in keys]:
            self._unbucket(key, self.rects.pop(key))

    def _unbucket(self, key, rect: QtCore.QRectF) -> None:
        for cell in NodeColumns._cells(rect):
            keys = self.cells.get(cell)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self.cells[cell]

    def meeting(self, rect: QtCore.QRectF) -> list:
        """The keys whose rectangles meet `rect`."""
        near = set()
        for cell in NodeColumns._cells(rect):
            near.update(self.cells.get(cell, ()))
        return [key for key in near if self.rects[key].intersects(rect)]

    def meets(self, rect: QtCore.QRectF, skip=()) -> bool:
        """Whether the rectangle of a key not in `skip` meets `rect` (asked of every spot
        tried for a label: the first found answers)."""
        for cell in NodeColumns._cells(rect):
            for key in self.cells.get(cell, ()):
                if key not in skip and self.rects[key].intersects(rect):
                    return True
        return False


class Obstacles:
    """What a label in a scene keeps off where it can: the nodes, which would hide it, and
    the labels of other wires, each in a `RectGrid`.

    One is kept per scene and brought up to date at each flush (`of`): every node and
    label is compared with where it was counted, and only those that moved, came or went
    are bucketed again (counting all of them anew, for all 177 new nodes of a paste and at
    each step of a drag, was the largest part of placing the labels)."""

    kept: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def __init__(self):
        self.nodes = RectGrid()
        self.labels = RectGrid()  # pipe -> where its label is

    @classmethod
    def of(cls, scene) -> Obstacles:
        """The obstacles of `scene`, up to date."""
        made = cls.kept.get(scene)
        if made is None:
            made = cls.kept[scene] = cls()
        made.refresh(LayerNodeItem.members.get(scene, {}))
        return made

    def refresh(self, nodes) -> None:
        """Count the node items `nodes` (those of the scene) and their wires' labels where
        they are now, and forget the others."""
        labelled = set()
        for node in nodes:
            self.nodes.put(node, node.sceneBoundingRect())
            for port in node.outputs:
                for pipe in port.connected_pipes:
                    if hasattr(pipe, "label") and pipe.label.text():
                        labelled.add(pipe)
                        self.labels.put(pipe, label_rect(pipe))
        self.nodes.keep_only(nodes)
        self.labels.keep_only(labelled)

    def add_label(self, pipe) -> None:
        """Count the label of `pipe` where it is now."""
        if pipe.label.text():
            self.labels.put(pipe, label_rect(pipe))

    def meet(self, rect: QtCore.QRectF, skip) -> bool:
        """Whether `rect` meets a node or the label of a pipe not in `skip`."""
        return self.nodes.meets(rect) or self.labels.meets(rect, skip)

    def labels_meeting(self, rect: QtCore.QRectF, skip) -> list:
        """The pipes not in `skip` whose labels meet `rect`."""
        return [pipe for pipe in self.labels.meeting(rect) if pipe not in skip
                and isValid(pipe)]


def label_rect(pipe) -> QtCore.QRectF:
    return pipe.label.sceneBoundingRect()


def label_wire(pipe) -> None:
    """Queue the label of `pipe` to be placed or, when its source node has other wires, the
    node, so that all their labels are placed apart."""
    if pipe.output_port is None or pipe.input_port is None:
        return
    node = pipe.output_port.node
    wires = sum(len(port.connected_pipes) for port in getattr(node, "outputs", ()))
    LabelQueue.add(node if wires > 1 else pipe)


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


def parallel(pipe) -> list:
    """`pipe` and the other labelled wires from its source node into its destination node
    (one tensor into two ports of an Add), in `wires_out` order: a wire queued alone (its
    label made way for another) is placed with these, so the two labels stay apart."""
    if pipe.output_port is None or pipe.input_port is None:
        return []
    end = pipe.input_port.node
    return [wire for wire in wires_out(pipe.output_port.node) if wire.input_port.node is end]


def place_labels(pipes, obstacles: Obstacles) -> None:
    """Place the `label` of each pipe in `pipes` (in that order), apart from one another and,
    where a spot allows, off the other wires into the same node (parallel wires) and off
    the `obstacles` (nodes, other labels)."""
    wires = WireOutlines()
    into: dict[int, list] = {}  # destination node -> the wires into it
    for pipe in pipes:
        into.setdefault(id(pipe.input_port.node), []).append(pipe)
    taken: list[QtCore.QRectF] = []
    group = set(pipes)
    for pipe in pipes:
        path = pipe.path()
        if path.isEmpty() or not pipe.label.text():
            continue  # nothing shown yet: `set_label` queues the wire again when there is
        size = pipe.label.boundingRect().size()
        twins = [p for p in into[id(pipe.input_port.node)] if p is not pipe]
        pipe.label.setPos(label_spot(
            path, size, taken, lambda r, t=twins: wires.meet(r, t) or obstacles.meet(r, group)))
        taken.append(label_rect(pipe))
        obstacles.add_label(pipe)
        for other in obstacles.labels_meeting(taken[-1], group):
            # No free spot beside a short wire between two nodes: the label of a longer
            # wire, which has more places to go, moves instead. Only to longer ones, so
            # two labels never push each other back and forth.
            if other.path().length() > path.length():
                LabelQueue.add(other)


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
    span = int((LABEL_SPAN[1] - LABEL_SPAN[0]) / step) + 1
    for k in range(max(LABEL_TRIES, min(span, LABEL_TRIES_LONG))):
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
