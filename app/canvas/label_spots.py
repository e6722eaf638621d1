"""Where a wire's shape label may sit: spots beside the wire, out from its middle, the first
clear of what it must keep off; and the outlines of wires, to test spots against. Used by
the canvas (`labels`) and by the image export, which place labels the same way."""

from __future__ import annotations

import math

from PySide6 import QtCore, QtGui

LABEL_OFFSET = 7.0  # from the middle of a wire to its label (clear of the arrow)
LABEL_GAP = 2.0  # between two labels moved apart
LABEL_TRIES = 9  # spots along a wire tried for its label before it goes below the others
LABEL_TRIES_LONG = 41  # a long wire (up a column gap) tries along all its span, up to this
LABEL_SPAN = (0.15, 0.85)  # of a wire's length, where its label may sit
CROSSED_TRIES = 6  # spots tried after the first free one that a wire crosses, for one none does
# The box of the arrow head drawn at the middle of a wire, in its own frame: NodeGraphQt's
# triangle (6 each side, 9 ahead (-y), 6 behind) with its pen (width 2, mitred) drawn round
# it, as Qt bounds it. A turned arrow is drawn within this box turned.
ARROW_BOX = (-7.15, -11.7, 7.15, 7.15)
ARROW_GAP = 1.0  # between a wire's arrow head and a label moved off it


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
                made = self.outlines[wire] = [path.boundingRect().adjusted(-2, -2, 2, 2), path]
            if not made[0].intersects(rect):
                continue
            if len(made) == 2:  # its bounds met a spot: its outline is needed now
                made.append(self.stroker.createStroke(made[1]))
            if made[2].intersects(rect):
                return True
        return False


def label_spot(path: QtGui.QPainterPath, size: QtCore.QSizeF, taken: list[QtCore.QRectF],
               blocked=lambda rect: False, covers=lambda rect: False,
               crossed=lambda rect: False, labelled=lambda rect: False
               ) -> QtCore.QPointF | None:
    """Top left of a label of `size` for the wire `path`: the first spot (`label_spots`)
    that meets no rectangle in `taken` and is not `blocked` (by a wire or a node), or one of
    the `CROSSED_TRIES` after it (its other side, the next ones along) that is neither and
    that no other wire runs through (`crossed`) where that one is; failing that the first
    clear of `taken` that `covers` no node and meets no other wire's label (`labelled`:
    a wire across a label leaves it readable, two labels on each other do not); then
    the first clear of `taken` that covers no node; then the same of the spots in line with
    the wire (`in_line_spots`: a short sideways wire in the gap between two rows, with no
    room above or below it); failing that below those it meets, if that covers no node;
    else None: there is no room for it."""
    spots, first, tries = [], None, CROSSED_TRIES
    for spot in label_spots(path, size):  # lazily: the first spot usually does
        spots.append(spot)
        if first is not None:
            tries -= 1
            if tries < 0:
                break
        if not _free(spot, taken) or blocked(spot):
            continue
        if not crossed(spot):
            return spot.topLeft()
        first = first or spot
    if first is not None:
        return first.topLeft()
    spots += in_line_spots(path, size)
    for spot in spots:
        if _free(spot, taken) and not covers(spot) and not labelled(spot):
            return spot.topLeft()
    for spot in spots:
        if _free(spot, taken) and not covers(spot):
            return spot.topLeft()
    spot = QtCore.QRectF(spots[0])
    while not _free(spot, taken):
        spot.translate(0.0, size.height() + LABEL_GAP)
    return None if covers(spot) else spot.topLeft()


def _free(spot: QtCore.QRectF, taken: list[QtCore.QRectF]) -> bool:
    return not any(spot.intersects(other) for other in taken)


def label_spots(path: QtGui.QPainterPath, size: QtCore.QSizeF):
    """Rectangles where a label of `size` may sit: at the middle of the wire first, then out
    along it both ways; at each, right then left of a wire going down (above then below one
    going across). The first is where a wire alone has its label. A spot on the wire's own
    arrow head moves out beside it, on its side (a bent wire's arrow points across the
    wire's course and reaches past `LABEL_OFFSET`)."""
    step = (size.height() + LABEL_GAP) / max(path.length(), 1.0)
    ends = path.pointAtPercent(1.0) - path.pointAtPercent(0.0)
    down = abs(ends.y()) >= 0.5 * abs(ends.x())
    arrow = arrow_rect(path)
    span = int((LABEL_SPAN[1] - LABEL_SPAN[0]) / step) + 1
    for k in range(max(LABEL_TRIES, min(span, LABEL_TRIES_LONG))):
        t = 0.5 + step * ((k + 1) // 2) * (1 if k % 2 else -1)  # 0.5, then out both ways
        if k and not LABEL_SPAN[0] <= t <= LABEL_SPAN[1]:
            continue
        point = path.pointAtPercent(t)
        for side in (1.0, -1.0):
            spot = QtCore.QRectF(_beside(point, size, down, side), size)
            if arrow is not None and spot.intersects(arrow):
                _step_off(spot, arrow, down, side)
            yield spot


def in_line_spots(path: QtGui.QPainterPath, size: QtCore.QSizeF) -> list[QtCore.QRectF]:
    """Spots for a label of `size` centred on the height of the wire's middle, just right and
    just left of all of the wire: where a short wire runs sideways across the gap between
    two rows (an output port right of the middle into an input port left of it), beside it
    is no room above or below, but there is on either end of its run across the gap."""
    box, middle = path.boundingRect(), path.pointAtPercent(0.5)
    top = middle.y() - size.height() / 2
    return [QtCore.QRectF(QtCore.QPointF(box.right() + LABEL_OFFSET, top), size),
            QtCore.QRectF(QtCore.QPointF(box.left() - LABEL_OFFSET - size.width(), top), size)]


def arrow_rect(path: QtGui.QPainterPath) -> QtCore.QRectF | None:
    """Where the arrow head of the wire `path` is drawn (as NodeGraphQt draws it: at the
    middle, turned along the wire there, smaller on a wire under 100 long, none on one under
    30), with its pen; None where there is none."""
    if path.length() < 30.0:  # its middle and the point 1% on are under 0.3 apart
        return None
    middle, ahead = path.pointAtPercent(0.5), path.pointAtPercent(0.51)
    behind = path.pointAtPercent(0.49)
    reach = math.hypot(ahead.x() - middle.x(), ahead.y() - middle.y())
    if reach < 0.3:
        return None
    scale = min(reach, 1.0)
    turn = math.atan2(ahead.y() - behind.y(), ahead.x() - behind.x()) - math.pi / 2
    cos, sin = scale * math.cos(turn), scale * math.sin(turn)
    left, top, right, bottom = ARROW_BOX
    corners = [(left, top), (right, top), (right, bottom), (left, bottom)]
    xs = [middle.x() + x * cos - y * sin for x, y in corners]
    ys = [middle.y() + x * sin + y * cos for x, y in corners]
    return QtCore.QRectF(QtCore.QPointF(min(xs), min(ys)), QtCore.QPointF(max(xs), max(ys)))


def _step_off(spot: QtCore.QRectF, arrow: QtCore.QRectF, down: bool, side: float) -> None:
    """Move `spot` out of `arrow`, on its `side` of the wire (`_beside`)."""
    if down:
        spot.moveLeft(arrow.right() + ARROW_GAP) if side > 0 else spot.moveRight(
            arrow.left() - ARROW_GAP)
    else:
        spot.moveBottom(arrow.top() - ARROW_GAP) if side > 0 else spot.moveTop(
            arrow.bottom() + ARROW_GAP)


def _beside(point: QtCore.QPointF, size: QtCore.QSizeF, down: bool,
            side: float) -> QtCore.QPointF:
    """Top left of a label beside `point` of a wire: right (side 1) or left of a wire going
    down, above (side 1) or below one going across."""
    if down:
        x = point.x() + LABEL_OFFSET if side > 0 else point.x() - LABEL_OFFSET - size.width()
        return QtCore.QPointF(x, point.y() - size.height() / 2)
    y = point.y() - LABEL_OFFSET - size.height() if side > 0 else point.y() + LABEL_OFFSET
    return QtCore.QPointF(point.x() - size.width() / 2, y)
