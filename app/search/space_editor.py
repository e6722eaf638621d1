"""The searched parameters, as the Search tab edits them: the table, the buttons that
add the training settings, and the problems the search space has.

Parameters are marked from the properties panel (the search toggle beside each
editor), here for the training settings, and here for an argument of a configured
object a parameter holds (`object_picker`: `dense.kernel_regularizer` then `l2`); their
ranges are edited in the table ("4 .. 32 step 4", "0.0001 .. 0.1 log", "relu, gelu",
"L2(l2=0.0001), L1L2(l1=1e-05, l2=0.001), None"). Every change is a command
on the undo stack. The table follows the edits that rename, remove or change a
searched parameter; a space check (in a thread) lists what would stop a search.
"""

from __future__ import annotations

import math
import re

from PySide6 import QtCore, QtWidgets

from ...graph import events as ev
from ...graph.errors import ParamError
from ...graph.search import key_of, search_params
from ...graph.search_edit import mark, suggest_range, unmark
from ...graph.search_objects import choice_label, object_spec
from ..panels.editors import parse_text
from .object_picker import ObjectArgumentPicker
from .params_table import ParamsTable
from .space_check import SpaceChecker

_RANGE = re.compile(r"^\s*(\S+)\s*\.\.\s*(\S+?)(?:\s+step\s+(\S+))?(\s+log)?\s*$")
TRAINING_KNOBS = (("learning rate", "optimizer.learning_rate"), ("batch size", "batch_size"))
# The edits that can change the searched parameters' rows.
_EDITS = (ev.SEARCH_CHANGED, ev.RESET, ev.NODE_RENAMED, ev.NODE_REMOVED, ev.PARAM_CHANGED,
          ev.EDGE_ADDED, ev.EDGE_REMOVED)


def range_text(entry) -> str:
    """`4 .. 32 step 4`, `0.0001 .. 0.1 log` or `relu, gelu`."""
    if entry.type == "choice":
        return ", ".join("None" if c is None else str(choice_label(c)) for c in entry.choices)
    text = f"{entry.low:g} .. {entry.high:g}"
    return text + (f" step {entry.step:g}" if entry.step else "") + (" log" if entry.log else "")


def parse_range(text: str, kind: str) -> dict:
    """The entry fields of a range typed as `range_text` shows them.

    Raises:
        ValueError: the text does not read as a range of that kind.
    """
    if kind == "choice":
        choices = [parse_text(part) for part in _top_level_parts(text) if part.strip()]
        if not choices:
            raise ValueError("expected values separated by commas, e.g. relu, gelu")
        return {"type": "choice", "choices": choices}
    match = _RANGE.match(text)
    if not match:
        raise ValueError(f"expected LOW .. HIGH [step S] [log]. Received: {text!r}")
    low, high, step, log = match.groups()
    entry = {"type": kind, "low": _number("low", low, kind), "high": _number("high", high, kind)}
    if step:
        entry["step"] = _number("step", step, kind)
    if log:
        entry["log"] = True
    return entry


def _number(field: str, text: str, kind: str) -> int | float:
    """`text` as a finite number, a whole one for an int range (4.0 is 4, 4.5 refused
    rather than cut to 4)."""
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"expected a number. Received: {field}={text!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"expected a finite number. Received: {field}={text}")
    if kind == "int" and not value.is_integer():
        raise ValueError(f"expected a whole number for an int parameter. "
                         f"Received: {field}={text}")
    return int(value) if kind == "int" else value


def _top_level_parts(text: str) -> list[str]:
    """`text` split at the commas outside brackets and quotes: `L1L2(l1=0.1, l2=0.2), None`
    is two choices."""
    parts, depth, quote, start = [], 0, "", 0
    for i, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    return parts + [text[start:]]


def normal_choices(doc, entry, fields: dict) -> dict:
    """An object parameter's typed choices in the file's normal form (`L2(1e-4)` becomes
    its dict); a choice the parameter refuses stays as typed, for the checks to name."""
    spec = object_spec(doc, entry.node, entry.param) if entry.argument is None and \
        entry.node else None
    if spec is None or "choices" not in fields:
        return fields
    return {**fields, "choices": [_coerced(spec, c) for c in fields["choices"]]}


def _coerced(spec, value):
    try:
        return spec.coerce(value)
    except ParamError:
        return value


class SearchSpaceEditor(QtWidgets.QWidget):
    """The searched parameters of `doc`: a view of its `search` section's entries.

    `status_message` says why a typed range was refused; `refreshed` follows each
    refresh of the table.
    """

    status_message = QtCore.Signal(str)
    refreshed = QtCore.Signal()

    def __init__(self, doc, stack, parent=None):
        super().__init__(parent)
        self.doc, self.stack = doc, stack
        self.space_check = SpaceChecker(self)
        self.space_check.checked.connect(self._on_space_checked)
        self._build()
        for kind in _EDITS:
            getattr(doc.events, kind).connect(self._on_doc_changed)
        doc.events.bulk_finished.connect(self._on_doc_bulk_finished)
        self._refresh_due = False  # an edit in progress changed the table: refresh at its end

    def _build(self) -> None:
        self.params = ParamsTable()
        self.params.itemChanged.connect(self._on_params_item_changed)
        self.params.remove_requested.connect(self._on_params_remove_requested)
        self.problems = QtWidgets.QLabel()
        self.problems.setObjectName("Error")
        self.problems.setWordWrap(True)
        self.problems.hide()  # shown with a problem: on a small screen the table needs the room
        column = QtWidgets.QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.params)
        column.addLayout(self._knob_buttons())
        self.object_picker = ObjectArgumentPicker()
        self.object_picker.picked.connect(self._on_object_picker_picked)
        column.addWidget(self.object_picker)
        column.addWidget(self.problems)

    def _knob_buttons(self) -> QtWidgets.QHBoxLayout:
        row = QtWidgets.QHBoxLayout()
        for text, path in TRAINING_KNOBS:
            button = QtWidgets.QPushButton(f"+ {text}")
            button.clicked.connect(lambda _=False, p=path: self.toggle(("training", p)))
            row.addWidget(button)
        self.remove_button = QtWidgets.QPushButton("Remove")
        self.remove_button.clicked.connect(self._on_remove_clicked)
        row.addWidget(self.remove_button)
        return row

    def follow(self, dock) -> None:
        """Check the space and list the object parameters only while `dock` can be seen."""
        self.space_check.follow(dock)
        self.object_picker.follow(dock)

    def refresh(self) -> None:
        self.params.show_entries(self.doc, search_params(self.doc), range_text)
        self.object_picker.show_doc(self.doc)
        self.space_check.request(self.doc)  # in a thread; `_on_space_checked` shows it
        self.refreshed.emit()

    def _on_space_checked(self, messages: list) -> None:
        self.problems.setText("\n".join(messages))
        self.problems.setVisible(bool(messages))  # empty, its line is the table's

    def toggle(self, target: tuple[str, str]) -> None:
        """Search `target` with a first range around its value, or stop searching it."""
        if any(e.target == target for e in search_params(self.doc)):
            self.stack.push(unmark(self.doc, target))
        else:
            self.stack.push(mark(self.doc, target, suggest_range(self.doc, target)))

    def _on_object_picker_picked(self, target: tuple[str, str, str]) -> None:
        self.stack.push(mark(self.doc, target, suggest_range(self.doc, target)))

    def _on_params_item_changed(self, item) -> None:
        entry = search_params(self.doc)[item.row()]
        try:
            fields = normal_choices(self.doc, entry, parse_range(item.text(), entry.type))
        except ValueError as exc:
            self.status_message.emit(f"{key_of(self.doc, entry.target)}: {exc}")
            self.refresh()
            return
        raw = {**entry.to_json(), **fields}
        for key in ("step", "log", "choices", "low", "high"):
            if key not in fields:
                raw.pop(key, None)
        self.stack.push(mark(self.doc, entry.target, raw))

    def _on_params_remove_requested(self, target: tuple[str, str]) -> None:
        """A dangling entry's fix: stop searching the deleted node's parameter."""
        self.stack.push(unmark(self.doc, target))

    def _on_remove_clicked(self) -> None:
        rows = sorted({i.row() for i in self.params.selectedIndexes()})
        entries = search_params(self.doc)
        with self.stack.macro("Stop searching"):
            for row in rows:
                self.stack.push(unmark(self.doc, entries[row].target))

    def _on_doc_changed(self, event: ev.Event) -> None:
        if self.doc.events.in_bulk:  # a delete of 354 nodes sent 738 events
            self._refresh_due = True
        else:
            self.refresh()

    def _on_doc_bulk_finished(self, _event: ev.Event) -> None:
        if self._refresh_due:
            self._refresh_due = False
            self.refresh()

    def shutdown(self) -> None:
        self.space_check.shutdown()
