"""How a wire runs between two ports: straight, around the nodes it would cross (`detours`),
or up the gap beside a column into the next one (`climb`, here). Pure geometry on node
rectangles, shared by the canvas' pipes and the exported pictures, so that both draw a wire
the same way.

`nodes_in(area)` is any callable that returns the rectangles of the nodes (other than
the wire's own ends) that meet `area` (`node_columns.NodeColumns.meeting` answers it
quickly). The shape a route is drawn in, and whether it runs through a node, are in
`route_paths`.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui

from .detours import CLEARANCE, LANE_GAP, around, lane_clearer, run_y
from .route_paths import BEND, blocking_rects, crosses, rounded, segment_meets


def spread(src_port: int, dst_port: int) -> float:
    """How far a wire's detour lane sits out from the first one: wires between the same
    two nodes (an LSTM's states into one Concatenate, one tensor into both inputs of an
    Add) differ in their ports, so their lanes run side by side, not on top of each other."""
    return LANE_GAP * (src_port + dst_port)


def route(start: QtCore.QPointF, end: QtCore.QPointF, nodes_in,
          ends: tuple[QtCore.QRectF, QtCore.QRectF], offset: float = 0.0,
          beside: tuple[float, ...] = ()) -> QtGui.QPainterPath | None:
    """The path of a wire from an output port at `start` (on the bottom of its node) to an
    input port at `end` (on the top of its node), or None when the plain wire, straight
    down, passes no node. `offset` (`spread`) moves a detour's lane out. `ends` are the
    rectangles of the wire's own two nodes (source, destination), which `nodes_in` leaves
    out: a wire that climbs to a node beside or above its source goes around both.
    `beside`: the x of the destination's other wired input ports, which a wire into a
    merge node keeps from passing over just above them (`climb`).

    The wire always leaves its port downward and enters the other from above."""
    src, dst = ends
    drop = end.y() - start.y()
    if drop < 2 * BEND and not (drop >= 0 and _spans_meet(src, dst)):
        return climb(start, end, nodes_in, offset, src, dst, beside)
    if drop > 4 * BEND or not _under_both(start, end, src, dst):  # else it passes no node
        blocked = blocking_rects(start, end, nodes_in, min(drop, dst.height()))
        if blocked:
            return around(start, end, blocked, nodes_in, offset)
    return None


def _under_both(start: QtCore.QPointF, end: QtCore.QPointF, src: QtCore.QRectF,
                dst: QtCore.QRectF) -> bool:
    """Whether a wire from `start` to `end` stays within the x spans of both its nodes:
    a short one then has no room for a node on its way (the query for one costs)."""
    left, right = sorted((start.x(), end.x()))
    return max(src.left(), dst.left()) <= left and right <= min(src.right(), dst.right())


def _spans_meet(a: QtCore.QRectF, b: QtCore.QRectF) -> bool:
    """Whether two rectangles share some x (one lies above the other, at least in part)."""
    return a.left() < b.right() and b.left() < a.right()


def climb(start: QtCore.QPointF, end: QtCore.QPointF, nodes_in, offset: float,
          src: QtCore.QRectF, dst: QtCore.QRectF,
          beside: tuple[float, ...] = ()) -> QtGui.QPainterPath:
    """A wire into a node that is not below its source: down out of `start`, across to a
    lane, along the lane to above the destination `dst`, across, and down into `end`.

    The lane runs in the gap between the two nodes when they stand side by side (the gap
    beside a column, for a wire into the next column), else beyond both, on the side of
    `end`. The runs across pass below the source `src` and above `dst`; where the run
    into `end` would pass over another wired port of `dst` (`beside`), it comes from the
    port's other side instead, around what stands above (`other_side`)."""
    low, high = start.y() + BEND, end.y() - BEND
    side = 1.0 if end.x() >= start.x() else -1.0
    lane = gap_lane(start, end, nodes_in, src, dst, past_detours=True) \
        if not _spans_meet(src, dst) else None
    gap = lane
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
    if low == start.y() + BEND:  # else it passes under dst, clear of the gap under src
        low = run_y(start, lane, 1.0, nodes_in)
    if high == end.y() - BEND:
        high = run_y(end, lane, -1.0, nodes_in)
    points = [start, QtCore.QPointF(start.x(), low), QtCore.QPointF(lane, low),
              QtCore.QPointF(lane, high), QtCore.QPointF(end.x(), high), end]
    if gap is not None:
        runs = [points[3:5]]  # into `end`, across what stands between the gap and dst
        if abs(gap - (src.right() if dst.left() >= src.right() else src.left())) > CLEARANCE / 2:
            runs.append(points[1:3])  # the lane stepped past nodes beside src
        if _runs_meet(runs, nodes_in):
            points = two_lanes(start, end, nodes_in, src, dst, offset, gap) or points
    if _over_ports(points[-3].x(), end.x(), beside):
        points = other_side(points, nodes_in, dst, beside) or points
    return rounded(points)


def _over_ports(lane: float, x: float, beside: tuple[float, ...]) -> bool:
    """Whether a run across from `lane` to a port at `x` passes over one of the ports at
    `beside` (or right by it)."""
    left, right = sorted((lane, x))
    return any(left - LANE_GAP < b < right + LANE_GAP and abs(b - x) > 1.0 for b in beside)


def other_side(points: list[QtCore.QPointF], nodes_in, dst: QtCore.QRectF,
               beside: tuple[float, ...]) -> list[QtCore.QPointF] | None:
    """The corners of a wire whose last run across (`points`: ..., lane at `high`, above
    `end`, `end`) would pass over the other wired ports `beside` its port: from its lane it
    runs across above the node that stands over those ports, down beside it on the far
    side, and across into `end` from there. None when nothing stands there, or such a
    wire would pass through a node."""
    end, lane = points[-1], points[-3].x()
    side = 1.0 if end.x() > lane else -1.0  # the wire came from `side` * -1; go past
    passed = [b for b in beside if side * (end.x() - b) > 0]
    reach = QtCore.QRectF(min(passed + [end.x()]) - 1.0, dst.top() - REACH,
                          abs(max(passed + [end.x()]) - min(passed + [end.x()])) + 2.0, REACH)
    above = [r for r in nodes_in(reach) if r.bottom() <= dst.top() + 1.0]
    if not above:
        return None
    near = max(above, key=lambda r: r.bottom())
    far = (near.right() if side > 0 else near.left()) + side * CLEARANCE
    far = lane_clearer(QtCore.QPointF(far, near.top()), QtCore.QPointF(far, end.y()),
                       nodes_in)(far, side)
    level = run_y(QtCore.QPointF(near.center().x(), near.top()), lane, -1.0, nodes_in)
    high = points[-2].y()
    out = [*points[:-3], QtCore.QPointF(lane, level), QtCore.QPointF(far, level),
           QtCore.QPointF(far, high), QtCore.QPointF(end.x(), high), end]
    return None if crosses(out, nodes_in) else out


def _runs_meet(runs, nodes_in) -> bool:
    """Whether one of the straight `runs` across (pairs of points) passes through a node
    (less 1 unit all round)."""
    for a, b in runs:
        area = QtCore.QRectF(min(a.x(), b.x()), a.y() - 1.0, abs(b.x() - a.x()), 2.0)
        if any(segment_meets(a.x(), a.y(), b.x(), b.y(),
                             r.adjusted(1.0, 1.0, -1.0, -1.0).getCoords())
               for r in nodes_in(area)):
            return True
    return False


REACH = 160.0  # how far above or below its ports a wire between columns looks for a row gap


def two_lanes(start: QtCore.QPointF, end: QtCore.QPointF, nodes_in, src: QtCore.QRectF,
              dst: QtCore.QRectF, offset: float = 0.0,
              first: float | None = None) -> list[QtCore.QPointF] | None:
    """The corners of a wire between side-by-side nodes with a column of nodes between
    them whose rows stand where the wire's runs across would pass: down out of `start`,
    across to a lane in the gap beside `src`, up or down that lane to a gap between the
    rows of the columns between, across it to a lane in the gap beside `dst`, and across
    and down into `end`. None when the lanes share one gap, or no row gap within `REACH`
    lets the wire pass every node. `first`: the lane beside `src` (`gap_lane`), if known."""
    side = 1.0 if dst.left() >= src.right() else -1.0
    if first is None:
        first = gap_lane(start, end, nodes_in, src, dst)
    last = gap_lane(end, start, nodes_in, dst, src)
    if first is None or last is None or side * (last - first) < 2 * CLEARANCE:
        return None
    first, last = first + side * offset, last - side * offset
    middle = (start.y() + end.y()) / 2
    level = row_gap(QtCore.QRectF(min(first, last), middle - REACH, abs(last - first),
                                  2 * REACH), middle, nodes_in)
    if level is None:
        return None
    low, high = run_y(start, first, 1.0, nodes_in), run_y(end, last, -1.0, nodes_in)
    points = [start, QtCore.QPointF(start.x(), low), QtCore.QPointF(first, low),
              QtCore.QPointF(first, level), QtCore.QPointF(last, level),
              QtCore.QPointF(last, high), QtCore.QPointF(end.x(), high), end]
    return None if crosses(points, nodes_in) else points


def row_gap(area: QtCore.QRectF, y: float, nodes_in) -> float | None:
    """The middle of the band of `area`, free of nodes across its whole width, whose
    middle is nearest to `y`; None when every band is under 4 units high."""
    hits = sorted((r.top(), r.bottom()) for r in nodes_in(area))
    best, top = None, area.top()
    for above, below in [*hits, (area.bottom(), area.bottom())]:
        if above - top >= 4.0:
            level = (top + above) / 2
            if best is None or abs(level - y) < abs(best - y):
                best = level
        top = max(top, below)
    return best


def _span(x1: float, x2: float) -> QtCore.QRectF:
    return QtCore.QRectF(min(x1, x2), 0.0, abs(x2 - x1), 1.0)


def _outer_lane(src: QtCore.QRectF, dst: QtCore.QRectF, side: float) -> float:
    """The x of a lane `CLEARANCE` beyond both rectangles, on `side`."""
    if side > 0:
        return max(src.right(), dst.right()) + CLEARANCE
    return min(src.left(), dst.left()) - CLEARANCE


def gap_lane(start: QtCore.QPointF, end: QtCore.QPointF, nodes_in, src: QtCore.QRectF,
             dst: QtCore.QRectF, past_detours: bool = False) -> float | None:
    """The x nearest to the source's column, in the gap between `src` and `dst` (side by
    side), of a lane from below `start` to above `end` that passes no node; None when
    every lane there meets one. `past_detours`: one lane of a detour further out where the
    gap has room for it, clear of the skips that go around the source's column (a wire
    into the next column climbing inside a skip's lane crosses its runs)."""
    side = 1.0 if dst.left() >= src.right() else -1.0
    near, far = (src.right(), dst.left()) if side > 0 else (src.left(), dst.right())
    room = min(CLEARANCE, abs(far - near)) / 2  # a narrow gap: its middle
    top = min(end.y(), start.y()) - 2 * BEND
    height = abs(start.y() - end.y()) + 4 * BEND
    x = near + side * room
    while side * (far - side * room - x) >= -1e-9:  # the lane's room is in the gap
        hits = nodes_in(QtCore.QRectF(x - room, top, 2 * room, height))
        if not hits:
            out = x + side * (CLEARANCE + LANE_GAP)
            if past_detours and side * (far - side * room - out) >= 0 and not nodes_in(
                    QtCore.QRectF(out - room, top, 2 * room, height)):
                return out
            return x
        x = (max(r.right() for r in hits) if side > 0 else min(r.left() for r in hits)) \
            + side * room  # past the nodes it meets
    return None
