"""The node item drawn on the canvas: name, kind and parameter count, shapes on output ports.

NodeGraphQt draws a title and port labels. A layer node also needs a second line
(kind and parameter count), a colour stripe for its palette category, and a border
that turns red or amber when validation reports a problem, so the item is
subclassed here. Output port labels carry the inferred tensor shape.
"""

from __future__ import annotations

from NodeGraphQt import BaseNode
from NodeGraphQt.constants import NodeEnum
from NodeGraphQt.qgraphics.node_base import NodeItem
from PySide6 import QtCore, QtGui, QtWidgets

# Palette category -> header stripe colour (muted, readable on the dark canvas).
CATEGORY_COLORS = {
    "Input": (76, 175, 80),
    "Core": (66, 133, 244),
    "Convolution": (0, 172, 193),
    "Pooling": (121, 134, 203),
    "Reshaping": (158, 158, 158),
    "Normalization": (171, 71, 188),
    "Merging": (255, 167, 38),
    "Activation": (239, 83, 80),
    "Recurrent": (141, 110, 99),
    "Attention": (236, 64, 122),
    "Blocks": (255, 202, 40),
}
STATUS_COLORS = {"error": (229, 57, 53), "warning": (255, 179, 0)}
NODE_FILL = (44, 47, 54, 255)
STRIPE_WIDTH = 5.0


_FONTS: dict = {}


def _fonts(base: QtGui.QFont) -> dict:
    """Fonts shared by all node items (made once: looking them up per node is slow)."""
    if not _FONTS:
        small = QtGui.QFont()
        small.setPointSizeF(7.5)
        mono = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.FixedFont)
        mono.setPointSizeF(8.0)
        title = QtGui.QFont(base)
        title.setBold(True)
        _FONTS.update(small=small, mono=mono, title=title)
    return _FONTS


class LayerNodeItem(NodeItem):
    """A node item with a subtitle, a category stripe and a status border."""

    def __init__(self, name="node", parent=None):
        super().__init__(name, parent)
        self._icon_item.setVisible(False)
        fonts = _fonts(self._text_item.font())
        self._subtitle = QtWidgets.QGraphicsSimpleTextItem("", self)
        self._subtitle.setFont(fonts["small"])
        self._subtitle.setBrush(QtGui.QColor(175, 180, 190))
        self._shape = QtWidgets.QGraphicsSimpleTextItem("", self)
        self._shape.setFont(fonts["mono"])
        self._shape.setBrush(QtGui.QColor(130, 210, 255))
        self._text_item.setFont(fonts["title"])
        self.stripe = (158, 158, 158)
        self.status = None  # None, "error" or "warning"
        self.is_output = False
        self.tip = ""
        self.frozen = False  # while ports are added in a batch, redraw once at the end

    def draw_node(self):
        if not self.frozen:
            super().draw_node()

    def _tooltip_disable(self, state):
        # NodeGraphQt writes its own tooltip on every redraw; ours carries the problems.
        self.setToolTip(self.tip)

    def set_subtitle(self, text: str) -> None:
        if text != self._subtitle.text():
            self._subtitle.setText(text)

    def set_shape_text(self, text: str) -> None:
        """The output shape(s), drawn on the node's last line in the top-to-bottom layout."""
        if text != self._shape.text():
            self._shape.setText(text)

    def _texts(self):
        return (self._text_item.boundingRect(), self._subtitle.boundingRect(),
                self._shape.boundingRect())

    def _calc_size_vertical(self):
        title, sub, shape = self._texts()
        ports = max(len(self._input_items), len(self._output_items), 1) * 22.0
        width = max(title.width(), sub.width(), shape.width(), ports) + 22.0 + STRIPE_WIDTH
        return max(width, 150.0), title.height() + sub.height() + shape.height() + 14.0

    def _draw_node_vertical(self):
        for text in list(self._input_items.values()) + list(self._output_items.values()):
            text.setVisible(False)
        self._shape.setVisible(True)
        self._width, self._height = self._calc_size_vertical()
        self._set_text_color(self.text_color)
        self._tooltip_disable(self.disabled)
        centre = self._width / 2 + STRIPE_WIDTH / 2
        y = 2.0
        for item in (self._text_item, self._subtitle, self._shape):
            rect = item.boundingRect()
            item.setPos(centre - rect.width() / 2, y)
            y += rect.height()
        self.align_ports()
        self.update()

    def _paint_vertical(self, painter, option, widget):
        self._paint_horizontal(painter, option, widget)

    def _header_height(self) -> float:
        return self._text_item.boundingRect().height() + self._subtitle.boundingRect().height()

    def _calc_size_horizontal(self):
        width, height = super()._calc_size_horizontal()
        width = max(width, self._subtitle.boundingRect().width() + 24.0)
        return width + STRIPE_WIDTH, height

    def _draw_node_horizontal(self):
        height = self._header_height() + 6.0
        self._shape.setVisible(False)
        for port, text in list(self._input_items.items()) + list(self._output_items.items()):
            if port.isVisible():
                text.setVisible(port.display_name)
        self._set_base_size(add_h=height)
        self._set_text_color(self.text_color)
        self._tooltip_disable(self.disabled)
        rect = self.boundingRect()
        title = self._text_item.boundingRect()
        self._text_item.setPos(rect.center().x() - title.width() / 2, rect.y() + 1.0)
        sub = self._subtitle.boundingRect()
        self._subtitle.setPos(rect.center().x() - sub.width() / 2, rect.y() + title.height())
        self.align_ports(v_offset=height)
        self.update()

    def _paint_horizontal(self, painter, option, widget):
        painter.save()
        rect = self.boundingRect().adjusted(1.0, 1.0, -1.0, -1.0)
        radius = 5.0
        painter.setPen(QtCore.Qt.NoPen)
        painter.setBrush(QtGui.QColor(*NODE_FILL))
        painter.drawRoundedRect(rect, radius, radius)
        header = QtCore.QRectF(rect.x(), rect.y(), rect.width(), self._header_height() + 4.0)
        painter.setBrush(QtGui.QColor(*self.stripe, 70))
        painter.drawRoundedRect(header, radius, radius)
        painter.setBrush(QtGui.QColor(*self.stripe))
        painter.drawRect(QtCore.QRectF(rect.x(), rect.y() + radius, STRIPE_WIDTH,
                                       rect.height() - 2 * radius))
        if self.selected:
            painter.setBrush(QtGui.QColor(*NodeEnum.SELECTED_COLOR.value))
            painter.drawRoundedRect(rect, radius, radius)
        painter.setBrush(QtCore.Qt.NoBrush)
        painter.setPen(self._border_pen())
        painter.drawRoundedRect(rect, radius, radius)
        painter.restore()

    def _border_pen(self) -> QtGui.QPen:
        if self.status in STATUS_COLORS:
            return QtGui.QPen(QtGui.QColor(*STATUS_COLORS[self.status]), 2.6)
        if self.selected:
            return QtGui.QPen(QtGui.QColor(*NodeEnum.SELECTED_BORDER_COLOR.value), 1.6)
        if self.is_output:
            return QtGui.QPen(QtGui.QColor(120, 200, 120), 1.6)
        return QtGui.QPen(QtGui.QColor(90, 95, 105), 1.0)

    def output_label(self, index: int) -> QtWidgets.QGraphicsTextItem | None:
        items = list(self._output_items.values())
        return items[index] if index < len(items) else None

    def input_label(self, index: int) -> QtWidgets.QGraphicsTextItem | None:
        items = list(self._input_items.values())
        return items[index] if index < len(items) else None


class LayerNode(BaseNode):
    """The one NodeGraphQt node type: every layer and block is drawn by it."""

    __identifier__ = "kerascanvas"
    NODE_NAME = "Layer"

    def __init__(self):
        super().__init__(qgraphics_item=LayerNodeItem)
        self.set_port_deletion_allowed(True)


NODE_TYPE = f"{LayerNode.__identifier__}.{LayerNode.__name__}"
