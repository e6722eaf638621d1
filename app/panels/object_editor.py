"""The editor of initializer, regularizer and constraint params: a dropdown of the names
Keras takes, whose text the user may also type as a configured object, `L2(1e-4)`.

Typed text is checked through the ParamSpec before it is committed: a refused text stays
in the box, outlined, with the refusal as a tip under it (and `refused` tells the panel).
"""

from __future__ import annotations

import html
from typing import Any

from PySide6 import QtCore, QtWidgets

from ...graph.errors import ParamError
from ...graph.object_params import is_object
from ...graph.params import ParamSpec
from .editors import RESET, Editor, value_text
from .wheel import guard_wheel

EXAMPLES = {"initializer": "HeNormal(seed=1)", "regularizer": "L2(1e-4)",
            "constraint": "MaxNorm(3)"}
# The most a typed object widens its field (a row of its own in the default dock);
# longer text scrolls, and the field's tip shows it whole.
MAX_TEXT_WIDTH = 280
# What a QLineEdit adds around its text (its frame and text margins), in pixels.
EDIT_MARGINS = 8


class ObjectEditor(Editor):
    """An editable combo: pick a name, or type `Class(arg=value, ...)` and press Enter."""

    refused = QtCore.Signal(str)

    def __init__(self, spec: ParamSpec, parent=None):
        super().__init__(spec, parent)
        self.combo = QtWidgets.QComboBox()
        self.combo.setEditable(True)
        self.combo.setInsertPolicy(QtWidgets.QComboBox.NoInsert)
        self.combo.setCompleter(None)  # inline completion would rewrite `L2(...)` as `l2`
        self.combo.setSizeAdjustPolicy(QtWidgets.QComboBox.AdjustToContents)
        for choice in spec.allowed:
            self.combo.addItem(_label(spec, choice), choice)
        self.edit = self.combo.lineEdit()
        self.edit.setPlaceholderText(f"a name, or e.g. {EXAMPLES[spec.type]}")
        self._layout.addWidget(self.combo)
        # An editable combo sizes itself to its items' text, leaving out its line edit's
        # own text margins: without them the longest name, `glorot_uniform  (default)`,
        # is cut by a few pixels.
        self._names_width = self.combo.sizeHint().width() + EDIT_MARGINS
        self.combo.setMinimumWidth(self._names_width)
        self.combo.activated.connect(self._on_combo_activated)
        self.edit.editingFinished.connect(self._on_edit_finished)
        guard_wheel(self.combo)
        self._shown = ""
        self.problem = ""

    def set_value(self, value: Any, explicit: bool) -> None:
        self._clear_problem()
        with QtCore.QSignalBlocker(self.combo):
            index = -1 if is_object(value) else self.combo.findData(value)
            self.combo.setCurrentIndex(index)
            if index < 0:
                self.combo.setEditText(value_text(self.spec, value))
        self._shown = self.edit.text()
        self._fit_text(is_object(value))

    def _fit_text(self, typed: bool) -> None:
        """Room for a typed object's text, so that the form wraps the row rather than
        clip it; the names set the least width."""
        width = self._names_width
        if typed:
            advance = self.edit.fontMetrics().horizontalAdvance(self._shown) + 48
            width = max(width, min(advance, MAX_TEXT_WIDTH))
        self.combo.setMinimumWidth(width)
        self.combo.setToolTip(self._shown if typed else "")

    def _on_combo_activated(self, index: int) -> None:
        if index >= 0 and self.combo.itemText(index) == self.edit.text():
            self._commit(self.edit.text(), self.combo.itemData(index))

    def _on_edit_finished(self) -> None:
        text = self.edit.text().strip()
        if text == self._shown and not self.problem:
            return
        index = self.combo.findText(text)
        if index >= 0:
            raw = self.combo.itemData(index)
        elif text == "" or text.lower() in ("none", "null"):
            raw = None if None in self.spec.allowed else RESET
        else:
            raw = text
        self._commit(text, raw)

    def _commit(self, text: str, raw: Any) -> None:
        if text == self._shown and not self.problem:
            return
        if raw is not RESET:
            try:
                self.spec.coerce(raw)
            except ParamError as exc:
                self._show_problem(str(exc))
                return
        self._clear_problem()
        self._shown = text
        self.committed.emit(raw)

    def _show_problem(self, message: str) -> None:
        self.problem = message
        self._mark(True)
        tip = f"<qt>{html.escape(message)}</qt>"  # rich text: Qt wraps it to a readable width
        self.combo.setToolTip(tip)
        where = self.combo.mapToGlobal(QtCore.QPoint(0, self.combo.height()))
        QtWidgets.QToolTip.showText(where, tip, self.combo)
        self.refused.emit(message)

    def _clear_problem(self) -> None:
        if self.problem:
            self.problem = ""
            self._mark(False)
            self.combo.setToolTip("")
            QtWidgets.QToolTip.hideText()

    def _mark(self, bad: bool) -> None:
        """Outline the field (style.qss: `QComboBox[bad="true"]`)."""
        self.combo.setProperty("bad", bad)
        self.combo.style().unpolish(self.combo)
        self.combo.style().polish(self.combo)


def _label(spec: ParamSpec, choice: Any) -> str:
    label = value_text(spec, choice)
    if not spec.required and choice == spec.default:
        label += "  (default)"
    return label

