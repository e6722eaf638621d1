"""The Search tab: the searched parameters, run/pause/stop, the live study, "Apply best".

The searched parameters and their ranges are edited in `space_editor`, the study's
options, buttons and status line are `controls`. The study runs in `runner` (the checks,
then the driver); `study_run` follows a run from Start to its end, the trials' table and
plots filling in as its events arrive. This module builds the tab, lists the study as
its file holds it (`stored`), and applies the best trial ("Apply best", one undoable
command). A study runs on a snapshot of the document, in the project's journal file
(`PROJECT.study.log`; the data folder for an unsaved project).
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from ...graph.layers import custom
from ...graph.paths import data_dir
from ...graph.search import objective, search_params
from ...graph.search_edit import SetSearchRun, apply_values
from ...graph.search_run import run_settings
from .controls import StudyControls
from .pause_state import PauseWords, cells
from .runner import CHECKING, SearchRunner
from .space_editor import SearchSpaceEditor
from .status_line import LISTING, PROBLEM, RUN
from .stored import StoredStudyWatch
from .study_run import StudyRun
from .views import StudyPlots, TrialRecord, TrialsTable, best_record, records_from


class SearchPanel(StudyRun, QtWidgets.QWidget):
    """The Search dock's content; a view of the document's `search` section. The run of a
    study, from Start to its end, is `study_run`'s."""

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
        self.runner.settled.connect(self._on_runner_settled)
        self._study_label, self._opened, self._driver = "", False, None
        self._pause_words = PauseWords()
        self._own: set[int] = set()  # the trials this window's run told of
        self._build()
        self.refresh()
        # The study the project's journal holds: listed when the tab opens, followed after.
        # While this window runs the study, its own trials follow their events and the
        # file's read brings the other processes' (`_merge`).
        self.stored = StoredStudyWatch(self._stored_where, lambda: self.checking,
                                       lambda: self.runner.running, self)
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
        self.controls = StudyControls()
        self.controls.setting_changed.connect(self._on_controls_setting_changed)
        self.space.refreshed.connect(self._show_settings)  # a load, an undo: the file's
        column.addWidget(self.controls)
        for name in ("trials_box", "jobs_box", "epochs_box", "limit_box", "sampler_box",
                     "pruner_box", "seed_box", "start_button", "pause_button", "stop_button",
                     "apply_button", "busy", "status"):  # the names its code and users read
            setattr(self, name, getattr(self.controls, name))
        for button, slot in ((self.start_button, self.start), (self.pause_button,
                             self.toggle_pause), (self.stop_button, self.stop),
                             (self.apply_button, self.apply_best)):
            button.clicked.connect(slot)
        self.trials = TrialsTable()
        self.plots = StudyPlots()
        split = QtWidgets.QSplitter()
        for widget in (left, self.trials, self.plots):
            split.addWidget(widget)
        split.setSizes([330, 420, 420])
        # The controls' column keeps its width as the tab's does change (a scroll bar that
        # comes as the content outgrows the dock took 14 px, 4 of them from the column's
        # buttons: Stop moved 2 px under the pointer); the table and plots take the change.
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setStretchFactor(2, 1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(split)

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
        # the window's trust goes to the trials, never the file's
        return self.controls.options(*self.storage(), custom.context(self.doc).trusted,
                                     run_settings(self.doc))

    # ---- the run settings: the project's search section (`graph.search_run`) ------------
    def _show_settings(self) -> None:
        self.controls.show_settings(run_settings(self.doc))

    def _on_controls_setting_changed(self, key: str, value) -> None:
        """One undoable edit of the document (the next change of the same box joins it)."""
        if run_settings(self.doc)[key] != value:
            self.stack.push(SetSearchRun(self.doc, key, value))

    @property
    def checking(self) -> bool:
        """The study's checks run (in a process of their own); Stop cancels them."""
        return self.runner.running and self.runner.phase == CHECKING

    # ---- the study as its file holds it (`stored`) -------------------------------------
    def _stored_where(self):
        if not self._path():  # an unsaved project's Start makes a new study
            return None
        storage, name = self.storage()
        return storage, name, [e.key(self.doc) for e in search_params(self.doc)]

    def _on_stored_read(self, stored) -> None:
        if stored is None:
            return
        if self.runner.running:
            self._merge(stored.trials)
            return
        from kerascanvas.runtime.search.listing import describe

        metric, direction = objective(self.doc)
        self._set_study(self.doc, stored.metric or metric, stored.direction == "maximize")
        if stored.importances is not None:
            self._importances = stored.importances
        self.plots.show_importances(self._importances)
        self.records = records_from(stored.trials)
        self.status.release("listing")  # the file reads again
        self._say(describe(stored, metric, direction), LISTING, "listing")
        self._redraw()

    def _merge(self, trials: list) -> None:
        """The file's trials while this window runs the study: another process's ones as
        the file holds them (they end, or their process is killed, without an event
        here); this run's own follow their events."""
        if self._opened:
            self.records.update(records_from(t for t in trials if t["number"] not in self._own))
            self._redraw()

    def _on_stored_failed(self, message: str) -> None:
        self._say(f"The project's study could not be listed: {message}.", PROBLEM, "listing")

    def _redraw(self) -> None:
        keys = [e.key(self.doc) for e in search_params(self.doc)]
        best = best_record(self.records, self.maximize)
        pausing = None if self.runner.driver is None else self.runner.driver.paused
        self.trials.show_records(self.records, keys, self.maximize, best,
                                 lambda record: cells(record, self._own, pausing))
        self.plots.redraw(self.records)
        self._update_buttons()

    def _update_buttons(self) -> None:
        driver = self.runner.driver
        self.controls.show_state(self.runner.running, self.checking,
                                 None if driver is None else driver.paused,
                                 best_record(self.records, self.maximize) is not None)

    def apply_best(self) -> None:
        """Write the best trial's values into the graph: one undoable command."""
        best = best_record(self.records, self.maximize)
        if best is None:
            return
        missing = apply_values(self.stack, self.doc, best.params,
                               f"Apply best trial {best.number}")
        note = f" (not in that trial: {', '.join(missing)})" if missing else ""
        self.status.release()
        self._say(f"Applied trial {best.number}: {self.metric_name}={best.value:.4g}{note}.",
                  RUN)

    def _say(self, text: str, rank: int, source: str = "run") -> None:
        """The status line says `text` unless a more important message holds it
        (`controls.StatusLine`); the window's status bar says it either way."""
        self.status.say(text, rank, source)
        self.status_message.emit(text)

    def shutdown(self) -> None:
        self.stored.stop()
        self.space.shutdown()
        self.runner.wait()
