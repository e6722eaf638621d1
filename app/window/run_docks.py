"""The Training and Search docks: each panel is built on first use (they pull in numpy,
pyqtgraph and Optuna, so the window appears first), the Train menu, the data problems a
refused run reports, and the panels' shutdown with the window."""

from __future__ import annotations

import json

from PySide6 import QtCore, QtGui, QtWidgets

from ...graph.layout import preload
from .docks import scrolled


class RunDocksMixin:
    """Mixed into `MainWindow` (first, so that its `closeEvent` ends the panels' work after
    the other mixins have let the window close)."""

    def _later_dock(self, title: str, beside: QtWidgets.QDockWidget,
                    build) -> QtWidgets.QDockWidget:
        """A bottom dock tabbed after `beside`, empty until `build` puts its panel in (at the
        latest when the dock is shown); the Issues tab stays raised."""
        holder = QtWidgets.QWidget()
        QtWidgets.QVBoxLayout(holder).setContentsMargins(0, 0, 0, 0)
        dock = self._dock(title, holder, QtCore.Qt.BottomDockWidgetArea)
        self.tabifyDockWidget(beside, dock)
        self.issues_dock.raise_()
        dock.visibilityChanged.connect(
            lambda shown: self._on_run_dock_visibility_changed(shown, dock, build))
        self.follow_bottom_tab(dock)
        return dock

    def _build_training(self) -> None:
        # The panel pulls in numpy and pyqtgraph: build it just after the first paint so the
        # window appears quickly; the menu and the dock build it at once when used earlier.
        self.training = None
        self.training_dock = self._later_dock("Training", self.summary_dock, self.training_panel)
        menu = self.menuBar().addMenu("&Train")
        for text, shortcut, name in (("&Start / Stop", "F5", "toggle_training"),
                                     ("&Pause / Resume", "F6", "toggle_pause"),
                                     ("&Kill", "Shift+F5", "kill")):
            action = menu.addAction(text)
            action.setShortcut(QtGui.QKeySequence(shortcut))
            action.triggered.connect(lambda _=False, n=name: self._on_train_action(n))
            self.actions[name] = action
        self.menuBar().actions()[2].menu().addAction(self.training_dock.toggleViewAction())
        QtCore.QTimer.singleShot(300, self, self.training_panel)
        self.project.events.analysis_changed.connect(self._on_data_basis_changed)
        QtCore.QTimer.singleShot(600, preload)  # networkx: in idle time, not the first open

    def _on_run_dock_visibility_changed(self, visible: bool, dock, build) -> None:
        """Shown: its panel is built (`build`); the area takes its tab's height
        (`follow_bottom_tab`)."""
        if visible:
            build()

    def training_panel(self):
        """The training panel, built on first use."""
        if self.training is None:
            from ..training.panel import TrainingPanel

            self.training = TrainingPanel(self.project)
            self.training.status_message.connect(self.show_message)
            controller = self.training.controller
            controller.data_issues_found.connect(self._on_training_data_issues)
            controller.data_refused.connect(lambda _issues: self.issues_dock.raise_())
            controller.run_started.connect(lambda _record: self._on_training_data_issues([]))
            controller.run_started.connect(self._note_run_graph)
            self.training_dock.widget().layout().addWidget(scrolled(self.training))
            self.training.follow(self.training_dock)  # no data read behind another tab
            self.training.follow_project(self.path)
            self.teardown.add(self.training.shutdown, self.training,
                              otherwise=controller.end_workers)
        return self.training

    def _build_search(self) -> None:
        # Like the training panel: pyqtgraph and Optuna load after the first paint.
        self.search = None
        self.search_dock = self._later_dock("Search", self.training_dock, self.search_panel)
        self.menuBar().actions()[2].menu().addAction(self.search_dock.toggleViewAction())
        QtCore.QTimer.singleShot(400, self, self.search_panel)

    def search_panel(self):
        """The Search tab, built on first use."""
        if self.search is None:
            from ..search.panel import SearchPanel

            self.search = SearchPanel(self.doc, self.stack, lambda: self.path)
            self.search.status_message.connect(self.show_message)
            self.search.follow(self.search_dock)  # no space work behind another tab
            self.search_dock.widget().layout().addWidget(scrolled(self.search))
            self.teardown.add(self.search.runner.close)  # prompt; says what the study keeps
            self.teardown.add(self.search.shutdown, self.search)
        return self.search

    def _on_train_action(self, name: str) -> None:
        panel = self.training_panel()
        self.training_dock.show()
        self.training_dock.raise_()
        slot = panel.controller.kill if name == "kill" else getattr(panel, name)
        slot()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().closeEvent(event)
        if event.isAccepted():  # kill a running worker, stop the study's trials
            self.keep_dock_widths()  # the next session on a screen of this size starts so
            self.teardown.run()  # (also run when the window is deleted without a close)

    def _on_training_data_issues(self, issues: list) -> None:
        """List the data mismatches the preview's check or a refused run found beside the
        graph's own issues. Only a refused run brings the Issues tab to the front
        (`data_refused`): the preview checks again after each edit, and its findings
        must not take the tab the user is looking at (the Search tab, the Code tab)."""
        self.data_issues = list(issues)
        self._data_basis = self._findings_basis() if issues else None
        self.refresh_panels()

    def _on_data_basis_changed(self, _event) -> None:
        """A run's data findings quote the outputs (names, shapes) and the training settings
        it started with: once an edit changes those, they may no longer hold (a Flatten put
        before the output changes the shape they repeat), so they go until a run checks again."""
        if getattr(self, "data_issues", None) and self._findings_basis() != self._data_basis:
            # The data preview checks its findings again at each edit (and says when they
            # change): those stay, without raising the Issues dock again.
            vouched = self.training.data.issues if self.training is not None else []
            self.data_issues = [i for i in self.data_issues if i in vouched]
            self._data_basis = self._findings_basis() if self.data_issues else None
            self.refresh_panels()

    def _findings_basis(self) -> tuple:
        results = self.analysis.results
        outputs = []
        for node_id, port in self.doc.output_refs():
            result = results.get(node_id)
            shapes = result.output_shapes if result is not None else None
            outputs.append((self.doc.nodes[node_id].name, port,
                            shapes[port] if shapes and port < len(shapes) else None))
        return tuple(outputs), json.dumps(self.doc.training, sort_keys=True, default=repr)
