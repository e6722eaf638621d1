"""How a layer node item (`nodes.LayerNodeItem`) is painted: near, its body with the category
stripe, the status border and the selection, and its lines of text; zoomed out below
`DETAIL_SCALE`, a box in its colour."""

from __future__ import annotations

from NodeGraphQt.constants import NodeEnum
from PySide6 import QtCore, QtGui

from .node_style import (
    DETAIL_SCALE,
    NODE_FILL,
    PAD,
    SELECTED_FAR_TINT,
    SELECTION_INSET,
    STATUS_COLORS,
    STRIPE_WIDTH,
    shared_style,
    text_rects,
)

SELECTED_FILL = QtGui.QColor(*NodeEnum.SELECTED_COLOR.value)
RADIUS = 5.0  # of the body's corners


def paint_node(item, painter: QtGui.QPainter, option) -> None:
    """Paint the node `item` as the view shows it now (near or zoomed out)."""
    rect = item.boundingRect()
    if option.levelOfDetailFromTransform(painter.worldTransform()) < DETAIL_SCALE:
        _paint_far(item, painter, rect)
        return
    _paint_body(item, painter, rect.adjusted(1.0, 1.0, -1.0, -1.0))
    _paint_texts(item, painter)


def _paint_far(item, painter, rect) -> None:
    """Zoomed out: a box in the node's colour (its status' when it has an issue); a
    selected one lighter and framed in the selection's blue, a few pixels wide at any
    zoom (box-selecting part of a large graph showed nothing chosen)."""
    painter.fillRect(rect, item.stripe if not item.status else
                     QtGui.QColor(*STATUS_COLORS[item.status]))
    if item.isSelected():
        painter.fillRect(rect, SELECTED_FAR_TINT)
        painter.setPen(shared_style()["selected_far"])
        painter.setBrush(QtCore.Qt.NoBrush)
        inset = 1.5 / max(painter.worldTransform().m11(), 1e-6)  # inside its bounds
        painter.drawRect(rect.adjusted(inset, inset, -inset, -inset))


def _paint_body(item, painter, rect) -> None:
    style, selected = shared_style(), item.isSelected()
    painter.setPen(QtCore.Qt.NoPen)
    painter.setBrush(NODE_FILL)
    painter.drawRoundedRect(rect, RADIUS, RADIUS)
    header = style["metrics"]["title"].height() + PAD + 2.0
    painter.setBrush(item.header)
    painter.drawRoundedRect(QtCore.QRectF(rect.x(), rect.y(), rect.width(), header),
                            RADIUS, RADIUS)
    painter.fillRect(QtCore.QRectF(rect.x(), rect.y() + RADIUS, STRIPE_WIDTH,
                                   rect.height() - 2 * RADIUS), item.stripe)
    if selected:
        painter.setBrush(SELECTED_FILL)
        painter.drawRoundedRect(rect, RADIUS, RADIUS)
    painter.setBrush(QtCore.Qt.NoBrush)
    painter.setPen(_border_pen(item.status, selected))
    painter.drawRoundedRect(rect, RADIUS, RADIUS)
    if selected and item.status in STATUS_COLORS:  # both: selection inside
        painter.setPen(style["selected"])
        inner = rect.adjusted(SELECTION_INSET, SELECTION_INSET, -SELECTION_INSET,
                              -SELECTION_INSET)
        painter.drawRoundedRect(inner, RADIUS - 1.0, RADIUS - 1.0)


def _paint_texts(item, painter) -> None:
    style, lines = shared_style(), item.lines()
    for (key, text), rect in zip(lines, text_rects(lines, item.width), strict=True):
        painter.setFont(style["fonts"][key])
        painter.setPen(style["colors"][key])
        painter.drawText(rect, QtCore.Qt.AlignCenter, text)


def _border_pen(status, selected: bool) -> QtGui.QPen:
    style = shared_style()
    if status in STATUS_COLORS:
        return style["status"][status]
    if selected:
        return style["selected"]
    return style["border"]
