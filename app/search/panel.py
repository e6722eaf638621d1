"""The Search tab: the searched parameters, run/pause/stop, the live study, "Apply best".

Parameters are marked from the properties panel (the search toggle beside each
editor) or here for the training settings; their ranges are edited in the table
("4 .. 32 step 4", "0.0001 .. 0.1 log", "relu, gelu"). Every change is a command
on the undo stack. A study runs on a snapshot of the document, in the project's
journal file (`PROJECT.study.log`; the data folder for an unsaved project).
"""

from __future__ import annotations

import copy
import re
import time
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from ...graph import events as ev
from ...graph.layers import custom
from ...graph.paths import data_dir
from ...graph.projectfile import from_dict, to_dict
from ...graph.search import objective, search_params
from ...graph.search_edit import apply_values, mark, suggest_range, unmark
from ...runtime.events import Importances, TrialEnd, TrialEpoch, TrialStart, require_study
from ..panels.editors import parse_text
from ..panels.wheel import guard_wheel
from .params_table import ParamsTable
from .runner import CHECKING, SearchRunner
from .space_check import SpaceChecker
from .views import StudyPlots, TrialRecord, TrialsTable, best_record

_RANGE = re.compile(r"^\s*(\S+)\s*\.\.\s*(\S+?)(?:\s+step\s+(\S+))?(\s+log)?\s*$")
TRAINING_KNOBS = (("learning rate", "optimizer.learning_rate"), ("batch size", "batch_size"))
SAMPLERS = ("tpe", "random", "gp", "qmc")
PRUNERS = ("median", "hyperband", "successive_halving", "percentile", "none")


def range_text(entry) -> str:
    """`4 .. 32 step 4`, `0.0001 .. 0.1 log` or `relu, gelu`."""
    if entry.type == "choice":
        return ", ".join("None" if c is None else str(c) for c in entry.choices)
    text = f"{entry.low:g} .. {entry.high:g}"
    return text + (f" step {entry.step:g}" if entry.step else "") + (" log" if entry.log else "")


def parse_range(text: str, kind: str) -> dict:
    """The entry fields of a range typed as `range_text` shows them.

    Raises:
        ValueError: the text does not read as a range of that kind.
    """
    if kind == "choice":
        choices = [parse_text(part) for part in text.split(",") if part.strip()]
        if not choices:
            raise ValueError("expected values separated by commas, e.g. relu, gelu")
        return {"type": "choice", "choices": choices}
    match = _RANGE.match(text)
    if not match:
        raise ValueError(f"expected LOW .. HIGH [step S] [log]. Received: {text!r}")
    low, high, step, log = match.groups()
    number = int if kind == "int" else float
    entry = {"type": kind, "low": number(float(low)), "high": number(float(high))}
    if step:
        entry["step"] = number(float(step))
    if log:
        entry["log"] = True
    return entry


class SearchPanel(QtWidgets.QWidget):
    """The Search dock's content; a view of the document's `search` section."""

    status_message = QtCore.Signal(str)

    def __init__(self, doc, stack, path_source=lambda: None, parent=None):
        super().__init__(parent)
        self.doc, self.stack, self._path = doc, stack, path_source
        self.records: dict[int, TrialRecord] = {}
        self.maximize, self.metric_name = True, ""
        self.runner = SearchRunner(self)
        self.runner.events.connect(self._on_runner_events)
        self.runner.finished.connect(self._on_runner_finished)
        self.runner.checking.connect(self._on_runner_checking)
        self.runner.checked.connect(self._on_runner_checked)
        self.runner.opened.connect(self._on_runner_opened)
        self._study_label, self._opened = "", False
        self.space_check = SpaceChecker(self)
        self.space_check.checked.connect(self._on_space_checked)
        self._build()
        # The searched parameters' table follows the edits that rename, remove or change them.
        for kind in (ev.SEARCH_CHANGED, ev.RESET, ev.NODE_RENAMED, ev.NODE_REMOVED,
                     ev.PARAM_CHANGED, ev.EDGE_ADDED, ev.EDGE_REMOVED):
            getattr(doc.events, kind).connect(self._on_doc_changed)
        doc.events.bulk_finished.connect(self._on_doc_bulk_finished)
        self._refresh_due = False  # an edit in progress changed the table: refresh at its end
        self.refresh()

    # ---- building -----------------------------------------------------------------
    def _build(self) -> None:
        self.params = ParamsTable()
        self.params.itemChanged.connect(self._on_params_item_changed)
        self.params.remove_requested.connect(self._on_params_remove_requested)
        self.problems = QtWidgets.QLabel()
        self.problems.setObjectName("Error")
        self.problems.setWordWrap(True)
        left = QtWidgets.QWidget()
        column = QtWidgets.QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.params)
        column.addLayout(self._knob_buttons())
        column.addWidget(self.problems)
        column.addLayout(self._controls())
        self.trials = TrialsTable()
        self.plots = StudyPlots()
        split = QtWidgets.QSplitter()
        for widget in (left, self.trials, self.plots):
            split.addWidget(widget)
        split.setSizes([330, 420, 420])
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(split)

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

    def _controls(self) -> QtWidgets.QFormLayout:
        form = QtWidgets.QFormLayout()
        self.trials_box = QtWidgets.QSpinBox(minimum=1, maximum=100000, value=20)
        self.jobs_box = QtWidgets.QSpinBox(minimum=1, maximum=256, value=1)
        self.epochs_box = QtWidgets.QSpinBox(minimum=0, maximum=100000, value=0)
        self.epochs_box.setSpecialValueText("project's")
        self.sampler_box, self.pruner_box = QtWidgets.QComboBox(), QtWidgets.QComboBox()
        self.sampler_box.addItems(SAMPLERS)
        self.pruner_box.addItems(PRUNERS)
        guard_wheel(self.trials_box, self.jobs_box, self.epochs_box, self.sampler_box,
                    self.pruner_box)
        for name, widget in (("trials", self.trials_box), ("parallel jobs", self.jobs_box),
                             ("epochs per trial", self.epochs_box),
                             ("sampler", self.sampler_box), ("pruner", self.pruner_box)):
            widget.setObjectName(f"Search_{name.replace(' ', '_')}")
            form.addRow(name, widget)
        buttons = QtWidgets.QHBoxLayout()
        self.start_button = QtWidgets.QPushButton("Start")
        self.pause_button = QtWidgets.QPushButton("Pause")
        self.stop_button = QtWidgets.QPushButton("Stop")
        self.apply_button = QtWidgets.QPushButton("Apply best")
        for button, slot in ((self.start_button, self.start), (self.pause_button,
                             self.toggle_pause), (self.stop_button, self.stop),
                             (self.apply_button, self.apply_best)):
            button.clicked.connect(slot)
            buttons.addWidget(button)
        form.addRow(buttons)
        self.busy = QtWidgets.QProgressBar(minimum=0, maximum=0, textVisible=False)
        self.busy.setObjectName("SearchChecking")
        self.busy.setMaximumHeight(8)
        policy = self.busy.sizePolicy()
        policy.setRetainSizeWhenHidden(True)  # the buttons stay put when it shows
        self.busy.setSizePolicy(policy)
        self.busy.hide()
        form.addRow(self.busy)
        self.status = QtWidgets.QLabel("No study running.")
        self.status.setWordWrap(True)
        form.addRow(self.status)
        return form

    # ---- the searched parameters -----------------------------------------------
    def refresh(self) -> None:
        self.params.show_entries(self.doc, search_params(self.doc), range_text)
        self.space_check.request(self.doc)  # in a thread; `_on_space_checked` shows it
        self._update_buttons()

    def _on_space_checked(self, messages: list) -> None:
        self.problems.setText("\n".join(messages))

    def toggle(self, target: tuple[str, str]) -> None:
        """Search `target` with a first range around its value, or stop searching it."""
        if any(e.target == target for e in search_params(self.doc)):
            self.stack.push(unmark(self.doc, target))
        else:
            self.stack.push(mark(self.doc, target, suggest_range(self.doc, target)))

    def _on_params_item_changed(self, item) -> None:
        entry = search_params(self.doc)[item.row()]
        try:
            fields = parse_range(item.text(), entry.type)
        except ValueError as exc:
            self.status_message.emit(str(exc))
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

    # ---- running ---------------------------------------------------------------------
    def storage(self) -> tuple[str, str]:
        """(journal file, study name): beside the project; for an unsaved project, a new
        study in the data folder (an unrelated graph must not join an older study)."""
        from kerascanvas.runtime.search.options import default_storage

        path = self._path()
        if path:
            return default_storage(path), Path(path).stem
        return (default_storage(data_dir() / "untitled.json"),
                time.strftime("untitled-%Y%m%d-%H%M%S"))

    def options(self):
        from kerascanvas.runtime.search.options import SearchOptions

        storage, name = self.storage()
        epochs = self.epochs_box.value()
        return SearchOptions(storage=storage, study_name=name, trials=self.trials_box.value(),
                             jobs=self.jobs_box.value(),
                             sampler={"name": self.sampler_box.currentText()},
                             pruner={"name": self.pruner_box.currentText()},
                             overrides={"epochs": epochs} if epochs else {},
                             # the window's trust goes to the trials, never the file's
                             trusted_code=custom.context(self.doc).trusted)

    @property
    def checking(self) -> bool:
        """The study's checks run (in a process of their own); Stop cancels them."""
        return self.runner.running and self.runner.phase == CHECKING

    def start(self) -> None:
        """Check the study in a process of its own, then run it; nothing here blocks."""
        if self.runner.running:
            return
        options = self.options()
        snapshot = from_dict(copy.deepcopy(to_dict(self.doc)))
        # The same graph: the project's trust and Keras' shapes serve it as they are.
        custom.set_context(snapshot, custom.context(self.doc))
        self.metric_name, direction = objective(snapshot)
        self.maximize = direction == "maximize"
        entries = search_params(snapshot)
        self.plots.set_study(self.metric_name, self.maximize, [e.key(snapshot) for e in entries],
                             {e.key(snapshot) for e in entries if e.log})
        self._study_label = (
            f"Study {options.study_name!r} in {options.storage}: "
            f"{'maximizing' if self.maximize else 'minimizing'} {self.metric_name}.")
        self._opened = False
        self.runner.start(snapshot, options)
        self._say("Checking the search before it starts...")
        self._redraw()

    def _on_runner_checking(self, step: str) -> None:
        self._say(f"Checking the search before it starts: {step}...")

    def _on_runner_checked(self, found: list) -> None:
        if found:
            self.problems.setText("\n".join(found))
            self._say("The search cannot start: " + "; ".join(found))
        else:
            self._say("The checks passed; opening the study...")

    def _on_runner_opened(self, earlier: list) -> None:
        """The trials the study already holds: earlier runs, other processes."""
        self._opened, self.records = True, {}
        for summary in earlier:
            self.records[summary["number"]] = TrialRecord(
                summary["number"], summary["params"], summary["state"], summary["value"],
                summary["message"], summary["duration_s"],
                [(e, v) for e, v in summary["curve"].items() if v is not None])
        self._say(self._study_label)
        self._redraw()

    def toggle_pause(self) -> None:
        if self.runner.driver is None or not self.runner.running:
            return
        if self.runner.driver.paused:
            self.runner.resume()
            self._say("Resumed.")
        else:
            self.runner.pause()
            self._say("Paused: running trials hold before their next batch.")
        self._update_buttons()

    def _on_runner_events(self, events: list) -> None:
        for event in events:
            if isinstance(require_study(event), TrialStart):
                self.records[event.number] = TrialRecord(event.number, dict(event.params))
            elif isinstance(event, TrialEpoch):
                self._record(event.number).curve.append((event.epoch, event.value))
            elif isinstance(event, TrialEnd):
                record = self._record(event.number)
                for name in ("state", "value", "message", "duration_s"):
                    setattr(record, name, getattr(event, name))
                record.params = dict(event.params) or record.params
            elif isinstance(event, Importances):
                self.plots.show_importances(event.importances)
        self._redraw()

    def _record(self, number: int) -> TrialRecord:
        return self.records.setdefault(number, TrialRecord(number))

    def _redraw(self) -> None:
        keys = [e.key(self.doc) for e in search_params(self.doc)]
        best = best_record(self.records, self.maximize)
        self.trials.show_records(self.records, keys, self.maximize, best)
        self.plots.redraw(self.records)
        self._update_buttons()

    def _on_runner_finished(self, error: str) -> None:
        if self.runner.cancelled or not self._opened:  # cancelled, refused, or no study
            if self.runner.cancelled:
                self._say("Checks cancelled: the study did not start.")
            elif error:
                self._say(f"The study did not start: {error}")
            self._update_buttons()
            return
        counts = {}
        for record in self.records.values():
            counts[record.state] = counts.get(record.state, 0) + 1
        text = ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
        self._say(f"The study ended with an error: {error}" if error else
                  f"The study ended ({text or 'no trial'}).")
        self._update_buttons()

    def _update_buttons(self) -> None:
        running, checking = self.runner.running, self.checking
        driver = self.runner.driver if running else None
        self.start_button.setEnabled(not running)
        self.start_button.setText("Checking..." if checking else "Start")
        self.pause_button.setEnabled(driver is not None)
        self.pause_button.setText("Resume" if driver is not None and driver.paused
                                  else "Pause")
        self.stop_button.setEnabled(running)
        self.stop_button.setText("Cancel" if checking else "Stop")
        self.busy.setVisible(checking)
        self.apply_button.setEnabled(best_record(self.records, self.maximize) is not None)

    def stop(self) -> None:
        """Cancel the checks, or stop the study after its trials' current batch."""
        self.runner.stop()
        self._update_buttons()

    def apply_best(self) -> None:
        """Write the best trial's values into the graph: one undoable command."""
        best = best_record(self.records, self.maximize)
        if best is None:
            return
        missing = apply_values(self.stack, self.doc, best.params,
                               f"Apply best trial {best.number}")
        note = f" (not in that trial: {', '.join(missing)})" if missing else ""
        self._say(f"Applied trial {best.number}: {self.metric_name}={best.value:.4g}{note}.")

    def _say(self, text: str) -> None:
        self.status.setText(text)
        self.status_message.emit(text)

    def shutdown(self) -> None:
        self.space_check.shutdown()
        self.runner.wait()
