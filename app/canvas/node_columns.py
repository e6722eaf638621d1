"""Node rectangles in a grid of cells, for quick queries of the nodes near an area: what a
wire's route (`routes`) and a label's spot (`labels`, the image export) keep off."""

from __future__ import annotations

from PySide6 import QtCore


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
        left, top, right, bottom = area.getCoords()
        columns = range(int(left // self.WIDTH), int(right // self.WIDTH) + 1)
        rows = range(int(top // self.HEIGHT), int(bottom // self.HEIGHT) + 1)
        if len(columns) * len(rows) > len(self.rects):  # a wide area: every one is as quick
            found = range(len(self.rects))
        else:
            found, buckets = set(), self.buckets
            for column in columns:
                for row in rows:
                    found.update(buckets.get((column, row), ()))
            found = sorted(found)
        rects = self.rects
        return [rect for item, rect in (rects[i] for i in found)
                if item not in skip and rect.intersects(area)]
