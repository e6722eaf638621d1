"""A selection dragged by the hand, moved by Qt without a call into Python per node.

Qt moves the selected node items itself, and a node item that sends geometry changes
(`ItemSendsGeometryChanges`) called its Python `itemChange` twice per node at each mouse
step, each call converting Qt's enums through PySide: about half of a step of a drag of
all of a ResNet50. While a drag lasts, the dragged items send none; the viewer notes
which of them moved around each step (`DraggedNodes.before` / `after`), and their pipes
follow as they would have (`LayerNodeItem.note_moved`). The items send changes again
when the drag ends (the button's release, or the next press if that release never came).
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets
from shiboken6 import isValid

from .nodes import LayerNodeItem

_GEOMETRY = QtWidgets.QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges


class DraggedNodes:
    """The node items of the drag under way, whose geometry changes are off (None: no
    drag). They are the nodes selected at its first step: Qt moves the selected items, and
    a node selected later (Ctrl+A during a drag) still tells of its moves itself."""

    def __init__(self) -> None:
        self.quiet: list[LayerNodeItem] | None = None

    def before(self, scene) -> list[tuple[LayerNodeItem, QtCore.QPointF]]:
        """Before a mouse step of a drag: the dragged node items and where each is."""
        if self.quiet is None:
            self.quiet = [i for i in scene.selectedItems() if isinstance(i, LayerNodeItem)]
            for item in self.quiet:
                item.setFlag(_GEOMETRY, False)
        return [(item, item.pos()) for item in self.quiet]

    @staticmethod
    def after(positions: list[tuple[LayerNodeItem, QtCore.QPointF]]) -> None:
        """After the step: each item that moved has its pipes follow."""
        for item, was in positions:
            if isValid(item) and item.pos() != was:
                item.note_moved(was)

    def end(self) -> None:
        """The drag is over: the items send their geometry changes again."""
        quiet, self.quiet = self.quiet or [], None
        for item in quiet:
            if isValid(item):
                item.setFlag(_GEOMETRY, True)
