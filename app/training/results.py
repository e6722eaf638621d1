"""After training: metrics table, confusion matrix, sample predictions, save the model.

No keras here. The worker reports the evaluation in its `Result` event:

    evaluation={"split": "test|validation|training", "metrics": {"loss": .., ...},
                "predictions": "PATH.npz"}

where the NPZ holds `y_true` (class ids, one-hot rows or values), `y_pred` (class
ids, the model's outputs or values) and optionally `x` (a few input samples: images,
or rows of other data), `class_names`, and for a model with several outputs `outputs` (their
names) with `y_true_1`, `y_pred_1`... for the outputs after the first. The
confusion matrix is computed with numpy (`predictions`). Without an evaluation the table
still shows the last epoch's training and validation logs. Saving the run's model (a copy,
or ONNX in another process) is `model_save`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from ...runtime.events import Result
from .model_save import ModelSaveMixin
from .predictions import (
    confusion_matrix,
    is_classification,
    output_predictions,
    read_predictions,
)
from .sample_view import IMAGE_HINT, class_names, fill_samples
from .thumbnails import TileLayout

# One line at a small screen's dock: rows are few there. Each cell's tooltip says it again.
CONFUSION_HINT = "Rows: the true class; columns: the predicted class."



def kept_epoch(record) -> str:
    """Which epoch's logs the metrics table shows: "last epoch", "epoch 9, weights
    kept" when EarlyStopping restored that epoch's weights, or after a NaN loss "epoch 2,
    the last finite" (the NaN epoch was dropped)."""
    result = record.result
    if result is not None and result.nan and record.final_metrics:
        return f"epoch {record.metrics_epoch}, the last finite"
    return f"epoch {record.metrics_epoch}, weights kept" if record.kept_logs() \
        else "last epoch"


def hinted(hint: QtWidgets.QLabel, body: QtWidgets.QWidget) -> QtWidgets.QWidget:
    """A tab's page: the hint that says how to read `body` over it."""
    page = QtWidgets.QWidget()
    column = QtWidgets.QVBoxLayout(page)
    hint.setObjectName("Hint")
    hint.setWordWrap(True)
    column.addWidget(hint)
    column.addWidget(body, 1)
    return page


class ResultsView(ModelSaveMixin, QtWidgets.QWidget):
    """The outcome of one run; `show_run(record)` fills it, Save trained model… keeps its
    model (`ModelSaveMixin`)."""

    status_message = QtCore.Signal(str)

    def __init__(self, document: Callable[[], Any] | None = None, parent=None):
        """`document` gives the project's document (for ONNX export with a run's weights)."""
        super().__init__(parent)
        self.document = document
        self.export_process: QtCore.QProcess | None = None
        self.record = None
        self.matrix: np.ndarray | None = None
        self.title = QtWidgets.QLabel("No finished run yet.")
        self.title.setWordWrap(True)
        self.metrics = QtWidgets.QTableWidget(0, 3)
        self.metrics.setHorizontalHeaderLabels(["metric", "training\n(last epoch)",
                                                "validation\n(last epoch)"])
        self.metrics.setEditTriggers(QtWidgets.QAbstractItemView.NoEditTriggers)
        self.metrics.verticalHeader().hide()  # the metric's name starts each row
        self.confusion = QtWidgets.QTableWidget(0, 0)
        self.confusion.setEditTriggers(QtWidgets.QAbstractItemView.NoEditTriggers)
        self.samples = QtWidgets.QWidget()
        self.samples_grid = TileLayout(self.samples)
        self.save_button = QtWidgets.QPushButton("Save trained model…")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self._on_save_clicked)
        self.output = QtWidgets.QComboBox()
        self.output.setToolTip("The model output whose predictions are shown")
        self.output.currentIndexChanged.connect(self._on_output_changed)
        self._predictions: dict[str, np.ndarray] = {}
        self._layout()

    def _layout(self) -> None:
        tabs = QtWidgets.QTabWidget()
        tabs.addTab(self.metrics, "Metrics")
        self.confusion_page = hinted(QtWidgets.QLabel(CONFUSION_HINT), self.confusion)
        tabs.addTab(self.confusion_page, "Confusion matrix")
        scroll = QtWidgets.QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.samples)
        self.samples_hint = QtWidgets.QLabel(IMAGE_HINT)
        tabs.addTab(hinted(self.samples_hint, scroll), "Sample predictions")
        self.tabs = tabs
        layout = QtWidgets.QVBoxLayout(self)
        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.output)
        top.addWidget(self.save_button)
        layout.addLayout(top)
        layout.addWidget(tabs, 1)

    # ---- filling --------------------------------------------------------------
    def clear(self) -> None:
        """Show no run (a project without finished runs)."""
        self.record = None
        self.title.setText("No finished run yet.")
        self.metrics.setRowCount(0)
        self._predictions = {}
        self._fill_confusion({})
        self._fill_samples({})
        self.save_button.setEnabled(False)

    def show_run(self, record) -> None:
        """Show `record` (a `records.RunRecord`)."""
        self.record = record
        result = record.result or Result(record.status)
        evaluation = result.evaluation or {
            "split": result.evaluated_on or None, "metrics": result.metrics}
        split = evaluation.get("split")
        where = f" — evaluated on {split} data" if split else ""
        notes = [text for text in (record.message, result.evaluation_error) if text]
        message = "".join(f"\n{text}" for text in notes)
        self.title.setText(f"{record.label}: {record.status}{where}{message}")
        self._fill_metrics(record.final_metrics, evaluation.get("metrics") or {}, split,
                           kept_epoch(record))
        self._predictions = self._read(evaluation)
        names = [str(n) for n in self._predictions.get("outputs", [])]
        with QtCore.QSignalBlocker(self.output):
            self.output.clear()
            self.output.addItems(names)
        self.output.setVisible(len(names) > 1)
        self._on_output_changed(0)
        self._enable_save()

    def _on_output_changed(self, index: int) -> None:
        predictions = output_predictions(self._predictions, max(index, 0))
        self._fill_confusion(predictions)
        self._fill_samples(predictions)

    def _read(self, evaluation: dict) -> dict[str, np.ndarray]:
        path = evaluation.get("predictions")
        if not path:
            return {}
        try:
            return read_predictions(path)
        except (OSError, ValueError) as exc:
            self.status_message.emit(f"Could not read the predictions {path}: {exc}")
            return {}

    def _fill_metrics(self, logs: dict, evaluated: dict, split: str | None,
                      epoch: str = "last epoch") -> None:
        names = sorted({n[4:] if n.startswith("val_") else n for n in [*logs, *evaluated]},
                       key=lambda n: (n != "loss", n))
        # The last epoch's logs, then the final evaluation: the split can be "validation"
        # or "training" too, so the headers say which is which, on two lines so that the
        # columns stay as narrow as their numbers (the dock is ~600 px on a small screen).
        columns = ["metric", f"training\n({epoch})", f"validation\n({epoch})"] + (
            [f"{split or 'final'}\n(final evaluation)"] if evaluated else [])
        self.metrics.setColumnCount(len(columns))
        self.metrics.setHorizontalHeaderLabels(columns)
        self.metrics.setRowCount(len(names))
        for row, name in enumerate(names):
            values = [logs.get(name), logs.get(f"val_{name}")]
            if evaluated:
                values.append(evaluated.get(name))
            self.metrics.setItem(row, 0, QtWidgets.QTableWidgetItem(name))
            for col, value in enumerate(values, start=1):
                text = "" if value is None else (f"{value:.4g}" if math.isfinite(value)
                                                 else "NaN")
                item = QtWidgets.QTableWidgetItem(text)
                item.setTextAlignment(QtCore.Qt.AlignRight | QtCore.Qt.AlignVCenter)
                self.metrics.setItem(row, col, item)  # digits line up
        self.metrics.resizeColumnsToContents()

    def _fill_confusion(self, predictions: dict) -> None:
        y_true, y_pred = predictions.get("y_true"), predictions.get("y_pred")
        self.matrix = None
        if y_true is None or y_pred is None or not is_classification(y_true, y_pred):
            self.confusion.setRowCount(0)
            self.confusion.setColumnCount(0)
            return
        listed = predictions.get("class_names")
        self.matrix = matrix = confusion_matrix(y_true, y_pred, len(listed) if listed is not None
                                                and len(listed) else None)
        names = class_names(predictions, len(matrix))
        self.confusion.setRowCount(len(matrix))
        self.confusion.setColumnCount(len(matrix))
        # The class alone over a column ("pred 7" made each ~60 px wide: 10 classes scrolled
        # sideways in the dock of a 1024x700 screen); the hint says columns are predictions.
        self.confusion.setHorizontalHeaderLabels(names)
        self.confusion.setVerticalHeaderLabels([f"true {n}" for n in names])
        totals = matrix.sum(axis=1, keepdims=True).clip(min=1)
        for (i, j), count in np.ndenumerate(matrix):
            item = QtWidgets.QTableWidgetItem(str(count))
            item.setTextAlignment(QtCore.Qt.AlignCenter)
            item.setToolTip(f"true {names[i]}, predicted {names[j]}: {count} "
                            f"sample{'' if count == 1 else 's'}")
            share = count / totals[i, 0]
            hue = 120 if i == j else 0
            item.setBackground(QtGui.QColor.fromHsv(hue, int(200 * share), 70 + int(120 * share)))
            self.confusion.setItem(i, j, item)
        self._fit_confusion()

    def _fit_confusion(self) -> None:
        """The matrix's columns share the panel's width (it scrolled sideways beside free
        room), none narrower than its widest count or header; rows as tall as their text."""
        table, header = self.confusion, self.confusion.horizontalHeader()
        widest = max((max(table.sizeHintForColumn(j), header.sectionSizeHint(j))
                      for j in range(table.columnCount())), default=0)
        header.setMinimumSectionSize(widest)
        header.setSectionResizeMode(QtWidgets.QHeaderView.Stretch)
        table.resizeRowsToContents()

    def _fill_samples(self, predictions: dict) -> None:
        self.samples_hint.setText(fill_samples(self.samples_grid, predictions))
