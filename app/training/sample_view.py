"""The Results tab's sample predictions: thumbnails for images, rows for other data.

Images (a batch of (H, W) or (H, W, C) samples) are shown as captioned thumbnails
(`thumbnails.sample_tile`), in as many columns as the width holds (`thumbnails.TileLayout`).
Any other data (table rows of a CSV file, token ids, samples without inputs saved) is a
table, the whole width: one row per sample of the held-out data, with its first input
values, the predicted and the true class (✓, or ✗ in red) or, for a regression output,
the predicted and true values and their difference. Before, such data left the tab empty
under a legend that spoke of samples.
"""

from __future__ import annotations

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from .predictions import class_ids
from .thumbnails import is_image_batch, sample_tile

GRID_SAMPLES = 18  # thumbnails
TABLE_ROWS, SHOWN_VALUES = 32, 6  # rows of the table, input values written in a row
IMAGE_HINT = ("Under each sample: the predicted class. ✓ right; ✗ wrong, in red, with the "
              "true class.")
ROWS_HINT = ("One row per held-out sample: its first input values, then the predicted and "
             "the true class (✓ right; ✗ wrong, in red) or value.")
WRONG = "#ff6b6b"


def class_names(predictions: dict, n: int) -> list[str]:
    """The saved class names when there are `n` of them, else the ids as text."""
    names = [str(c) for c in predictions.get("class_names", [])]
    return names if len(names) == n else [str(i) for i in range(n)]


def fill_samples(grid: QtWidgets.QLayout, predictions: dict) -> str:
    """Empty `grid` (a `TileLayout`) and show the samples of `predictions` (one output's
    arrays) in it; returns the hint that says how to read them."""
    while grid.count():
        grid.takeAt(0).widget().deleteLater()
    x, y_true, y_pred = (predictions.get(k) for k in ("x", "y_true", "y_pred"))
    if y_pred is None or y_true is None:
        return IMAGE_HINT
    if not is_image_batch(x):
        grid.addWidget(sample_rows(x, y_true, y_pred, predictions))  # the whole width
        return ROWS_HINT
    count = min(len(x), len(y_pred), GRID_SAMPLES)
    true, pred = class_ids(y_true[:count]), class_ids(y_pred[:count], scores=True)
    names = class_names(predictions, int(max(true.max(), pred.max())) + 1)
    for i in range(count):
        grid.addWidget(sample_tile(x[i], names, true[i], pred[i]))
    return IMAGE_HINT


def _values(row: np.ndarray) -> str:
    """Up to SHOWN_VALUES values of a sample, flattened, "…" after them when there are
    more: "5.9, 3, 5.1, 1.8"."""
    flat = np.asarray(row).reshape(-1)
    text = ", ".join(f"{v:.4g}" for v in flat[:SHOWN_VALUES])
    return text + (", …" if len(flat) > SHOWN_VALUES else "")


def _cells(y_true, y_pred, predictions: dict, count: int) -> tuple[list[list[str]], list]:
    """The label columns' headers and texts per row, and which rows are wrong."""
    if np.asarray(y_pred).dtype.kind in "iu":  # class ids, as the worker saves them
        true, pred = class_ids(y_true[:count]), class_ids(y_pred[:count])
        names = class_names(predictions, int(max(true.max(), pred.max())) + 1)
        rows = [[("✓ " if t == p else "✗ ") + names[p], names[t]]
                for t, p in zip(true, pred, strict=True)]
        return [["predicted", "true"], *rows], [t != p for t, p in zip(true, pred,
                                                                       strict=True)]
    true, pred = np.asarray(y_true[:count]), np.asarray(y_pred[:count])
    rows = [[_values(p), _values(t), _values(np.asarray(p) - np.asarray(t))]
            for t, p in zip(true, pred, strict=True)]
    return [["predicted", "true", "predicted − true"], *rows], [False] * count


def sample_rows(x, y_true, y_pred, predictions: dict) -> QtWidgets.QTableWidget:
    """A table of up to TABLE_ROWS samples: their input values (when saved) and labels."""
    count = min(len(y_true), len(y_pred), TABLE_ROWS)
    (headers, *rows), wrong = _cells(y_true, y_pred, predictions, count)
    inputs = x is not None and len(x) >= count
    headers = ["input", *headers] if inputs else headers
    table = QtWidgets.QTableWidget(count, len(headers))
    table.setObjectName("sampleRows")
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QtWidgets.QAbstractItemView.NoEditTriggers)
    for i, cells in enumerate(rows):
        for j, text in enumerate(([_values(x[i])] if inputs else []) + cells):
            item = QtWidgets.QTableWidgetItem(text)
            if wrong[i]:
                item.setForeground(QtGui.QColor(WRONG))
            table.setItem(i, j, item)
    table.resizeColumnsToContents()
    table.horizontalHeader().setStretchLastSection(True)
    # As tall as its rows: the tab's own scroll area scrolls them (one scroll bar, not two).
    table.setVerticalScrollBarPolicy(QtCore.Qt.ScrollBarAlwaysOff)
    table.resizeRowsToContents()
    table.setFixedHeight(table.horizontalHeader().sizeHint().height() + 2 * table.frameWidth()
                         + sum(table.rowHeight(i) for i in range(count)))
    return table
