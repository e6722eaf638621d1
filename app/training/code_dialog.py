"""The training settings' custom losses and metrics: a dialog to write their code in.

The dialog only edits text: it parses the code as you type (`ast`, which runs nothing)
and lists the functions and classes a loss or metric can name. The code runs only
once the project is trusted (Edit > Trust Custom Code...).
"""

from __future__ import annotations

from PySide6 import QtWidgets

from ...graph import training_code
from ..panels.code_editor import CodeTextEdit

TEMPLATE = '''import keras
from keras import ops


def squared_error(y_true, y_pred):
    """A loss or a metric: one value per sample."""
    return ops.mean(ops.square(y_true - y_pred), axis=-1)
'''


class TrainingCodeDialog(QtWidgets.QDialog):
    """Edit the training code; `source()` once accepted ('' removes it)."""

    def __init__(self, source: str, parent=None):
        super().__init__(parent)
        self.setObjectName("TrainingCodeDialog")
        self.setWindowTitle("Custom losses and metrics")
        self.resize(720, 560)
        layout = QtWidgets.QVBoxLayout(self)
        note = QtWidgets.QLabel(
            "Write functions <b>name(y_true, y_pred)</b> or subclasses of keras.losses.Loss "
            "and keras.metrics.Metric, with the imports they need. A loss or a metric of "
            "the Outputs settings then names one. The code runs only after you trust the "
            "project's code (Edit &gt; Trust Custom Code...).")
        note.setWordWrap(True)
        layout.addWidget(note)
        self.edit = CodeTextEdit(source or TEMPLATE)
        self.edit.setObjectName("training_code_text")
        layout.addWidget(self.edit, 1)
        self.problem = QtWidgets.QLabel(wordWrap=True)
        self.problem.setObjectName("training_code_problem")
        layout.addWidget(self.problem)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.Ok
                                             | QtWidgets.QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QtWidgets.QDialogButtonBox.Ok)
        layout.addWidget(buttons)
        self.edit.textChanged.connect(self._on_edit_text_changed)
        self._on_edit_text_changed()

    def source(self) -> str:
        return self.edit.toPlainText()

    def _on_edit_text_changed(self) -> None:
        text = self.source()
        problem = training_code.parse_problem(text)
        names = training_code.defined(text)
        self.problem.setText(problem or (f"Defines {', '.join(names)}." if names else
                                         "Defines no function or class yet."))
        self.problem.setProperty("bad", bool(problem))
        self.problem.style().polish(self.problem)


def code_button_text(training) -> str:
    names = training_code.defined(training_code.source(training))
    return f"Edit code… ({', '.join(names)})" if names else "Write code…"
