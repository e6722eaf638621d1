"""How a wire runs between two ports: straight, around the nodes it would cross, or up the
gap beside a column into the next one. Pure geometry on node rectangles, shared by the
canvas' pipes and the exported pictures, so that both draw a wire the same way.

`nodes_in(area)` is any callable that returns the rectangles of the nodes (other than
the wire's own ends) that meet `area`.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui

BEND = 16.0  # how far a detour runs straight out of and into its ports
CLEARANCE = 26.0  # gap between a detour and the nodes it passes
LANE_GAP = 7.0  # between the lanes of wires that would share one (parallel wires)


def spread(src_port: int, dst_port: int) -> float:
    """How far a wire's detour lane sits out from the first one: wires between the same
    two nodes (an LSTM's states into one Concatenate, one tensor into both inputs of an
    Add) differ in their ports, so their lanes run side by side, not on top of each other."""
    return LANE_GAP * (src_port + dst_port)


def route(start: QtCore.QPointF, end: QtCore.QPointF, nodes_in,
          offset: float = 0.0) -> QtGui.QPainterPath | None:
    """The path of a wire from an output port at `start` to an input port at `end`, or None
    when the straight wire passes no node. `offset` (`spread`) moves a detour's lane out."""
    if end.y() < start.y():  # into a column further on: up the gap beside this column
        lane = free_lane(start, end, nodes_in)
        return wrap(start, end, lane + (offset if end.x() >= start.x() else -offset))
    if abs(end.y() - start.y()) > 4 * BEND:  # shorter ones pass no node (the query costs)
        blocked = blocking_rects(start, end, nodes_in)
        if blocked:
            return detour(start, end, blocked, lane_clearer(start, end, nodes_in), offset)
    return None


def blocking_rects(p1: QtCore.QPointF, p2: QtCore.QPointF, nodes_in) -> list[QtCore.QRectF]:
    """The node rectangles that the straight line from p1 to p2 passes through."""
    rects = nodes_in(QtCore.QRectF(p1, p2).normalized().adjusted(-2.0, -2.0, 2.0, 2.0))
    steps = [k / 24 for k in range(1, 24)]
    points = [QtCore.QPointF(p1.x() + (p2.x() - p1.x()) * t, p1.y() + (p2.y() - p1.y()) * t)
              for t in steps]
    return [r for r in rects if any(r.contains(p) for p in points)]


def free_lane(p1: QtCore.QPointF, p2: QtCore.QPointF, nodes_in) -> float:
    """The x nearest to p1's column, towards p2 (above it), of a lane that passes no node."""
    top, height = p2.y() - BEND, p1.y() - p2.y() + 2 * BEND
    step = 8.0 if p2.x() >= p1.x() else -8.0
    x = p1.x() + step
    for _ in range(int(abs(p2.x() - p1.x()) / 8.0)):
        if not nodes_in(QtCore.QRectF(x - CLEARANCE / 2, top, CLEARANCE, height)):
            return x
        x += step
    return (p1.x() + p2.x()) / 2


def lane_clearer(p1: QtCore.QPointF, p2: QtCore.QPointF, nodes_in):
    """lane x, side -> the x of a lane that passes no node between p1 and p2 on that side."""
    top, height = min(p1.y(), p2.y()), abs(p2.y() - p1.y())

    def clear(lane: float, side: float) -> float:
        for _ in range(8):  # each round steps past the nodes the lane still meets
            hits = nodes_in(QtCore.QRectF(lane - CLEARANCE / 2, top, CLEARANCE, height))
            if not hits:
                break
            lane = (max(r.right() for r in hits) if side > 0
                    else min(r.left() for r in hits)) + side * CLEARANCE
        return lane

    return clear


def detour(p1: QtCore.QPointF, p2: QtCore.QPointF, blocked, clear=None,
           offset: float = 0.0) -> QtGui.QPainterPath:
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
    lane += side * offset
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


class NodeColumns:
    """Node rectangles bucketed in a grid, so that a query for a small or narrow area (a
    label's spot, a lane beside a column) looks at the nodes near it rather than at every
    node of the graph."""

    WIDTH = 64.0  # of a cell, in scene units
    HEIGHT = 128.0

    def __init__(self, rects):
        self.rects = rects  # (key, rect): a node item or id, and its rectangle
        self.buckets: dict[tuple[int, int], list[int]] = {}
        for index, (_, rect) in enumerate(rects):
            for cell in self._cells(rect):
                self.buckets.setdefault(cell, []).append(index)

    @classmethod
    def _cells(cls, rect: QtCore.QRectF):
        """The grid cells that `rect` meets."""
        columns = range(int(rect.left() // cls.WIDTH), int(rect.right() // cls.WIDTH) + 1)
        rows = range(int(rect.top() // cls.HEIGHT), int(rect.bottom() // cls.HEIGHT) + 1)
        return ((column, row) for column in columns for row in rows)

    def meeting(self, area: QtCore.QRectF, skip) -> list[QtCore.QRectF]:
        """The rectangles (in the order given) that meet `area`, but not those of `skip`."""
        cells = ((area.width() // self.WIDTH + 2) * (area.height() // self.HEIGHT + 2))
        if cells > len(self.rects):  # a wide area: every rectangle is as quick
            found = range(len(self.rects))
        else:
            found = set()
            for cell in self._cells(area):
                found.update(self.buckets.get(cell, ()))
            found = sorted(found)
        return [rect for item, rect in (self.rects[i] for i in found)
                if item not in skip and rect.intersects(area)]
