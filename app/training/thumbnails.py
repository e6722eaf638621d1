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
