"""The training settings form: every setting of `graph.training_schema`, made from its tables.

Rows are generated, not hand-written: the optimizer's options come from
`OPTIMIZERS`, the schedule's from `SCHEDULES`, each callback's from `CALLBACKS`
and the fine-tuning phases from `runtime.finetune.FIELDS`; a new entry in those
tables gets its row here. `setting_type` picks a type from a setting's default and
`EDITOR_TYPES` maps the type to an editor of `app.editors` (the properties
panel's table) and to the parser of what the user typed.

Each edit is one undoable `SetTraining`. The form re-reads the document on every
refresh, so undo shows at once, and each `check_training` issue (and each
fine-tuning refusal) is shown under the row of the field it names. The sections and
their rows are built in `form_sections`; a setting is read and written by its path
in `settings_paths`.
"""

from __future__ import annotations

import copy
from typing import Any

from PySide6 import QtCore, QtWidgets

from ...graph import commands as cmd
from ...graph import events as ev
from ...graph import training_code
from ...graph.spec import APPLICATION
from ...graph.training import DEFAULTS, default_loss, model_outputs, output_names
from ...graph.training_schema import (
    CALLBACKS,
    EXTRA_DEFAULTS,
    OPTIMIZERS,
    REQUIRED,
    SCHEDULES,
    check_training,
    logged_names,
    resolve_extended,
)
from ..panels.editors import (
    RESET,
    ChoiceEditor,
    LineEditor,
    WordCompleter,
    format_value,
)
from .code_dialog import TrainingCodeDialog
from .form_sections import EDITOR_TYPES, ERROR_STYLE, FormSectionsMixin, show_choices
from .settings_paths import field_path, finetune_issues, lookup, table_default, written

STRUCTURE_EVENTS = (ev.NODE_ADDED, ev.NODE_REMOVED, ev.NODE_RENAMED, ev.OUTPUTS_CHANGED)


class TrainingForm(FormSectionsMixin, QtWidgets.QWidget):
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
        # A child timer: it dies with the form, so a refresh due when the window closes
        # never reaches widgets already deleted.
        self._refresh_timer = QtCore.QTimer(self, singleShot=True, interval=0)
        self._refresh_timer.timeout.connect(self._on_refresh_due)
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
        self._refresh_timer.start()

    def _on_refresh_due(self) -> None:
        self.refresh()

    def shutdown(self) -> None:
        """Drop a refresh still due (the window is closing)."""
        self._refresh_timer.stop()

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
                value = value if known else table_default(path)
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
            show_choices(editor, value, self._default(path, settings))
        elif isinstance(editor, LineEditor):
            editor.edit.setPlaceholderText(f"default: {self._default_text(path, settings)}")
            if isinstance(value, list):  # typed back as "a, b": words plain, numbers a tuple
                value = ", ".join(map(str, value)) if self.types[path] == "words" \
                    else tuple(value)
            editor.set_value(value, explicit)
        else:
            editor.set_value(value, True)

    def _default_text(self, path: tuple, settings: dict) -> str:
        default = self._default(path, settings)
        return "required" if default is REQUIRED else format_value(default) or "none"

    def _default(self, path: tuple, settings: dict):
        """What the setting at `path` is when the document leaves it out."""
        head = path[0]
        if head in ("optimizer", "schedule") and path[1] == "name":
            default = {**DEFAULTS, **EXTRA_DEFAULTS}[head]["name"]
        elif head in ("optimizer", "schedule"):
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
        return default

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
