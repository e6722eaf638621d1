"""Column widths of the panels' tables from the texts they show, without Qt measuring cells.

Qt's sizing to contents (`ResizeToContents`, `resizeColumnsToContents`) asks every cell of a
column for its size hint at each update: for the rows of a pasted ResNet50 copy that cost
more than filling them. The width of a text column is the widest text's advance in the
view's font plus an item's margins, measured once per distinct text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from PySide6 import QtWidgets

EXTRA = 2  # beside the style's item margins: room for a grid line or a rounding


def text_width(view: QtWidgets.QAbstractItemView, texts: Iterable[str]) -> int:
    """The width a column needs to show each of `texts` whole, in `view`'s font."""
    margin = view.style().pixelMetric(QtWidgets.QStyle.PM_FocusFrameHMargin, None, view) + 1
    widest = max(map(view.fontMetrics().horizontalAdvance, set(texts)), default=0)
    return widest + 2 * margin + EXTRA


def resize_sections(header: QtWidgets.QHeaderView, widths: Mapping[int, int]) -> None:
    """Give each column its width (at least its header's), touching only those that change."""
    for column, width in widths.items():
        width = max(width, header.sectionSizeHint(column))
        if header.sectionSize(column) != width:
            header.resizeSection(column, width)
