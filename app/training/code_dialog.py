"""The training settings' custom losses and metrics: a dialog to write their code in.

The dialog only edits text: it parses the code as you type (`ast`, which runs nothing)
and lists the functions and classes a loss or metric can name. The code runs only
once the project is trusted (Edit > Trust Custom Code...).
"""

from __future__ import annotations

from ...graph import training_code
from ..panels.code_editor import SourceDialog

TEMPLATE = '''import keras
from keras import ops


def squared_error(y_true, y_pred):
    """A loss or a metric: one value per sample."""
    return ops.mean(ops.square(y_true - y_pred), axis=-1)
'''


class TrainingCodeDialog(SourceDialog):
    """Edit the training code; `source()` once accepted ('' removes it)."""

    def __init__(self, source: str, parent=None):
        super().__init__(
            "Custom losses and metrics",
            "Write functions <b>name(y_true, y_pred)</b> or subclasses of keras.losses.Loss "
            "and keras.metrics.Metric, with the imports they need. A loss or a metric of "
            "the Outputs settings then names one. The code runs only after you trust the "
            "project's code (Edit &gt; Trust Custom Code...).", source or TEMPLATE,
            _check_code, parent, "training_code")
        self.setObjectName("TrainingCodeDialog")
        self._on_edit_text_changed()


def _check_code(text: str) -> tuple[str, bool]:
    """What the code defines, or why it does not parse (and that it is a problem)."""
    problem = training_code.parse_problem(text)
    names = training_code.defined(text)
    return (problem or (f"Defines {', '.join(names)}." if names else
                        "Defines no function or class yet."), bool(problem))


def code_button_text(training) -> str:
    names = training_code.defined(training_code.source(training))
    return f"Edit code… ({', '.join(names)})" if names else "Write code…"
