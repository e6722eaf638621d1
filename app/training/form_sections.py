"""The training form's sections (Optimizer, Schedule, Training, Outputs, Callbacks,
Fine-tuning) and their rows, generated from the settings' tables; `EDITOR_TYPES` maps a
setting's type to its editor and to the parser of what the user typed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6 import QtWidgets

from ...graph import training_code
from ...graph.object_params import object_text
from ...graph.params import ParamSpec
from ...graph.training import DEFAULTS
from ...graph.training_schema import CALLBACKS, EXTRA_DEFAULTS, METRIC_NAMES, OPTIMIZERS, SCHEDULES
from ...runtime.finetune import FIELDS as FINETUNE_FIELDS
from ..panels.editors import (
    BoolEditor,
    ChoiceEditor,
    LineEditor,
    WordCompleter,
    parse_text,
    value_text,
)
from .code_dialog import code_button_text
from .settings_paths import CHOICES, setting_type
from .widths import compact_combo

LOGITS = tuple({"name": cls, "from_logits": True} for cls in (
    "SparseCategoricalCrossentropy", "CategoricalCrossentropy", "BinaryCrossentropy"))
# The cross-entropies also on logits (an output without softmax / sigmoid), as the call the
# script makes: SparseCategoricalCrossentropy(from_logits=True).
LOSSES = ("sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy",
          *LOGITS, "mean_squared_error", "mean_absolute_error", "huber", "focal_loss")
GENERAL = ("batch_size", "epochs", "validation_split", "shuffle", "shuffle_before_split", "seed",
           "class_weight", "mixed_precision", "device", "test_data")
ERROR_STYLE = "color: #ff6b6b"


def _number(raw, integer: bool):
    # Anything else is written as typed: check_training then says what was expected.
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return raw
    return int(raw) if integer and float(raw).is_integer() else float(raw) if not integer \
        else raw


def _numbers(raw):
    return raw if raw is None or isinstance(raw, list) else [raw]


def _words(raw) -> list[str]:
    return [w.strip() for w in str(raw).split(",") if w.strip()]


def _class_weight(raw):
    text = str(raw).strip()
    if text in ("", "balanced"):
        return text or None
    value = parse_text(text if text.startswith("{") else "{" + text + "}")
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else text


def choice_text(spec: ParamSpec, value) -> str:
    """A listed setting's value as the properties panel writes one: its name, None by name,
    and a custom loss with options as the call the script makes, `ScaledMAE(scale=2.0)`."""
    name = training_code.reference_name(value)
    if isinstance(value, dict) and name is not None:
        options = {k: v for k, v in value.items() if k != "name"}
        return object_text({"class_name": name, "config": options})
    return value_text(spec, value)


def show_choices(editor: ChoiceEditor, value, default) -> None:
    """Select `value` in a list, each entry named by `choice_text` and the default marked,
    as the properties panel marks a param's; a value the list lacks (a name or a custom
    loss read from a file) is added, so it shows as it is. The list may shrink, eliding its
    text, with the whole text as its tooltip."""
    combo = editor.combo
    if all(combo.itemData(i) != value for i in range(combo.count())):
        combo.addItem("", value)
    for i in range(combo.count()):
        choice = combo.itemData(i)
        mark = "  (default)" if choice == default and default is not None else ""
        combo.setItemText(i, choice_text(editor.spec, choice) + mark)
    editor.set_value(value, True)
    compact_combo(combo)  # a narrow column elides 'sparse_categorical_crossentropy'


# type -> (editor class, ParamSpec type the editor reads, parser of the committed value)
EDITOR_TYPES: dict[str, tuple[type, str, Callable[[Any], Any]]] = {
    "bool": (BoolEditor, "bool", bool),
    "choice": (ChoiceEditor, "choice", lambda raw: raw),
    "int": (LineEditor, "float", lambda raw: _number(raw, True)),
    "float": (LineEditor, "float", lambda raw: _number(raw, False)),
    "numbers": (LineEditor, "float", _numbers),
    "words": (LineEditor, "str", _words),
    "text": (LineEditor, "str", lambda raw: raw),
    "class_weight": (LineEditor, "str", _class_weight),
}


class FormSectionsMixin:
    """Mixed into `TrainingForm`: builds its groups and rows; expects `fields`, `errors`,
    `types`, `_forms`, `groups`, `doc` and `_on_field_committed`."""

    @staticmethod
    def _group(layout, title: str) -> QtWidgets.QFormLayout:
        box = QtWidgets.QGroupBox(title)
        layout.addWidget(box)
        return QtWidgets.QFormLayout(box)

    def _row(self, group: str, label: str, path: tuple, kind: str, choices=()) -> None:
        editor_class, spec_type, _ = EDITOR_TYPES[kind]
        spec = ParamSpec(path[-1], spec_type, default=None, choices=tuple(choices))
        editor = editor_class(spec)
        error = QtWidgets.QLabel(wordWrap=True, styleSheet=ERROR_STYLE)
        error.hide()
        cell = QtWidgets.QWidget()
        column = QtWidgets.QVBoxLayout(cell)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(editor)
        column.addWidget(error)
        self.groups[group].addRow(label, cell)
        self.fields[path], self.errors[path], self.types[path] = editor, error, kind
        self._forms[path] = self.groups[group]
        editor.committed.connect(lambda raw: self._on_field_committed(path, raw))

    def _option_rows(self, group: str, head: tuple, table: dict) -> None:
        seen = {}
        for options in table.values():
            for key, default in options.items():
                seen.setdefault(key, default)
        for key, default in seen.items():
            self._row(group, f"    {key.replace('_', ' ')}", (*head, key),
                      setting_type(key, default), CHOICES.get(key, ()))

    def _build_rows(self) -> None:
        self._row("Optimizer", "optimizer", ("optimizer", "name"), "choice", OPTIMIZERS)
        self._option_rows("Optimizer", ("optimizer",), OPTIMIZERS)
        self._row("Schedule", "schedule", ("schedule", "name"), "choice", SCHEDULES)
        self._option_rows("Schedule", ("schedule",), SCHEDULES)
        defaults = {**DEFAULTS, **EXTRA_DEFAULTS}
        for key in GENERAL:
            self._row("Training", key.replace("_", " "), (key,),
                      setting_type(key, defaults[key]), CHOICES.get(key, ()))
        for name, options in CALLBACKS.items():
            self._row("Callbacks", name.replace("_", " "), ("callbacks", name), "bool")
            for key, default in options.items():
                self._row("Callbacks", f"    {key.replace('_', ' ')}", ("callbacks", name, key),
                          setting_type(key, default), CHOICES.get(key, ()))
        self._row("Fine-tuning", "two phases", ("finetune",), "bool")
        for key, (kind, _) in FINETUNE_FIELDS.items():
            self._row("Fine-tuning", f"    {key.replace('_', ' ')}", ("finetune", key),
                      "int" if kind is int else "float")

    def _build_outputs(self, names: list[str]) -> None:
        form = self.groups["Outputs"]
        while form.rowCount():
            form.removeRow(0)
        for path in [p for p in self.fields if p[0] in ("loss", "metrics", "loss_weights")]:
            for table in (self.fields, self.errors, self.types, self._forms):
                del table[path]
        custom = list(training_code.defined(training_code.source(self.doc.training)))
        self.code_button = QtWidgets.QPushButton(code_button_text(self.doc.training))
        self.code_button.setObjectName("training_code_button")
        self.code_button.clicked.connect(self.edit_training_code)
        form.addRow("custom losses, metrics", self.code_button)
        for name in names:
            self._row("Outputs", f"{name} loss", ("loss", name), "choice", [*LOSSES, *custom])
            self._row("Outputs", f"{name} metrics", ("metrics", name), "words")
            edit = self.fields[("metrics", name)].edit
            edit.setCompleter(WordCompleter([*METRIC_NAMES, *custom], edit))
            if len(names) > 1:
                self._row("Outputs", f"{name} loss weight", ("loss_weights", name), "float")
        self._outputs, self._custom = names, custom
