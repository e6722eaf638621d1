"""NodeGraphQt's plain wire, made without its per-wire look-ups: the curve down between two
ports (`plain_curve`) and where its arrow hides or shrinks (`arrow_length`); the rectangle
round the areas a route looked at (`united`), and the area a route looks at (`near_area`)."""

from __future__ import annotations

import math

from NodeGraphQt.constants import PortTypeEnum
from PySide6 import QtCore, QtGui

from .detours import CLEARANCE

_IN = PortTypeEnum.IN.value  # read once: an enum's `.value` is a Python call each time


def near_area(path: QtGui.QPainterPath) -> QtCore.QRectF:
    """Where a node must be to take part in routing the wire drawn along `path`: routes
    look no further than `CLEARANCE` (a lane's room) beyond the box of their path."""
    return path.controlPointRect().adjusted(-2 * CLEARANCE, -2 * CLEARANCE,
                                            2 * CLEARANCE, 2 * CLEARANCE)


def point_xy(point: QtCore.QPointF) -> tuple[float, float]:
    return (point.x(), point.y())


def same_xy(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Whether two (x, y) are the same point (to a millionth)."""
    return abs(a[0] - b[0]) < 1e-6 and abs(a[1] - b[1]) < 1e-6


def united(rects: list[QtCore.QRectF]) -> QtCore.QRectF | None:
    """One rectangle round all of `rects` (None for none)."""
    if not rects:
        return None
    box = rects[0].normalized()
    for rect in rects[1:]:
        box = box.united(rect.normalized())
    return box


def ends_shown(start_port, end_port) -> bool:
    """Whether NodeGraphQt draws a wire between these ports: they and their nodes show."""
    return (start_port.isVisible() and end_port.isVisible() and start_port.node.isVisible()
            and end_port.node.isVisible())


def plain_curve(start_port, end_port) -> QtGui.QPainterPath:
    """NodeGraphQt's curve between two ports on a view laid out top to bottom: from the
    middle of one port (by the first port's size) to the other's, leaving and entering
    each vertically, its handles as long as the drop but no longer than the first port's
    node is high."""
    box = start_port.boundingRect()
    half = QtCore.QPointF(box.width() / 2, box.height() / 2)
    first, last = start_port.scenePos() + half, end_port.scenePos() + half
    reach = min(abs(first.y() - last.y()), start_port.node.boundingRect().height())
    if start_port.port_type == _IN:
        reach = -reach
    path = QtGui.QPainterPath(first)
    path.cubicTo(QtCore.QPointF(first.x(), first.y() + reach),
                 QtCore.QPointF(last.x(), last.y() - reach), last)
    return path


def arrow_length(path: QtGui.QPainterPath, middle=None, ahead=None) -> float:
    """How far the arrow's point ahead of the middle of `path` lies from it: NodeGraphQt
    hides the arrow under 0.3 and scales it to that under 1."""
    middle = path.pointAtPercent(0.5) if middle is None else middle
    ahead = path.pointAtPercent(0.51) if ahead is None else ahead
    return math.hypot(ahead.x() - middle.x(), ahead.y() - middle.y())
