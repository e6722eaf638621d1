"""The training settings form: every setting of `graph.training_schema`, made from its tables.

Rows are generated, not hand-written: the optimizer's options come from
`OPTIMIZERS`, the schedule's from `SCHEDULES`, each callback's from `CALLBACKS`
and the fine-tuning phases from `runtime.finetune.FIELDS`; a new entry in those
tables gets its row here. `setting_type` picks a type from a setting's default and
`EDITOR_TYPES` maps the type to an editor of `app.editors` (the properties
panel's table) and to the parser of what the user typed.

Each edit is one undoable `SetTraining`. The form re-reads the document on every
refresh, so undo shows at once, and each `check_training` issue (and each
fine-tuning refusal) is shown under the row of the field it names.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from PySide6 import QtCore, QtWidgets

from ...graph import commands as cmd
from ...graph import events as ev
from ...graph import training_code
from ...graph.params import ParamSpec
from ...graph.spec import APPLICATION
from ...graph.training import DEFAULTS, default_loss, model_outputs, output_names
from ...graph.training_schema import (
    CALLBACKS,
    DEVICES,
    EXTRA_DEFAULTS,
    METRIC_NAMES,
    MODES,
    OPTIMIZERS,
    PRECISIONS,
    REQUIRED,
    SCHEDULES,
    check_training,
    logged_names,
    resolve_extended,
)
from ...runtime.finetune import FIELDS as FINETUNE_FIELDS
from ...runtime.finetune import FinetuneError, finetune_settings
from ..panels.editors import (
    RESET,
    BoolEditor,
    ChoiceEditor,
    LineEditor,
    WordCompleter,
    format_value,
    parse_text,
)
from .code_dialog import TrainingCodeDialog, code_button_text

LOSSES = ("sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy",
          "mean_squared_error", "mean_absolute_error", "huber", "focal_loss")
CHOICES: dict[str, tuple] = {"mode": MODES, "mixed_precision": PRECISIONS, "device": DEVICES,
                             "class_weight": (None, "balanced")}
LIST_KEYS = ("boundaries", "values")
GENERAL = ("batch_size", "epochs", "validation_split", "shuffle", "seed", "class_weight",
           "mixed_precision", "device", "test_data")
ERROR_STYLE = "color: #ff6b6b"
STRUCTURE_EVENTS = (ev.NODE_ADDED, ev.NODE_REMOVED, ev.NODE_RENAMED, ev.OUTPUTS_CHANGED)
PER_OUTPUT = ("loss", "metrics", "loss_weights")
# Values a switched-on section starts with: paths a user must name, and the two phases.
CALLBACK_STARTS = {"model_checkpoint": {"filepath": "checkpoints/best.keras",
                                        "save_best_only": True},
                   "csv_logger": {"filename": "training_log.csv"}}
FINETUNE_START = {"phase1_epochs": 3, "phase1_lr": 1e-3, "phase2_epochs": 2, "phase2_lr": 1e-5,
                  "unfreeze_from": 0}


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


# ---- reading and writing one setting of a training dict -----------------------------
def _options(raw) -> dict:
    return {"name": raw} if isinstance(raw, str) else dict(raw or {})


def _callback(training: dict, name: str) -> dict | None:
    return next((cb for cb in training.get("callbacks") or []
                 if isinstance(cb, dict) and cb.get("name") == name), None)


def lookup(training: dict, path: tuple) -> tuple[bool, Any]:
    """(set, value) of the setting at `path` in a training dict (raw or resolved)."""
    head = path[0]
    if head == "callbacks":
        entry = _callback(training, path[1])
        if len(path) == 2:
            return True, entry is not None
        return (True, entry[path[2]]) if entry and path[2] in entry else (False, None)
    if head == "finetune" and len(path) == 1:
        return True, training.get("finetune") is not None
    if head in ("optimizer", "schedule", "finetune"):
        options = _options(training.get(head))
        return path[1] in options, options.get(path[1])
    if head in PER_OUTPUT and len(path) == 2:
        value = training.get(head)
        if isinstance(value, dict):
            return path[1] in value, value.get(path[1])
        return value is not None, value
    return head in training, training.get(head)


def _with_name(options: dict, name: str, table: dict) -> dict:
    # Options of the old choice (momentum, rho…) do not apply to the new one.
    return {**{k: v for k, v in options.items() if k in table.get(name, {})}, "name": name}


def _put(options: dict, key: str, value) -> dict:
    if value is RESET:
        options.pop(key, None)
    else:
        options[key] = value
    return options


def written(training: dict, path: tuple, value, outputs: list[str]) -> dict:
    """`training` with the setting at `path` set to `value` (RESET removes it)."""
    head = path[0]
    if head == "callbacks":
        callbacks = [cb for cb in training.get("callbacks") or []
                     if not (isinstance(cb, dict) and cb.get("name") == path[1])]
        entry = _callback(training, path[1])
        if len(path) == 3:
            entry = _put(dict(entry or {"name": path[1]}), path[2], value)
        elif value is True:
            entry = entry or {"name": path[1], **CALLBACK_STARTS.get(path[1], {})}
        else:
            entry = None
        training["callbacks"] = callbacks + ([entry] if entry else [])
    elif head == "finetune" and len(path) == 1:
        if value is True:
            training["finetune"] = {**FINETUNE_START, **_options(training.get("finetune"))}
        else:
            training.pop("finetune", None)
    elif head in ("optimizer", "schedule") and path[1] == "name":
        table = OPTIMIZERS if head == "optimizer" else SCHEDULES
        training[head] = _with_name(_options(training.get(head)), value, table)
    elif head in ("optimizer", "schedule", "finetune"):
        training[head] = _put(_options(training.get(head)), path[1], value)
    elif head in PER_OUTPUT and len(path) == 2:
        shared = training.get(head)
        per = dict(shared) if isinstance(shared, dict) else \
            {n: copy.deepcopy(shared) for n in outputs} if shared is not None else {}
        training[head] = _put(per, path[1], value)
    else:
        _put(training, head, value)
    return {k: v for k, v in training.items() if v != {} or k == "ui"}


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


def setting_type(key: str, default: Any) -> str:
    """The editor type of a setting, from its name and its default value."""
    if key in LIST_KEYS:
        return "numbers"
    if key == "class_weight":
        return "class_weight"
    if key == "test_data":
        return "text"
    if key in CHOICES:
        return "choice"
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int) or key == "seed":
        return "int"
    if isinstance(default, float) or default is None:
        return "float"
    return "text"


def finetune_issues(training: dict) -> list[tuple[str, str]]:
    """(field, message) of the fine-tuning refusal, if any."""
    try:
        finetune_settings(training)
    except FinetuneError as exc:
        return [(str(exc).partition(":")[0], str(exc))]
    return []


def field_path(field: str, settings: dict) -> tuple:
    """("callbacks", "early_stopping", "patience") for "training.callbacks[0].patience"."""
    def name_of(match):
        callbacks = settings.get("callbacks") or []
        index = int(match.group(1))
        entry = callbacks[index] if index < len(callbacks) else None
        return f".{entry.get('name')}" if isinstance(entry, dict) else f".{index}"

    text = re.sub(r"\[(\d+)\]", name_of, field.removeprefix("training").lstrip("."))
    parts = tuple(p for p in text.split(".") if p)
    if len(parts) == 3 and parts[0] == "callbacks" and parts[2] == "name":
        parts = parts[:2]
    return parts


def _table_default(path: tuple):
    default = CALLBACKS[path[1]][path[2]] if path[0] == "callbacks" else None
    return None if default is REQUIRED else default


class TrainingForm(QtWidgets.QWidget):
    """Every training setting; each edit is one undoable SetTraining.

    `fields` maps a setting path (("optimizer", "learning_rate"), ("loss", output),
    ("callbacks", "early_stopping", "patience"), ("finetune", "phase2_lr")) to its
    editor; `errors` maps it to the label that shows its issue.
    """

    def __init__(self, doc, stack, parent=None):
        super().__init__(parent)
        self.doc, self.stack = doc, stack
        self.fields: dict[tuple, Any] = {}
        self.errors: dict[tuple, QtWidgets.QLabel] = {}
        self.types: dict[tuple, str] = {}
        self._forms: dict[tuple, QtWidgets.QFormLayout] = {}
        self._outputs: list[str] | None = None
        self._custom: list[str] = []
        self._monitors: list[str] = []
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.general_error = QtWidgets.QLabel(wordWrap=True, styleSheet=ERROR_STYLE)
        layout.addWidget(self.general_error)
        self.groups = {title: self._group(layout, title) for title in (
            "Optimizer", "Schedule", "Training", "Outputs", "Callbacks", "Fine-tuning")}
        layout.addStretch(1)
        self._refresh_due = False
        self._build_rows()
        self.refresh()
        subscribed = [(ev.TRAINING_CHANGED, self._on_doc_training_changed),
                      (ev.RESET, self._on_doc_training_changed),
                      *[(kind, self._on_doc_structure_changed) for kind in STRUCTURE_EVENTS]]
        for kind, slot in subscribed:
            getattr(doc.events, kind).connect(slot)
        self.destroyed.connect(lambda *_: [getattr(doc.events, kind).disconnect(slot)
                                           for kind, slot in subscribed])

    def _on_doc_training_changed(self, event: ev.TrainingChanged | ev.Reset) -> None:
        self.refresh()

    def _on_doc_structure_changed(self, event: ev.Event) -> None:
        # Outputs, their names and Application nodes shape the form; a paste of
        # many nodes is coalesced into one refresh.
        if not self._refresh_due:
            self._refresh_due = True
            QtCore.QTimer.singleShot(0, self._on_refresh_due)

    def _on_refresh_due(self) -> None:
        self._refresh_due = False
        self.refresh()

    @staticmethod
    def _group(layout, title: str) -> QtWidgets.QFormLayout:
        box = QtWidgets.QGroupBox(title)
        layout.addWidget(box)
        return QtWidgets.QFormLayout(box)

    # ---- rows ------------------------------------------------------------------
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

    # ---- document -> widgets -------------------------------------------------------
    def _resolved(self) -> dict:
        try:
            return resolve_extended(self.doc)
        except (ValueError, TypeError, AttributeError):
            # Unreadable settings are shown as defaults; the issue row says why.
            return resolve_extended(self.doc, {k: None for k in ("loss", "metrics",
                                                                 "loss_weights")})

    def refresh(self) -> None:
        """Show the document's settings: set ones as values, the rest as defaults."""
        names = output_names(self.doc)
        custom = list(training_code.defined(training_code.source(self.doc.training)))
        if names != self._outputs or custom != self._custom:
            self._build_outputs(names)
        raw, settings = self.doc.training or {}, self._resolved()
        for path, editor in self.fields.items():
            found, value = lookup(raw, path)
            if not found:
                known, value = lookup(settings, path)
                value = value if known else _table_default(path)
            self._show(path, editor, value, found, settings)
        self._show_visibility(settings)
        self._show_issues(settings)
        self._offer_monitors(settings)

    def _offer_monitors(self, settings: dict) -> None:
        """Complete each callback's `monitor` with the values training will log."""
        names = logged_names(self.doc, settings)
        offered = [f"val_{n}" for n in names] + names
        if offered == self._monitors:
            return
        self._monitors = offered
        for path, editor in self.fields.items():
            if path[0] == "callbacks" and path[-1] == "monitor":
                editor.edit.setCompleter(WordCompleter(offered, editor.edit))

    def _show(self, path: tuple, editor, value, explicit: bool, settings: dict) -> None:
        if isinstance(editor, ChoiceEditor):
            if all(editor.combo.itemData(i) != value for i in range(editor.combo.count())):
                editor.combo.addItem(format_value(value), value)
            editor.set_value(value, True)
        elif isinstance(editor, LineEditor):
            editor.edit.setPlaceholderText(f"default: {self._default_text(path, settings)}")
            if isinstance(value, list):  # typed back as "a, b": words plain, numbers a tuple
                value = ", ".join(map(str, value)) if self.types[path] == "words" \
                    else tuple(value)
            editor.set_value(value, explicit)
        else:
            editor.set_value(value, True)

    def _default_text(self, path: tuple, settings: dict) -> str:
        head = path[0]
        if head in ("optimizer", "schedule"):
            default = {"optimizer": OPTIMIZERS, "schedule": SCHEDULES}[head].get(
                settings[head].get("name"), {}).get(path[1])
        elif head == "callbacks":
            default = CALLBACKS[path[1]][path[2]]
        elif head == "loss":
            out = next(o for o in model_outputs(self.doc) if o.name == path[1])
            default = default_loss(self.doc, out.id, out.port)
        elif head in ("metrics", "finetune"):
            default = None
        else:
            default = {**DEFAULTS, **EXTRA_DEFAULTS, "loss_weights": {}}.get(head)
            default = 1.0 if head == "loss_weights" else default
        return "required" if default is REQUIRED else format_value(default) or "none"

    def _show_visibility(self, settings: dict) -> None:
        optimizer, schedule = settings["optimizer"]["name"], settings["schedule"]["name"]
        on = {cb.get("name") for cb in settings["callbacks"] if isinstance(cb, dict)}
        tuning = "finetune" in (self.doc.training or {})
        has_base = tuning or any(n.kind == APPLICATION for n in self.doc.nodes.values())
        self.groups["Fine-tuning"].parentWidget().setVisible(has_base)
        for path in self.fields:
            visible = {"optimizer": lambda p: p[1] == "name" or p[1] in OPTIMIZERS.get(
                           optimizer, {}),
                       "schedule": lambda p: p[1] == "name" or p[1] in SCHEDULES.get(
                           schedule, {}),
                       "callbacks": lambda p: len(p) == 2 or p[1] in on,
                       "finetune": lambda p: len(p) == 1 or tuning}.get(
                path[0], lambda p: True)(path)
            self._forms[path].setRowVisible(self.fields[path].parentWidget(), visible)

    def _show_issues(self, settings: dict) -> None:
        found: dict[tuple, list[str]] = {}
        issues = [(i.field, i.message) for i in check_training(self.doc)]
        issues += finetune_issues(self.doc.training or {})
        general = []
        for field, message in issues:
            path = field_path(field, settings)
            while path and path not in self.errors:
                path = path[:-1]
            (found.setdefault(path, []) if path else general).append(message)
        for path, label in self.errors.items():
            label.setText("\n".join(found.get(path, [])))
            label.setVisible(path in found)
        self.general_error.setText("\n".join(general))
        self.general_error.setVisible(bool(general))

    def edit_training_code(self) -> TrainingCodeDialog:
        """The custom losses and metrics' code, in a dialog; accepted, one SetTraining."""
        self.code_dialog = TrainingCodeDialog(training_code.source(self.doc.training), self)
        self.code_dialog.accepted.connect(self._on_code_accepted)
        self.code_dialog.open()
        return self.code_dialog

    def _on_code_accepted(self) -> None:
        text = self.code_dialog.source()
        self.write((training_code.FIELD,), text if text.strip() else RESET)

    # ---- widgets -> document ----------------------------------------------------------
    def _on_field_committed(self, path: tuple, raw) -> None:
        parse = EDITOR_TYPES[self.types[path]][2]
        self.write(path, raw if raw is RESET else parse(raw))

    def write(self, path: tuple, value) -> None:
        """Set one setting (RESET: back to its default) as one undoable SetTraining."""
        training = written(copy.deepcopy(self.doc.training or {}), path, value,
                           self._outputs or [])
        if training != (self.doc.training or {}):
            self.stack.push(cmd.SetTraining(self.doc, training))  # refreshes via its event
        else:
            self.refresh()  # an edit that changes nothing still shows the document's value
