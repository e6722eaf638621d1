"""The Training dock: data and settings, Start/Pause/Stop/Kill, progress, curves, runs, log.

Every setting edit is one undoable `SetTraining` on the document; the form
re-reads the document on TRAINING_CHANGED, so undo shows at once. Training
runs in the worker process (`controller`); this panel only shows
what the controller reports. The progress line refreshes from a 10 Hz timer,
the plots from their own, so a burst of batch events costs no redraws. The
project's runs (reading, listing, keeping) are in `project_runs`, the checks Start and
Continue make before a run in `run_start`, the process count beside Start in
`processes_box`, the fields beside Continue in `continue_fields`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtWidgets

from ...graph import events as ev
from ...graph.project import Project
from ...graph.training import DEFAULTS
from ...graph.training_paths import anchor_spec
from .continue_fields import ContinueFields
from .controller import TrainingController
from .data_changed import ChangeCheck
from .data_preview import DataPreview
from .flow_row import FlowRow
from .form import TrainingForm
from .plots import TrainingPlots
from .processes_box import ProcessesBox
from .project_runs import ProjectRunsMixin, metrics_text
from .records import progress_text
from .results import ResultsView
from .run_start import RunStartMixin
from .runs_reader import RunsReader
from .widths import SettingsScroll, SettingsWidth, fit_columns

PROGRESS_HZ = 10


class TrainingPanel(RunStartMixin, ProjectRunsMixin, QtWidgets.QWidget):
    """Train the document's model and watch it; compare runs; save the result."""

    status_message = QtCore.Signal(str)

    def __init__(self, project: Project, controller: TrainingController | None = None,
                 parent=None):
        super().__init__(parent)
        self.project = project
        doc, stack = self.doc, self.stack = project.doc, project.stack
        self.controller = controller or TrainingController(parent=self)
        self.folder: Path | None = None
        self.project_dir: Path | None = None  # relative paths of the settings start here
        self.data = DataPreview(project_dir=lambda: self.project_dir)
        self.change_check = ChangeCheck(self)  # Continue's data compared with its run's
        self.form = TrainingForm(doc, stack)
        self.plots = TrainingPlots()
        self.results = ResultsView(lambda: self.doc)
        self.reader = RunsReader(self)  # a project's saved runs, read off the GUI thread
        self._build()
        self._wire()
        self._follow_listed_runs()
        self.refresh()

    # ---- construction ------------------------------------------------------
    def _build(self) -> None:
        buttons = FlowRow()  # wraps onto a second row in a narrow dock
        self.start_button = QtWidgets.QPushButton("Start")
        self.pause_button = QtWidgets.QPushButton("Pause")
        self.stop_button = QtWidgets.QPushButton("Stop")
        self.kill_button = QtWidgets.QPushButton("Kill")
        self.continue_button = QtWidgets.QPushButton("Continue")
        self.continue_button.setToolTip("Continue the selected stopped or finished run from "
                                        "its saved model, to this epoch, with this "
                                        "learning rate")
        self.continue_fields = ContinueFields()
        fields = self.continue_fields  # the names tests and the runs mixin use:
        self.continue_lr_label, self.continue_lr = fields.lr_label, fields.lr
        self.continue_to_label, self.continue_to = fields.to_label, fields.to
        self.processes = ProcessesBox()
        for widget in (self.start_button, self.pause_button, self.stop_button,
                       self.kill_button, self.continue_button, *fields.widgets(),
                       self.processes.label, self.processes):
            buttons.addWidget(widget)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFormat("idle")
        self.nan_label = QtWidgets.QLabel()
        self.nan_label.setStyleSheet("color: #ff4d4d; font-weight: bold")
        self.nan_label.hide()
        self.runs = QtWidgets.QTreeWidget()
        self.runs.setHeaderLabels(["run", "status", "settings", "final metrics"])
        self.runs.setRootIsDecorated(False)
        fit_columns(self.runs, capped=2)  # settings: whole, up to half the width
        self.log = QtWidgets.QPlainTextEdit(readOnly=True)
        self.log.setMaximumBlockCount(5000)
        self.tabs = QtWidgets.QTabWidget()
        self.tabs.addTab(self.plots, "Curves")
        self.tabs.addTab(self.runs, "Runs")
        self.tabs.addTab(self.results, "Results")
        self.tabs.addTab(self.log, "Log")
        self._layout(buttons)
        self.timer = QtCore.QTimer(self)
        self.timer.setInterval(1000 // PROGRESS_HZ)
        self.timer.timeout.connect(self._on_timer_timeout)
        self.timer.start()

    def _layout(self, buttons) -> None:
        left = QtWidgets.QWidget()
        column = QtWidgets.QVBoxLayout(left)
        column.addWidget(QtWidgets.QLabel("<b>Data</b>"))
        column.addWidget(self.data)
        column.addWidget(self.form, 1)
        # Never narrower than its fields, as rows come and go: a share of the dock's width,
        # or the width its rows had when built, cut them off behind a sideways scroll bar.
        scroll = self.settings_scroll = SettingsScroll(left)
        right = QtWidgets.QWidget()
        main = QtWidgets.QVBoxLayout(right)
        main.addLayout(buttons)
        main.addWidget(self.progress)
        main.addWidget(self.nan_label)
        main.addWidget(self.tabs, 1)
        splitter = QtWidgets.QSplitter(QtCore.Qt.Horizontal)
        splitter.addWidget(scroll)
        splitter.addWidget(right)
        splitter.setCollapsible(0, False)
        self.settings_width = SettingsWidth(splitter)  # the same from session to session
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(splitter)

    def _wire(self) -> None:
        c = self.controller
        c.log_message.connect(self.append_log)
        c.nan_detected.connect(self._on_controller_nan_detected)
        c.run_started.connect(self._on_controller_run_started)
        c.status_changed.connect(self._on_controller_status_changed)
        c.run_finished.connect(self._on_controller_run_finished)
        self.start_button.clicked.connect(self.start)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button.clicked.connect(self.controller.stop)
        self.kill_button.clicked.connect(self.controller.kill)
        self.continue_button.clicked.connect(self.continue_selected)
        self.runs.itemChanged.connect(self._on_runs_item_changed)
        self.runs.currentItemChanged.connect(self._update_buttons)
        self.runs.currentItemChanged.connect(self._on_runs_current_item_changed)
        self.data.spec_edited.connect(self._on_data_spec_edited)
        self.data.waiting.cancelled.connect(self._on_data_wait_cancelled)
        self.data.files_changed.connect(lambda: self._data_issues())  # read again
        self.data.checked.connect(self.controller.data_issues_found)
        self.data.loaded.connect(lambda *_: self._data_issues(), QtCore.Qt.QueuedConnection)
        self.project.events.analysis_changed.connect(self._on_analysis_changed)
        self.results.status_message.connect(self.status_message)
        self.reader.read_done.connect(self._on_reader_read_done)
        # The form follows the document itself; the panel shows the data spec.
        self.project.events.training_changed.connect(self._on_project_training_changed)
        self.project.events.reset.connect(self._on_project_training_changed)

    # ---- document ------------------------------------------------------------
    def _on_project_training_changed(self, event: ev.TrainingChanged | ev.Reset) -> None:
        self._show_data_spec()
        self._show_planned_epochs()

    def refresh(self) -> None:
        """Show the document's current settings."""
        self.form.refresh()
        self._show_data_spec()
        self._show_planned_epochs()

    def _show_planned_epochs(self) -> None:
        """Plots with no epoch yet span the epochs the settings train."""
        epochs = (self.doc.training or {}).get("epochs", DEFAULTS["epochs"])
        self.plots.set_planned_epochs(epochs if isinstance(epochs, int) and epochs > 0 else 1)

    def _show_data_spec(self) -> None:
        self.data.set_spec(str((self.doc.training or {}).get("data", "synthetic")))
        self._update_buttons()
        if self.isVisible():
            self._preview_data()

    def _preview_data(self) -> None:
        """Read the preview of the project's data, unless it is the one shown (a project
        opened showed its data spec with no preview until the spec was edited)."""
        spec = str((self.doc.training or {}).get("data", "synthetic")).strip()
        full = anchor_spec(spec, self.project_dir)
        if full and full != self.data.wanted:
            self.data.request(full, self.doc, self.project.analysis)

    def follow(self, dock) -> None:
        """The dock that shows this panel: behind another tab, the data an edit made
        stale is read again once the tab is shown (`DataPreview.follow`)."""
        self.data.follow(dock)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self._preview_data()

    def _on_data_spec_edited(self, spec: str) -> None:
        spec = spec.strip()
        if spec and spec != (self.doc.training or {}).get("data"):
            self.form.write(("data",), spec)
        if spec:
            self.data.request(anchor_spec(spec, self.project_dir), self.doc,
                              self.project.analysis)

    # ---- closing -------------------------------------------------------------
    def shutdown(self) -> None:
        """Kill any run and stop background work (the window is closing)."""
        self.timer.stop()
        self.project.events.analysis_changed.disconnect(self._on_analysis_changed)
        self.reader.shutdown()
        self._stop_following_listed_runs()
        self.plots.timer.stop()
        self.form.shutdown()
        self.data.shutdown()
        self.change_check.shutdown()
        self.controller.shutdown()

    # ---- controller signals ------------------------------------------------------
    def append_log(self, text: str) -> None:
        self.log.appendPlainText(text)

    def _on_controller_nan_detected(self, text: str) -> None:
        self.nan_label.setText(text)
        self.nan_label.show()

    def _on_controller_run_started(self, record) -> None:
        self.nan_label.hide()
        self.plots.show_run(record.curves, record.label)
        self.tabs.setCurrentWidget(self.plots)
        self.runs.setCurrentItem(self._add_run_item(record))
        self._update_overlays()

    def _on_controller_status_changed(self, record) -> None:
        item = self._item_of(record)
        if item is not None:
            self._show_status(item, record)
            item.setText(3, metrics_text(record))
        self.pause_button.setText("Resume" if record.status == "paused" else "Pause")
        self._update_buttons()

    def _update_buttons(self, *_) -> None:
        active = self.controller.is_active
        record = self._selected_run()
        # Not a run another process still trains: its model is that process's snapshot.
        can_continue = not active and record is not None and bool(record.saved_path) and \
            not (record.process is not None and record.status == "running")
        enabled = {self.start_button: not active, self.processes: not active,
                   self.pause_button: active, self.stop_button: active,
                   self.kill_button: active, self.continue_button: can_continue,
                   self.continue_lr: can_continue, self.continue_to: can_continue}
        for widget in [w for w, on in enabled.items() if on]:
            widget.setEnabled(True)
        # A focused widget that is disabled hands focus on to the next one in the chain:
        # after Start that was the learning-rate field (after Continue with its text
        # selected), so the next keys typed replaced the rate. Focus on a control being
        # disabled goes to the button of the new state instead; elsewhere it stays.
        focused = QtWidgets.QApplication.focusWidget()
        if focused is not None and enabled.get(focused) is False:
            (self.stop_button if active else self.start_button).setFocus(
                QtCore.Qt.OtherFocusReason)
        for widget in [w for w, on in enabled.items() if not on]:
            widget.setEnabled(False)
        self.continue_fields.set_shown(can_continue)

    # ---- progress (timer) ------------------------------------------------------------
    def _on_timer_timeout(self) -> None:
        record = self.controller.current
        if record is not None and record.active:
            self._show_progress(record)

    def _show_progress(self, record) -> None:
        self.progress.setValue(int(round(record.fraction * 1000)))
        self.progress.setFormat(progress_text(record))
