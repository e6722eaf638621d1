"""A run's sample predictions as numbers, without Qt: reading the NPZ the worker wrote,
picking one output's arrays, class ids from labels or scores, and the confusion matrix."""

from __future__ import annotations

import numpy as np


def class_ids(y: np.ndarray, scores: bool = False) -> np.ndarray:
    """Class ids from labels or model outputs: argmax of rows, or 0/1 from one column.

    One-column outputs (sigmoid) are cut at 0.5 when `scores`; labels are rounded.
    """
    y = np.asarray(y)
    if y.ndim >= 2 and y.shape[-1] > 1:
        return y.reshape(-1, y.shape[-1]).argmax(-1)
    flat = y.reshape(-1)
    if scores and flat.dtype.kind == "f":
        return (flat > 0.5).astype(np.int64)
    return np.rint(flat).astype(np.int64)


def is_classification(y_true: np.ndarray, y_pred: np.ndarray) -> bool:
    """Softmax rows, or one sigmoid column against 0/1 labels."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_pred.dtype.kind in "iu" or (y_pred.ndim >= 2 and y_pred.shape[-1] > 1):
        return True  # class ids, as the worker saves them, or softmax rows
    labels = y_true.reshape(-1)
    scores = y_pred.reshape(-1)
    return bool(len(labels)) and bool(np.isin(labels, (0, 1)).all()) and \
        bool(np.all((scores >= 0) & (scores <= 1)))


def confusion_matrix(y_true, y_pred, num_classes: int | None = None) -> np.ndarray:
    """Counts[i, j] = samples of true class i predicted as class j."""
    true = class_ids(y_true)
    pred = class_ids(y_pred, scores=True)
    if true.shape != pred.shape:
        raise ValueError(f"Confusion matrix: expected as many labels as predictions. "
                         f"Received {true.shape[0]} labels and {pred.shape[0]} predictions")
    n = num_classes or int(max(true.max(initial=0), pred.max(initial=0)) + 1)
    if np.asarray(y_pred).ndim >= 2 and np.asarray(y_pred).shape[-1] > 1:
        n = max(n, np.asarray(y_pred).shape[-1])
    return np.bincount(n * true + pred, minlength=n * n).reshape(n, n)


def read_predictions(path: str) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def output_predictions(arrays: dict[str, np.ndarray], index: int) -> dict[str, np.ndarray]:
    """The arrays of output `index`: its y_true/y_pred; inputs and class names with 0."""
    if index == 0:
        return arrays
    suffix = f"_{index}"
    return {"y_true": arrays.get(f"y_true{suffix}"), "y_pred": arrays.get(f"y_pred{suffix}"),
            "x": arrays.get("x")}
