"""The drawn shape of a routed wire, and what it meets: its corners rounded (`rounded`),
whether such a wire runs through a node (`crosses`, `segment_meets`), and the nodes the
plain curved wire would pass through (`blocking_rects`). Pure geometry, used by `routes`.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui

BEND = 16.0  # how far a detour runs straight out of and into its ports


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


def crosses(points: list[QtCore.QPointF], nodes_in) -> bool:
    """Whether the wire through the corners `points`, drawn `rounded`, may run through a
    node of `nodes_in` (less 1 unit all round: a run along a node's edge does not count).
    A rounded corner lies in the triangle of its two runs and the chord `BEND` from the
    corner, so each run is checked, and the chord across the corner it leaves (a corner
    near a node may count). Each run asks for the nodes near it only (queries of the
    whole wire's box cost more, for a long wire)."""
    for i, (a, b) in enumerate(zip(points, points[1:], strict=False)):
        lines = [(a.x(), a.y(), b.x(), b.y())]
        if i > 0:  # the chord across the corner at `a`
            c = _towards(a, points[i - 1], min(BEND, _run(a, points[i - 1])))
            d = _towards(a, b, min(BEND, _run(a, b)))
            lines.append((c.x(), c.y(), d.x(), d.y()))
        area = QtCore.QRectF(a, b).normalized().adjusted(-BEND, -BEND, BEND, BEND)
        boxes = [r.adjusted(1.0, 1.0, -1.0, -1.0).getCoords() for r in nodes_in(area)]
        if any(segment_meets(*line, box) for line in lines for box in boxes):
            return True
    return False


def segment_meets(ax: float, ay: float, bx: float, by: float,
                  box: tuple[float, float, float, float]) -> bool:
    """Whether the segment from (ax, ay) to (bx, by) passes inside `box` (left, top,
    right, bottom), by Liang-Barsky clipping."""
    left, top, right, bottom = box
    if max(ax, bx) < left or min(ax, bx) > right or max(ay, by) < top or min(ay, by) > bottom:
        return False
    t0, t1 = 0.0, 1.0
    dx, dy = bx - ax, by - ay
    for p, q in ((-dx, ax - left), (dx, right - ax), (-dy, ay - top), (dy, bottom - ay)):
        if p == 0:
            if q < 0:
                return False
        elif p < 0:
            t0 = max(t0, q / p)
        else:
            t1 = min(t1, q / p)
        if t0 > t1:
            return False
    return True


def blocking_rects(p1: QtCore.QPointF, p2: QtCore.QPointF, nodes_in,
                   tangent: float = 0.0) -> list[QtCore.QRectF]:
    """The node rectangles that the plain wire from p1 down to p2 passes through: a curve
    that leaves p1 and enters p2 vertically, over `tangent` (the canvas' plain wire, as
    NodeGraphQt draws it; 0 gives the straight line)."""
    rects = nodes_in(QtCore.QRectF(p1, p2).normalized().adjusted(-2.0, -2.0, 2.0, 2.0))
    if not rects:
        return []
    points = [_on_curve(p1, p2, tangent, k / 24) for k in range(1, 24)]
    return [r for r in rects if any(r.left() <= x <= r.right() and r.top() <= y <= r.bottom()
                                    for x, y in points)]


def _on_curve(p1: QtCore.QPointF, p2: QtCore.QPointF, tangent: float,
              t: float) -> tuple[float, float]:
    """The point (x, y) at `t` on the cubic from p1 to p2 whose handles run `tangent`
    straight down out of p1 and into p2."""
    u = 1.0 - t
    x = (u * u * (u + 3 * t)) * p1.x() + (t * t * (3 * u + t)) * p2.x()
    y = (u ** 3 * p1.y() + 3 * u * u * t * (p1.y() + tangent)
         + 3 * u * t * t * (p2.y() - tangent) + t ** 3 * p2.y())
    return x, y
