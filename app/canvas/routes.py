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
          ends: tuple[QtCore.QRectF, QtCore.QRectF],
          offset: float = 0.0) -> QtGui.QPainterPath | None:
    """The path of a wire from an output port at `start` (on the bottom of its node) to an
    input port at `end` (on the top of its node), or None when the plain wire, straight
    down, passes no node. `offset` (`spread`) moves a detour's lane out. `ends` are the
    rectangles of the wire's own two nodes (source, destination), which `nodes_in` leaves
    out: a wire that climbs to a node beside or above its source goes around both.

    The wire always leaves its port downward and enters the other from above."""
    src, dst = ends
    drop = end.y() - start.y()
    if drop < 2 * BEND and not (drop >= 0 and _spans_meet(src, dst)):
        return climb(start, end, nodes_in, offset, src, dst)
    if drop > 4 * BEND:  # shorter ones pass no node (the query costs)
        blocked = blocking_rects(start, end, nodes_in)
        if blocked:
            return detour(start, end, blocked, lane_clearer(start, end, nodes_in), offset)
    return None


def _spans_meet(a: QtCore.QRectF, b: QtCore.QRectF) -> bool:
    """Whether two rectangles share some x (one lies above the other, at least in part)."""
    return a.left() < b.right() and b.left() < a.right()


def climb(start: QtCore.QPointF, end: QtCore.QPointF, nodes_in, offset: float,
          src: QtCore.QRectF, dst: QtCore.QRectF) -> QtGui.QPainterPath:
    """A wire into a node that is not below its source: down out of `start`, across to a
    lane, along the lane to above the destination `dst`, across, and down into `end`.

    The lane runs in the gap between the two nodes when they stand side by side (the gap
    beside a column, for a wire into the next column), else beyond both, on the side of
    `end`. The runs across pass below the source `src` and above `dst`."""
    low, high = start.y() + BEND, end.y() - BEND
    side = 1.0 if end.x() >= start.x() else -1.0
    lane = gap_lane(start, end, nodes_in, src, dst) if not _spans_meet(src, dst) else None
    if lane is None:
        if not _spans_meet(src, dst):  # the gap is full: around both, beyond `dst`
            side = 1.0 if dst.center().x() >= src.center().x() else -1.0
        lane = _outer_lane(src, dst, side)
        if _spans_meet(dst, _span(start.x(), lane)):
            low = max(low, dst.bottom() + BEND)  # the run out of `start` passes under dst
        if _spans_meet(src, _span(lane, end.x())):
            high = min(high, src.top() - BEND)  # the run into `end` passes over src
        lane = lane_clearer(QtCore.QPointF(lane, low + BEND),
                            QtCore.QPointF(lane, high - BEND), nodes_in)(lane, side)
    lane += side * offset
    return rounded([start, QtCore.QPointF(start.x(), low), QtCore.QPointF(lane, low),
                    QtCore.QPointF(lane, high), QtCore.QPointF(end.x(), high), end])


def _span(x1: float, x2: float) -> QtCore.QRectF:
    return QtCore.QRectF(min(x1, x2), 0.0, abs(x2 - x1), 1.0)


def _outer_lane(src: QtCore.QRectF, dst: QtCore.QRectF, side: float) -> float:
    """The x of a lane `CLEARANCE` beyond both rectangles, on `side`."""
    if side > 0:
        return max(src.right(), dst.right()) + CLEARANCE
    return min(src.left(), dst.left()) - CLEARANCE


def gap_lane(start: QtCore.QPointF, end: QtCore.QPointF, nodes_in, src: QtCore.QRectF,
             dst: QtCore.QRectF) -> float | None:
    """The x nearest to the source's column, in the gap between `src` and `dst` (side by
    side), of a lane from below `start` to above `end` that passes no node; None when
    every lane there meets one."""
    side = 1.0 if dst.left() >= src.right() else -1.0
    near, far = (src.right(), dst.left()) if side > 0 else (src.left(), dst.right())
    room = min(CLEARANCE, abs(far - near)) / 2  # a narrow gap: its middle
    top = min(end.y(), start.y()) - 2 * BEND
    height = abs(start.y() - end.y()) + 4 * BEND
    x = near + side * room
    while side * (far - side * room - x) >= -1e-9:  # the lane's room is in the gap
        hits = nodes_in(QtCore.QRectF(x - room, top, 2 * room, height))
        if not hits:
            return x
        x = (max(r.right() for r in hits) if side > 0 else min(r.left() for r in hits)) \
            + side * room  # past the nodes it meets
    return None


def rounded(points: list[QtCore.QPointF], radius: float = BEND) -> QtGui.QPainterPath:
    """A path through `points` (each run straight across or up and down) with its corners
    rounded: up to `radius`, and no more than half of a run between two corners (or all of
    the first and last runs, so the wire's ends stay straight where there is room)."""
    points = [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]
    path = QtGui.QPainterPath(points[0])
    last = len(points) - 1
    for i in range(1, last):
        before, at, after = points[i - 1], points[i], points[i + 1]
        r = min(radius, _run(before, at) / (1 if i == 1 else 2),
                _run(at, after) / (1 if i + 1 == last else 2))
        path.lineTo(_towards(at, before, r))
        path.quadTo(at, _towards(at, after, r))
    path.lineTo(points[last])
    return path


def _run(a: QtCore.QPointF, b: QtCore.QPointF) -> float:
    return abs(b.x() - a.x()) + abs(b.y() - a.y())


def _towards(at: QtCore.QPointF, to: QtCore.QPointF, r: float) -> QtCore.QPointF:
    """The point `r` from `at` on the straight run towards `to`."""
    length = _run(at, to)
    return at if length == 0 else at + (to - at) * (r / length)


def blocking_rects(p1: QtCore.QPointF, p2: QtCore.QPointF, nodes_in) -> list[QtCore.QRectF]:
    """The node rectangles that the straight line from p1 to p2 passes through."""
    rects = nodes_in(QtCore.QRectF(p1, p2).normalized().adjusted(-2.0, -2.0, 2.0, 2.0))
    steps = [k / 24 for k in range(1, 24)]
    points = [QtCore.QPointF(p1.x() + (p2.x() - p1.x()) * t, p1.y() + (p2.y() - p1.y()) * t)
              for t in steps]
    return [r for r in rects if any(r.contains(p) for p in points)]


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
