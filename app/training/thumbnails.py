"""Samples as pictures: an input array as a QImage, whether a batch holds images, and the
captioned thumbnail of one prediction (the Results tab's grid, the data preview)."""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

THUMB_PX = 72


def to_qimage(sample: np.ndarray) -> QtGui.QImage:
    """An (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) array as an 8-bit image, min-max scaled."""
    array = np.asarray(sample, dtype=np.float64)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    low, high = np.nanmin(array), np.nanmax(array)
    scaled = (array - low) / (high - low) * 255 if high > low else np.zeros_like(array)
    pixels = np.ascontiguousarray(np.nan_to_num(scaled).astype(np.uint8))
    height, width = pixels.shape[:2]
    if pixels.ndim == 2:
        fmt, line = QtGui.QImage.Format_Grayscale8, width
    elif pixels.shape[-1] == 3:
        fmt, line = QtGui.QImage.Format_RGB888, 3 * width
    else:
        fmt, line = QtGui.QImage.Format_RGBA8888, 4 * width
    return QtGui.QImage(pixels.data, width, height, line, fmt).copy()


def is_image_batch(x: np.ndarray | None) -> bool:
    return x is not None and (x.ndim == 3 or (x.ndim == 4 and x.shape[-1] in (1, 3, 4)))


def sample_tile(sample, names, true: int, pred: int) -> QtWidgets.QWidget:
    """A thumbnail of `sample` captioned with its predicted class: ✓, or ✗ in red with the
    true class."""
    pixmap = QtGui.QPixmap.fromImage(to_qimage(sample)).scaled(
        THUMB_PX, THUMB_PX, QtCore.Qt.KeepAspectRatio)
    label = QtWidgets.QLabel()
    label.setPixmap(pixmap)
    label.setAlignment(QtCore.Qt.AlignCenter)
    good = true == pred
    label.setToolTip(f"predicted {names[pred]}, true {names[true]}")
    caption = QtWidgets.QLabel(f"✓ {names[pred]}" if good else
                               f"✗ {names[pred]}  (true {names[true]})")
    caption.setObjectName("right" if good else "wrong")
    caption.setAlignment(QtCore.Qt.AlignCenter)
    caption.setStyleSheet(f"color: {'#7bd389' if good else '#ff6b6b'}")
    if not good:  # a red frame, so the wrong ones stand out at a glance
        label.setStyleSheet("border: 2px solid #ff6b6b")
    tile = QtWidgets.QWidget()
    column = QtWidgets.QVBoxLayout(tile)
    column.addWidget(label)
    column.addWidget(caption)
    return tile


class TileLayout(QtWidgets.QLayout):
    """Tiles in as many equal columns as the width holds, re-flowed when it changes (a fixed
    6-column grid scrolled sideways in a narrow dock). An item that expands horizontally
    (a table) takes a whole row of the width. Its height follows its width, so a scroll
    area resizing its widget scrolls it down only."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self._items: list[QtWidgets.QLayoutItem] = []

    def addItem(self, item: QtWidgets.QLayoutItem) -> None:  # noqa: N802 (Qt's name)
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int):  # noqa: N802
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int):  # noqa: N802
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> QtCore.Qt.Orientations:  # noqa: N802
        return QtCore.Qt.Orientations(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        return self._place(QtCore.QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QtCore.QRect) -> None:  # noqa: N802
        super().setGeometry(rect)
        self._place(rect, move=True)

    def sizeHint(self) -> QtCore.QSize:  # noqa: N802
        return self.minimumSize()

    def minimumSize(self) -> QtCore.QSize:  # noqa: N802
        size = QtCore.QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize() if self._wide(item) else item.sizeHint())
        margins = self.contentsMargins()
        return size + QtCore.QSize(margins.left() + margins.right(),
                                   margins.top() + margins.bottom())

    def columns(self, width: int) -> int:
        """How many tiles a row of `width` pixels (margins included) holds."""
        cell, gap = self._cell().width(), self._gap()
        margins = self.contentsMargins()
        inner = width - margins.left() - margins.right()
        return max(1, (inner + gap) // (cell + gap)) if cell else 1

    def _gap(self) -> int:
        return max(self.spacing(), 0)

    @staticmethod
    def _wide(item: QtWidgets.QLayoutItem) -> bool:
        return bool(item.expandingDirections() & QtCore.Qt.Horizontal)

    def _cell(self) -> QtCore.QSize:
        size = QtCore.QSize(0, 0)
        for item in self._items:
            if not self._wide(item):
                size = size.expandedTo(item.sizeHint())
        return size

    def _place(self, rect: QtCore.QRect, move: bool) -> int:
        """Lay the items out in `rect` (only measure unless `move`); the height used."""
        inner = rect.marginsRemoved(self.contentsMargins())
        cell, gap, columns = self._cell(), self._gap(), self.columns(rect.width())
        x = y = row_height = 0
        column = 0
        for item in self._items:
            wide = self._wide(item)
            if column and (wide or column == columns):  # start a new row
                y, column, row_height = y + row_height + gap, 0, 0
            size = QtCore.QSize(inner.width(), item.sizeHint().height()) if wide else cell
            x = column * (cell.width() + gap)
            if move:
                item.setGeometry(QtCore.QRect(inner.topLeft() + QtCore.QPoint(x, y), size))
            row_height = max(row_height, size.height())
            column = columns if wide else column + 1
        margins = self.contentsMargins()
        return y + row_height + margins.top() + margins.bottom()
