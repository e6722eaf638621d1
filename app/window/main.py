"""The main window: canvas in the centre, palette left, properties right, panels below.

The window is assembled from mixins, one role each: the docks (`docks`), the Training and
Search docks (`run_docks`), canvas gestures (`canvas_events`), editing, files, import,
the start panel, navigation, help, user blocks and custom code.
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from ...graph.project import Project
from ...graph.summary import left_out_count
from ..blocks.user_blocks import UserBlocksMixin
from ..canvas.adapter import Canvas
from . import main_thread_gc
from .canvas_events import CanvasEventsMixin
from .custom_code import CustomCodeMixin
from .docks import DocksMixin, stacked
from .editing import EditMixin
from .filemenu import FileMixin
from .help import HelpMixin
from .importing import ImportMixin
from .menus import build_menus
from .navigate import NavigateMixin
from .recovery import RecoveryBar
from .run_docks import RunDocksMixin
from .start import HOW_TO_BEGIN, StartMixin
from .teardown import Teardown, running_work, stop_consequence, stop_training_first
from .widget_keys import WidgetKeys


class MainWindow(RunDocksMixin, CustomCodeMixin, EditMixin, FileMixin, ImportMixin, StartMixin,
                 NavigateMixin, HelpMixin, UserBlocksMixin, DocksMixin, CanvasEventsMixin,
                 QtWidgets.QMainWindow):
    """One project per window. The document is the truth; every panel is a view of it."""

    def __init__(self, path: str | None = None, recover: bool = True,
                 recovery_file: str | None = None):
        super().__init__()
        self.project = Project()
        self.teardown = Teardown(self)  # its workers end however the window goes
        main_thread_gc.hold()  # Qt garbage is freed on this thread, never a worker's
        self.teardown.add(main_thread_gc.release)
        stop_training_first(self)  # a close lets the training run keep its model
        self.setAttribute(QtCore.Qt.WA_DeleteOnClose)  # closed, it frees its scene
        self._closing = False
        self.submenus: dict[str, QtWidgets.QMenu] = {}
        self.setObjectName("MainWindow")
        self.resize(1500, 920)
        self.canvas = Canvas(self.project, self)
        self.recovery_bar = RecoveryBar()  # kept unsaved work, offered above the canvas
        self.setCentralWidget(stacked(self.recovery_bar, self.canvas.widget))
        self._build_docks()
        self.actions = build_menus(self)
        self.widget_keys = WidgetKeys(self, self.actions)  # a focused text or table keeps its keys
        self._build_status_bar()
        self._wire()
        self.init_user_blocks()
        self._build_training()
        self._build_search()
        self.init_start_panel()
        self.init_navigation()
        self.move_help_menu_last()
        self.init_custom_code()
        self.teardown.add(self.custom_shapes.shutdown, self.custom_shapes,
                          otherwise=lambda shapes=self.custom_shapes: _end_solver(shapes))
        self.init_files(path, recover, recovery_file)
        self.refresh_panels()

    def _wire(self) -> None:
        c = self.canvas
        c.status_message.connect(self.show_refusal)
        c.selection_changed.connect(self._on_canvas_selection_changed)
        c.node_activated.connect(self._on_canvas_node_activated)
        c.drop_requested.connect(self._on_canvas_drop)
        c.renderer.rendered.connect(self.refresh_panels)
        c.viewer.viewport().installEventFilter(self)
        self.palette.kind_activated.connect(self.add_kind)
        self.palette.find_node_requested.connect(self.find_node)
        self.palette.search_left.connect(lambda: c.viewer.setFocus(QtCore.Qt.OtherFocusReason))
        self.properties.status_message.connect(self.show_refusal)
        self.issues.node_requested.connect(self.focus_node)
        self.issues.fix_requested.connect(self.apply_fix)
        self.summary.node_requested.connect(self.focus_node)
        self.project.events.history_changed.connect(self._on_project_history_changed)
        self.project.events.path_changed.connect(self._on_project_path_changed)
        self.project.events.analysis_changed.connect(self._on_project_analysis_changed)
        for kind in (self.doc.events.node_added, self.doc.events.node_removed,
                     self.doc.events.reset):
            kind.connect(self._on_doc_nodes_changed)
        self.doc.events.bulk_finished.connect(self._on_doc_nodes_changed)

    # ---- the project and what it holds ------------------------------------
    @property
    def doc(self):
        return self.project.doc

    @property
    def stack(self):
        return self.project.stack

    @property
    def path(self) -> str | None:
        return self.project.path

    @path.setter
    def path(self, path: str | None) -> None:
        self.project.path = path

    @property
    def analysis(self):
        return self.project.analysis

    def refresh_panels(self) -> None:
        analysis = self.analysis
        if self.doc.nodes:
            self.issues.show_issues([*analysis.issues, *getattr(self, "data_issues", [])])
        else:  # an empty project is a start, not two errors
            self.issues.show_hint("The project is empty. " + HOW_TO_BEGIN)
        self.summary.show_analysis(analysis)
        self.properties.refresh_info()
        trainable, frozen = analysis.total_params
        unknown = f" + ? in {len(analysis.uncounted)} layer(s)" if analysis.uncounted else ""
        self.params_label.setText(f"{trainable + frozen:,}{unknown} params "
                                  f"({trainable:,} trainable)")
        data = getattr(self, "data_issues", [])  # a refused run's findings count too
        self.canvas.renderer.show_data_issues(data)  # and ring their nodes
        errors = len(analysis.blocking) + sum(i.severity == "error" for i in data)
        warnings = len(analysis.warnings) + sum(i.severity != "error" for i in data)
        idle = len(analysis.left_out_errors)  # on nodes left out of the model: not blocking
        if not self.doc.nodes:
            errors = warnings = idle = 0
        aside = f" (+{left_out_count(idle)})" if idle else ""
        self.problems_label.setText(f"{errors} error{'s' * (errors != 1)}, "
                                    f"{warnings} warning{'s' * (warnings != 1)}{aside}")
        self.problems_label.setProperty("bad", errors > 0)
        self.problems_label.style().polish(self.problems_label)

    # ---- closing ---------------------------------------------------------
    # Tests replace this to answer without a dialog: texts of the running work -> go on?
    ask_stop_runs = None

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        """Ask before stopping running work, then about unsaved work (the mixins), then
        end the work: the training run stops gently, the search's trials are stopped."""
        work = running_work(self)
        if self._closing or (work and not (self.ask_stop_runs or self._ask_stop_runs)(work)):
            event.ignore()  # a second close while the first waits for the run, or "Cancel"
            return
        self._closing = True
        try:
            super().closeEvent(event)
        finally:
            self._closing = event.isAccepted()

    def _ask_stop_runs(self, work: list[str]) -> bool:
        answer = QtWidgets.QMessageBox.question(
            self, "Stop running work",
            f"Closing the window stops {' and '.join(work)}. {stop_consequence(work)}",
            QtWidgets.QMessageBox.StandardButton.Close | QtWidgets.QMessageBox.Cancel,
            QtWidgets.QMessageBox.Cancel)
        return answer == QtWidgets.QMessageBox.StandardButton.Close

    def quit_app(self) -> None:
        """File > Quit: close every window, this one first; a window that is not let go
        (Cancel) stops the quit, and the windows after it stay open."""
        others = [w for w in QtWidgets.QApplication.topLevelWidgets()
                  if isinstance(w, MainWindow) and w is not self and w.isVisible()]
        for window in [self, *others]:
            if not window.close():
                return

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def show_refusal(self, text: str) -> None:
        """Say why an edit was refused, until the next edit, undo or redo succeeds."""
        self.show_message(text)
        self._refusal = text

    def _clear_refusal(self) -> None:
        if getattr(self, "_refusal", None) == self.statusBar().currentMessage():
            self.statusBar().clearMessage()
        self._refusal = None

    def _on_project_analysis_changed(self, _event) -> None:
        self.code.schedule()  # not on moves: positions change neither analysis nor code

    def _on_doc_nodes_changed(self, _event) -> None:
        if not self.doc.events.in_bulk:  # once per edit, not once per node of a paste
            self.update_start_panel()

    def _on_project_path_changed(self, _event) -> None:
        self.update_title()
        if self.training is not None:  # that project's runs (a saved untitled one keeps its own)
            self.training.follow_project(self.path, move=self._saving_untitled)

    def _on_project_history_changed(self, _event) -> None:
        self._clear_refusal()  # an edit went through: an older refusal is stale
        self.actions["undo"].setText(f"&Undo {self.stack.undo_text}".rstrip())
        self.actions["redo"].setText(f"&Redo {self.stack.redo_text}".rstrip())
        self.actions["undo"].setEnabled(self.stack.can_undo)
        self.actions["redo"].setEnabled(self.stack.can_redo)
        self.update_title()



def _end_solver(shapes) -> None:
    """The custom-layer shape worker of a service whose Qt object is gone."""
    if shapes.solver_thread is not None:
        shapes.solver_thread.close()
