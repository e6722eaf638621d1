"""Rectangles by key in the cells of a grid, to find those near a rectangle without a scene
query: what a shape label keeps off (`labels.Obstacles`)."""

from __future__ import annotations

from PySide6 import QtCore

from .node_columns import NodeColumns


class RectGrid:
    """Rectangles by key, bucketed in the cells of `NodeColumns`' grid and updated in place:
    a key whose rectangle is unchanged costs a comparison, not a bucketing."""

    def __init__(self):
        self.rects: dict = {}
        self.cells: dict[tuple[int, int], dict] = {}  # keys in the order bucketed, not by address

    def put(self, key, rect: QtCore.QRectF) -> None:
        old = self.rects.get(key)
        if old is not None:
            if old == rect:
                return
            self._unbucket(key, old)
        self.rects[key] = rect
        for cell in NodeColumns._cells(rect):
            self.cells.setdefault(cell, {})[key] = None

    def discard(self, key) -> None:
        old = self.rects.pop(key, None)
        if old is not None:
            self._unbucket(key, old)

    def keep_only(self, keys) -> None:
        """Forget the keys not in `keys`."""
        for key in [key for key in self.rects if key not in keys]:
            self._unbucket(key, self.rects.pop(key))

    def _unbucket(self, key, rect: QtCore.QRectF) -> None:
        for cell in NodeColumns._cells(rect):
            keys = self.cells.get(cell)
            if keys is not None:
                keys.pop(key, None)
                if not keys:
                    del self.cells[cell]

    def meeting(self, rect: QtCore.QRectF) -> list:
        """The keys whose rectangles meet `rect`."""
        near: dict = {}
        for cell in NodeColumns._cells(rect):
            near.update(self.cells.get(cell, {}))
        return [key for key in near if self.rects[key].intersects(rect)]

    def meets(self, rect: QtCore.QRectF, skip=()) -> bool:
        """Whether the rectangle of a key not in `skip` meets `rect` (asked of every spot
        tried for a label: the first found answers)."""
        for cell in NodeColumns._cells(rect):
            for key in self.cells.get(cell, ()):
                if key not in skip and self.rects[key].intersects(rect):
                    return True
        return False
