"""How a wire runs down past the nodes in its way: beside them, on a lane (`detour`), or
across a free band between them (`level_run`), whichever passes no node (`around`); and
where a wire's runs across, out of its port and into the other, turn (`run_y`). Used by
`routes`, whose wires into the next column climb on lanes and turn as these do.

`nodes_in(area)` is as in `routes`: the rectangles of the nodes (other than the wire's
own ends) that meet `area`.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui

from .route_paths import BEND, crosses, rounded

CLEARANCE = 26.0  # gap between a detour and the nodes it passes
LANE_GAP = 7.0  # between the lanes of wires that would share one (parallel wires)
NEST = 4 * LANE_GAP  # detour lanes offset less than this turn further from their ports


def around(start: QtCore.QPointF, end: QtCore.QPointF, blocked, nodes_in,
           offset: float = 0.0) -> QtGui.QPainterPath:
    """A wire from `start` down to `end` that the `blocked` nodes are in the way of:
    beside them (`detour`), or with one run across, through a free band between them
    (`level_run`), whichever passes no node; the detour, or for a short drop the level
    run, when both pass one (or there is no free band)."""
    ways = [lambda: detour(start, end, blocked, lane_clearer(start, end, nodes_in), offset,
                           nodes_in),
            lambda: level_run(start, end, nodes_in)]
    if end.y() - start.y() <= 4 * BEND:
        ways.reverse()
    first = None
    for way in ways:
        points = way()
        if points is not None and not crosses(points, nodes_in):
            return rounded(points)
        first = first or points
    return rounded(first)


def level_run(start: QtCore.QPointF, end: QtCore.QPointF, nodes_in) -> list | None:
    """The corners of a wire down out of `start`, across in the middle of the widest band
    of y between the two ports that no node beside the wire's span covers, and down into
    `end`; None when no band is free."""
    hits = nodes_in(QtCore.QRectF(start, end).normalized())
    best, y = (0.0, 0.0), start.y()
    for top, bottom in sorted((r.top(), r.bottom()) for r in hits) + [(end.y(), end.y())]:
        if top - y > best[1] - best[0]:
            best = (y, top)
        y = max(y, bottom)
    if best[1] - best[0] < 2.0:
        return None
    level = (best[0] + best[1]) / 2
    return [start, QtCore.QPointF(start.x(), level), QtCore.QPointF(end.x(), level), end]


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
           offset: float = 0.0, nodes_in=None) -> list[QtCore.QPointF]:
    """The corners of a wire from p1 down to p2 that passes beside the `blocked` rects.

    It leaves p1 straight down, runs across to a lane beside the blocking nodes (on the
    side away from their centre), along the lane, across again and down into p2.
    `clear(lane, side)` may move the lane further out. With `nodes_in`, the runs across
    keep within the gaps under p1's node and over p2's (`run_y`)."""
    centre = sum(r.center().x() for r in blocked) / len(blocked)
    side = 1.0 if centre <= (p1.x() + p2.x()) / 2 else -1.0
    lane = (max(r.right() for r in blocked) if side > 0
            else min(r.left() for r in blocked)) + side * CLEARANCE
    if clear is not None:
        lane = clear(lane, side)
    lane += side * offset
    low, high = run_y(p1, lane, 1.0, nodes_in), run_y(p2, lane, -1.0, nodes_in)
    if nodes_in is not None and offset < NEST:  # an inner lane turns further from its ports
        reach = BEND + (NEST - offset) / 2
        low = max(low, open_run_y(p1, lane, 1.0, nodes_in, reach))
        high = min(high, open_run_y(p2, lane, -1.0, nodes_in, reach))
    return [p1, QtCore.QPointF(p1.x(), low), QtCore.QPointF(lane, low),
            QtCore.QPointF(lane, high), QtCore.QPointF(p2.x(), high), p2]


def open_run_y(port: QtCore.QPointF, lane: float, way: float, nodes_in,
               reach: float) -> float:
    """The y of a run across between `port` and the x of its `lane`, `reach` out of the
    port (below an output, `way` 1; above an input, -1), or halfway to the nearest node
    across its way when that is nearer: detours on side-by-side lanes (an LSTM's two
    states) nest, the outer lane's runs nearest the ports, where the rows leave room."""
    far = port.y() + way * 2 * reach
    area = QtCore.QRectF(QtCore.QPointF(min(port.x(), lane), min(port.y(), far)),
                         QtCore.QPointF(max(port.x(), lane), max(port.y(), far)))
    gaps = [abs(y - port.y()) / 2 for r in nodes_in(area)
            for y in [r.top() if way > 0 else r.bottom()] if way * (y - port.y()) > 1.0]
    return port.y() + way * min([reach, *gaps])


def run_y(port: QtCore.QPointF, lane: float, way: float, nodes_in=None) -> float:
    """The y of a wire's run across between `port` and the x of its `lane`: `BEND` out of
    the port, below it for an output (`way` 1) and above it for an input (-1), or halfway
    to the nearest node across the run's way when that node is nearer (rows laid out
    closer than `BEND` apart: the run keeps to the gap between them)."""
    far = port.y() + way * BEND
    if nodes_in is None:
        return far
    area = QtCore.QRectF(QtCore.QPointF(min(port.x(), lane), min(port.y(), far)),
                         QtCore.QPointF(max(port.x(), lane), max(port.y(), far)))
    edges = [r.top() if way > 0 else r.bottom() for r in nodes_in(area)]
    edges = [y for y in edges if way * (y - port.y()) > 1.0]  # beyond the port, not beside
    if not edges:
        return far
    nearest = min(edges) if way > 0 else max(edges)
    return (port.y() + nearest) / 2
