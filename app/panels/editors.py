"""Parameter editors: one widget class per ParamSpec type, chosen from `EDITORS`.

Every editor shows a value in normal form and emits `committed(raw)` with what
the user entered; the properties panel coerces it through the ParamSpec, so the
refusal message is always the ParamError text.
"""

from __future__ import annotations

import json
import re
from typing import Any

from PySide6 import QtCore, QtWidgets

from ...graph import pysource
from ...graph.errors import ParamError
from ...graph.number_text import float_text
from ...graph.object_params import is_object, object_text
from ...graph.params import ParamSpec, to_json
from ..keys import Keys
from .wheel import guard_wheel

REVERT_TYPING = Keys("Take Back What Was Typed (Properties field)", ("Esc",))


def format_value(value: Any) -> str:
    """Text for a value in normal form: `3, 3` for tuples, empty for None."""
    if value is None:
        return ""
    if isinstance(value, tuple):
        inner = ", ".join(format_value(v) if not isinstance(v, tuple) else
                          "(" + format_value(v) + ")" for v in value)
        return inner if len(value) != 1 else inner + ","
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(to_json(value))
    if isinstance(value, float):
        return float_text(value)  # 1e+09, not 1000000000.0
    return str(value)


def value_text(spec: ParamSpec, value: Any) -> str:
    """A param's value as the properties panel names it: in the spec's normal form (a list
    read from a file is the tuple it stands for, `3, 3`), a configured object as its call,
    `L2(l2=0.0001)`, and None by name (a linear activation, an unset regularizer)."""
    try:
        value = spec.coerce(value)
    except ParamError:
        pass  # shown as it is: the Issues panel says what is wrong with it
    if value is None:
        return "None"
    return object_text(value) if is_object(value) else format_value(value)


def parse_text(text: str, as_string: bool = False) -> Any:
    """What a line of user text means: literals (`3, 3`, `0.5`, `None`), arithmetic of
    numbers (`1./255`), else the text."""
    text = text.strip()
    if as_string:
        return text
    if text == "" or text.lower() in ("none", "null"):
        return None
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        value = pysource.literal(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        try:
            return pysource.arithmetic(text)  # 1./255, as a Rescaling's scale is written
        except ValueError:
            pass
        try:
            return json.loads(text)
        except ValueError:
            return text
    return _lists(value)


# Integer-list fields also take `28 28 1` and `28x28x1`, as shapes are often written.
INT_SEQUENCE_TYPES = ("shape", "int_list", "ints", "int_or_list")
_SPACED_INTS = re.compile(r"^\s*(none|\d+)((\s+|\s*[x×]\s*)(none|\d+))+\s*$", re.IGNORECASE)


def with_commas(text: str) -> str:
    """`28 28 1` or `28x28x1` as `28, 28, 1`; other text unchanged.

    >>> with_commas("28 x 28"), with_commas("None 100"), with_commas("3, 3")
    ('28, 28', 'None, 100', '3, 3')
    """
    if not _SPACED_INTS.match(text):
        return text
    return ", ".join(re.split(r"\s*[x×]\s*|\s+", text.strip()))


def _lists(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_lists(v) for v in value]
    return value


class EscapeReverts(QtCore.QObject):
    """Escape in `edit` puts back the value it shows (`shown()`), dropping what was typed
    and not committed: leaving the field would commit it."""

    def __init__(self, edit: QtWidgets.QLineEdit, shown):
        super().__init__(edit)
        self.edit, self.shown = edit, shown
        edit.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QtCore.QEvent.KeyPress and REVERT_TYPING.pressed(event) \
                and self.edit.text() != self.shown():
            self.edit.setText(self.shown())
            self.edit.selectAll()
            return True
        return False


class Editor(QtWidgets.QWidget):
    """Base editor: a single child widget, `set_value`, and the `committed` signal."""

    committed = QtCore.Signal(object)

    def __init__(self, spec: ParamSpec, parent=None):
        super().__init__(parent)
        self.spec = spec
        self._layout = QtWidgets.QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    def set_value(self, value: Any, explicit: bool) -> None:
        raise NotImplementedError


class LineEditor(Editor):
    """Free text parsed as a literal: numbers, tuples, shapes, axes, strings, JSON."""

    def __init__(self, spec: ParamSpec, parent=None):
        super().__init__(spec, parent)
        self.edit = QtWidgets.QLineEdit()
        self._layout.addWidget(self.edit)
        if not spec.required:
            self.edit.setPlaceholderText(f"default: {format_value(spec.default) or 'None'}")
            # Room for the placeholder: a narrow form wraps the row rather than clip it.
            advance = self.edit.fontMetrics().horizontalAdvance(self.edit.placeholderText())
            self.edit.setMinimumWidth(advance + 12)
        self.edit.editingFinished.connect(self._on_edit_finished)
        self._shown = ""
        EscapeReverts(self.edit, lambda: self._shown)

    def set_value(self, value, explicit):
        self._shown = format_value(value) if explicit else ""
        self.edit.setText(self._shown)

    def _on_edit_finished(self):
        text = self.edit.text()
        if text == self._shown:
            return
        self._shown = text
        if text.strip() == "" and not self.spec.required and not self.spec.allow_none:
            self.committed.emit(_RESET)
            return
        if self.spec.type in INT_SEQUENCE_TYPES:
            text = with_commas(text)
        self.committed.emit(parse_text(text, as_string=self.spec.type == "str"))

    def commit(self, text: str) -> None:
        """Type `text` and press Enter, as a shortcut for tests."""
        self.edit.setText(text)
        self._on_edit_finished()


class BoolEditor(Editor):
    def __init__(self, spec: ParamSpec, parent=None):
        super().__init__(spec, parent)
        self.box = QtWidgets.QCheckBox()
        self._layout.addWidget(self.box)
        self.box.toggled.connect(self.committed.emit)

    def set_value(self, value, explicit):
        with QtCore.QSignalBlocker(self.box):
            self.box.setChecked(bool(value))


class ChoiceEditor(Editor):
    """A closed list of values (choice, activation)."""

    def __init__(self, spec: ParamSpec, parent=None):
        super().__init__(spec, parent)
        self.combo = QtWidgets.QComboBox()
        # As wide as its longest entry: the properties form then wraps the row rather than
        # clip the text when the panel is narrow.
        self.combo.setSizeAdjustPolicy(QtWidgets.QComboBox.AdjustToContents)
        self._layout.addWidget(self.combo)
        for choice in spec.allowed:
            label = value_text(spec, choice)
            if not spec.required and choice == spec.default:
                label += "  (default)"
            self.combo.addItem(label, choice)
        # Its minimum too, or the form squeezes it beside the label instead of wrapping.
        self.combo.setMinimumWidth(self.combo.sizeHint().width())
        self.combo.activated.connect(self._on_activated)
        guard_wheel(self.combo)

    def set_value(self, value, explicit):
        with QtCore.QSignalBlocker(self.combo):
            index = next((i for i in range(self.combo.count())
                          if self.combo.itemData(i) == value), -1)
            self.combo.setCurrentIndex(index)

    def _on_activated(self, index):
        self.committed.emit(self.combo.itemData(index))


class _Reset:
    def __repr__(self) -> str:
        return "RESET"


_RESET: Any = _Reset()
RESET = _RESET

EDITORS: dict[str, type[Editor]] = {
    "int": LineEditor,
    "float": LineEditor,
    "bool": BoolEditor,
    "choice": ChoiceEditor,
    "activation": ChoiceEditor,
    "ints": LineEditor,
    "int_list": LineEditor,
    "int_or_list": LineEditor,
    "float_or_list": LineEditor,
    "floats": LineEditor,
    "pairs": LineEditor,
    "shape": LineEditor,
    "str": LineEditor,
    "axis": LineEditor,
}


OBJECT_TYPES = ("initializer", "regularizer", "constraint")


def make_editor(spec: ParamSpec, parent=None) -> Editor:
    """The editor for `spec.type`; unknown types (e.g. json) get a line editor."""
    if spec.type in ("layer", "layers", "cell", "cells"):  # inner layer(s), cell(s): forms
        from .inner_editor import InnerLayerEditor, InnerLayersEditor

        one = spec.type in ("layer", "cell")
        return (InnerLayerEditor if one else InnerLayersEditor)(spec, parent)
    if spec.type in OBJECT_TYPES:  # a name, or a configured object typed as a call
        from .object_editor import ObjectEditor

        return ObjectEditor(spec, parent)
    return EDITORS.get(spec.type, LineEditor)(spec, parent)


class WordCompleter(QtWidgets.QCompleter):
    """Completes the last word of a comma-separated list ("accuracy, f1_m" offers
    f1_macro); picking one keeps the words before it."""

    def __init__(self, words, edit: QtWidgets.QLineEdit):
        super().__init__(list(words), edit)
        self.setCaseSensitivity(QtCore.Qt.CaseInsensitive)
        self._edit = edit

    def splitPath(self, path: str) -> list[str]:  # noqa: N802  (Qt's name)
        return [path.rpartition(",")[2].strip()]

    def pathFromIndex(self, index) -> str:  # noqa: N802  (Qt's name)
        head = self._edit.text().rpartition(",")[0]
        word = super().pathFromIndex(index)
        return f"{head}, {word}" if head else word
