"""The Search tab: the searched parameters, run/pause/stop, the live study, "Apply best".

The searched parameters and their ranges are edited in `space_editor`. This module
runs the study: its options (trials, parallel jobs, sampler, pruner), the checks and
the study in `runner`, the trials' table and plots as their events arrive, and "Apply
best", one undoable command. A study runs on a snapshot of the document, in the
project's journal file (`PROJECT.study.log`; the data folder for an unsaved project).
"""

from __future__ import annotations

import copy
import time
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from ...graph.initial_weights import anchored
from ...graph.layers import custom
from ...graph.paths import data_dir
from ...graph.projectfile import from_dict, to_dict
from ...graph.search import objective, search_params
from ...graph.search_edit import apply_values
from ...runtime.events import Importances, TrialEnd, TrialEpoch, TrialStart, require_study
from ..panels.wheel import guard_wheel
from .runner import CHECKING, SearchRunner
from .space_editor import SearchSpaceEditor
from .stored import StoredStudyWatch
from .views import StudyPlots, TrialRecord, TrialsTable, best_record, records_from

SAMPLERS = ("tpe", "random", "gp", "qmc")
PRUNERS = ("median", "hyperband", "successive_halving", "percentile", "none")


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
        self._build()
        self.refresh()
        # The study the project's journal holds: listed when the tab opens, followed after.
        self.stored = StoredStudyWatch(self._stored_where, lambda: self.runner.running, self)
        self.stored.read.connect(self._on_stored_read)
        self.stored.failed.connect(self._on_stored_failed)
        self._importances: dict[str, float] = {}
        self.stored.start()

    # ---- building -----------------------------------------------------------------
    def _build(self) -> None:
        self.space = SearchSpaceEditor(self.doc, self.stack)
        self.space.status_message.connect(self.status_message)
        self.space.refreshed.connect(self._update_buttons)
        # The space editor's parts, by the names the study's code and its users read.
        self.params, self.problems = self.space.params, self.space.problems
        self.space_check, self.remove_button = self.space.space_check, self.space.remove_button
        left = QtWidgets.QWidget()
        column = QtWidgets.QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.space)
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

    # ---- the searched parameters (`space_editor`) ----------------------------------
    def refresh(self) -> None:
        self.space.refresh()

    def follow(self, dock) -> None:
        """Do the space's work only while `dock` can be seen (`SearchSpaceEditor.follow`)."""
        self.space.follow(dock)

    def toggle(self, target: tuple[str, ...]) -> None:
        """Search `target` with a first range around its value, or stop searching it."""
        self.space.toggle(target)

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
        path = self._path()  # the initial weights file is read beside the project
        anchored(snapshot, Path(path).parent if path else None)
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
        self._opened, self.records = True, records_from(earlier)
        self._say(self._study_label)
        self._redraw()

    # ---- the study as its file holds it (`stored`) -------------------------------------
    def _stored_where(self):
        if not self._path():  # an unsaved project's Start makes a new study
            return None
        storage, name = self.storage()
        return storage, name, [e.key(self.doc) for e in search_params(self.doc)]

    def _on_stored_read(self, stored) -> None:
        if stored is None:
            return
        from kerascanvas.runtime.search.listing import describe

        metric, direction = objective(self.doc)
        self.metric_name, self.maximize = stored.metric or metric, stored.direction == "maximize"
        entries = search_params(self.doc)
        self.plots.set_study(self.metric_name, self.maximize, [e.key(self.doc) for e in entries],
                             {e.key(self.doc) for e in entries if e.log})
        if stored.importances is not None:
            self._importances = stored.importances
        self.plots.show_importances(self._importances)
        self.records = records_from(stored.trials)
        self._say(describe(stored, metric, direction))
        self._redraw()

    def _on_stored_failed(self, message: str) -> None:
        self._say(f"The project's study could not be listed: {message}.")

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
                self._importances = event.importances
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
        self.stored.mark_seen()  # this window wrote what the file holds now
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
        self.stored.stop()
        self.space.shutdown()
        self.runner.wait()
