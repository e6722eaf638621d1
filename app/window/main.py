"""The main window: canvas in the centre, palette left, properties right, panels below."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from ...graph import commands as cmd
from ...graph.layout import layered_layout, preload
from ...graph.project import Project
from ..blocks.user_blocks import USER_BLOCK, UserBlocksMixin
from ..canvas import clipboard
from ..canvas.adapter import PALETTE_MIME, Canvas
from ..canvas.outputs import add_output_actions
from ..panels.code import CodePanel
from ..panels.issues import IssuesPanel, fix_menu
from ..panels.palette import PalettePanel
from ..panels.properties import PropertiesPanel
from ..panels.summary import SummaryPanel
from .custom_code import CustomCodeMixin
from .editing import EditMixin
from .filemenu import FileMixin
from .help import HelpMixin
from .importing import ImportMixin
from .menus import build_menus
from .navigate import NavigateMixin
from .recovery import RecoveryBar
from .rekind_menu import add_rekind_actions, wrap_on_drop
from .start import HOW_TO_BEGIN, StartMixin

SIDE_WIDTH = 352  # right docks at start: the widest property rows stay unclipped
DOCK_HEIGHT = 150  # the bottom panels at start: the canvas keeps most of the window
# The Training tab, once raised: half the window (at least this), so its plots are readable.
TRAINING_HEIGHT, TRAINING_SHARE = 420, 0.5


class MainWindow(CustomCodeMixin, EditMixin, FileMixin, ImportMixin, StartMixin, NavigateMixin,
                 HelpMixin, UserBlocksMixin, QtWidgets.QMainWindow):
    """One project per window. The document is the truth; every panel is a view of it."""

    def __init__(self, path: str | None = None, recover: bool = True,
                 recovery_file: str | None = None):
        super().__init__()
        self.project = Project()
        self.submenus: dict[str, QtWidgets.QMenu] = {}
        self.setObjectName("MainWindow")
        self.resize(1500, 920)
        self.canvas = Canvas(self.project, self)
        self.recovery_bar = RecoveryBar()  # kept unsaved work, offered above the canvas
        self.setCentralWidget(stacked(self.recovery_bar, self.canvas.widget))
        self._build_docks()
        self.actions = build_menus(self)
        self._build_status_bar()
        self._wire()
        self.init_user_blocks()
        self._build_training()
        self._build_search()
        self.init_start_panel()
        self.init_navigation()
        self.move_help_menu_last()
        self.init_custom_code()
        self.init_files(path, recover, recovery_file)
        self.refresh_panels()

    # ---- construction -------------------------------------------------
    def _dock(self, title: str, widget, area) -> QtWidgets.QDockWidget:
        dock = QtWidgets.QDockWidget(title, self)
        dock.setObjectName(title.replace(" ", ""))
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        self.palette = PalettePanel()
        self.properties = PropertiesPanel(self.project)
        self.issues = IssuesPanel(self.doc)
        self.summary = SummaryPanel(self.doc)
        self.code = CodePanel(self.project)
        left, right = QtCore.Qt.LeftDockWidgetArea, QtCore.Qt.RightDockWidgetArea
        bottom = QtCore.Qt.BottomDockWidgetArea
        self.palette_dock = self._dock("Layers", self.palette, left)
        self.properties_dock = self._dock("Properties", self.properties, right)
        self.issues_dock = self._dock("Issues", self.issues, bottom)
        self.summary_dock = self._dock("Summary", self.summary, bottom)
        self.code_dock = self._dock("Code", self.code, right)
        self.tabifyDockWidget(self.issues_dock, self.summary_dock)
        self.tabifyDockWidget(self.properties_dock, self.code_dock)
        self.issues_dock.raise_()
        self.properties_dock.raise_()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if not getattr(self, "_docks_sized", False):  # sizes given before the first show are lost
            self._docks_sized = True
            self.resizeDocks([self.palette_dock, self.properties_dock],
                             [self.palette.preferred_width(), SIDE_WIDTH], QtCore.Qt.Horizontal)
            self.resizeDocks([self.issues_dock], [DOCK_HEIGHT], QtCore.Qt.Vertical)

    def _build_training(self) -> None:
        # The panel pulls in numpy and pyqtgraph: build it just after the first paint so the
        # window appears quickly; the menu and the dock build it at once when used earlier.
        self.training = None
        holder = QtWidgets.QWidget()
        QtWidgets.QVBoxLayout(holder).setContentsMargins(0, 0, 0, 0)
        self.training_dock = self._dock("Training", holder, QtCore.Qt.BottomDockWidgetArea)
        self.tabifyDockWidget(self.summary_dock, self.training_dock)
        self.issues_dock.raise_()
        self.training_dock.visibilityChanged.connect(self._on_training_dock_visibility_changed)
        menu = self.menuBar().addMenu("&Train")
        for text, shortcut, name in (("&Start / Stop", "F5", "toggle_training"),
                                     ("&Pause / Resume", "F6", "toggle_pause"),
                                     ("&Kill", "Shift+F5", "kill")):
            action = menu.addAction(text)
            action.setShortcut(QtGui.QKeySequence(shortcut))
            action.triggered.connect(lambda _=False, n=name: self._on_train_action(n))
            self.actions[name] = action
        self.menuBar().actions()[2].menu().addAction(self.training_dock.toggleViewAction())
        QtCore.QTimer.singleShot(300, self.training_panel)
        QtCore.QTimer.singleShot(600, preload)  # networkx: in idle time, not the first open

    def _on_training_dock_visibility_changed(self, visible: bool) -> None:
        """Shown: the panel is built, and the bottom docks grow (see `_grow_bottom`)."""
        if visible:
            self.training_panel()
            self._grow_bottom(self.training_dock)

    def _grow_bottom(self, dock: QtWidgets.QDockWidget) -> None:
        """The bottom docks grow so the Training or Search tab's plots are readable (once:
        a height the user sets afterwards is kept)."""
        if not getattr(self, "_training_sized", False) and self.isVisible():
            self._training_sized = True
            height = max(TRAINING_HEIGHT, int(self.height() * TRAINING_SHARE))
            if dock.height() < height:
                self.resizeDocks([dock], [height], QtCore.Qt.Vertical)

    def training_panel(self):
        """The training panel, built on first use."""
        if self.training is None:
            from ..training.panel import TrainingPanel

            self.training = TrainingPanel(self.project)
            self.training.status_message.connect(self.show_message)
            controller = self.training.controller
            controller.data_issues_found.connect(self._on_training_data_issues)
            controller.run_started.connect(lambda _record: self._on_training_data_issues([]))
            self.training_dock.widget().layout().addWidget(scrolled(self.training))
            self.training.follow_project(self.path)
        return self.training

    def _build_search(self) -> None:
        # Like the training panel: pyqtgraph and Optuna load after the first paint.
        self.search = None
        holder = QtWidgets.QWidget()
        QtWidgets.QVBoxLayout(holder).setContentsMargins(0, 0, 0, 0)
        self.search_dock = self._dock("Search", holder, QtCore.Qt.BottomDockWidgetArea)
        self.tabifyDockWidget(self.training_dock, self.search_dock)
        self.issues_dock.raise_()
        self.search_dock.visibilityChanged.connect(self._on_search_dock_visibility_changed)
        self.menuBar().actions()[2].menu().addAction(self.search_dock.toggleViewAction())
        QtCore.QTimer.singleShot(400, self.search_panel)

    def _on_search_dock_visibility_changed(self, visible: bool) -> None:
        if visible:
            self.search_panel()
            self._grow_bottom(self.search_dock)

    def search_panel(self):
        """The Search tab, built on first use."""
        if self.search is None:
            from ..search.panel import SearchPanel

            self.search = SearchPanel(self.doc, self.stack, lambda: self.path)
            self.search.status_message.connect(self.show_message)
            self.search_dock.widget().layout().addWidget(scrolled(self.search))
        return self.search

    def _on_train_action(self, name: str) -> None:
        panel = self.training_panel()
        self.training_dock.show()
        self.training_dock.raise_()
        slot = panel.controller.kill if name == "kill" else getattr(panel, name)
        slot()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().closeEvent(event)
        if event.isAccepted() and self.training is not None:
            self.training.shutdown()  # kill a running worker with the window
        if event.isAccepted() and self.search is not None:
            self.search.shutdown()  # stop the study's trials with the window

    def _build_status_bar(self) -> None:
        self.params_label = QtWidgets.QLabel()
        self.problems_label = QtWidgets.QLabel()
        self.statusBar().addPermanentWidget(self.params_label)
        self.statusBar().addPermanentWidget(self.problems_label)
        view = self.menuBar().actions()[2].menu()
        view.addSeparator()
        for dock in (self.palette_dock, self.properties_dock, self.code_dock,
                     self.issues_dock, self.summary_dock):
            view.addAction(dock.toggleViewAction())

    def _wire(self) -> None:
        c = self.canvas
        c.status_message.connect(self.show_message)
        c.selection_changed.connect(self._on_canvas_selection_changed)
        c.node_activated.connect(self._on_canvas_node_activated)
        c.drop_requested.connect(self._on_canvas_drop)
        c.renderer.rendered.connect(self.refresh_panels)
        c.viewer.viewport().installEventFilter(self)
        self.palette.kind_activated.connect(self.add_kind)
        self.properties.status_message.connect(self.show_message)
        self.issues.node_requested.connect(self.focus_node)
        self.issues.fix_requested.connect(self.apply_fix)
        self.summary.node_requested.connect(self.focus_node)
        self.project.events.history_changed.connect(self._on_project_history_changed)
        self.project.events.path_changed.connect(self._on_project_path_changed)
        self.project.events.analysis_changed.connect(self._on_project_analysis_changed)
        for kind in (self.doc.events.node_added, self.doc.events.node_removed,
                     self.doc.events.reset):
            kind.connect(self._on_doc_nodes_changed)

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

    def _on_training_data_issues(self, issues: list) -> None:
        """Show the data mismatches a refused run reported beside the graph's own issues."""
        self.data_issues = list(issues)
        self.refresh_panels()
        if self.data_issues:
            self.issues_dock.raise_()

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
        errors = len(analysis.errors) + sum(i.severity == "error" for i in data)
        warnings = len(analysis.warnings) + sum(i.severity != "error" for i in data)
        if not self.doc.nodes:
            errors = warnings = 0
        self.problems_label.setText(f"{errors} error{'s' * (errors != 1)}, "
                                    f"{warnings} warning{'s' * (warnings != 1)}")
        self.problems_label.setProperty("bad", errors > 0)
        self.problems_label.style().polish(self.problems_label)

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def _on_project_analysis_changed(self, _event) -> None:
        self.code.schedule()  # not on moves: positions change neither analysis nor code

    def _on_doc_nodes_changed(self, _event) -> None:
        self.update_start_panel()

    def _on_project_path_changed(self, _event) -> None:
        self.update_title()
        if self.training is not None:  # that project's runs (a saved untitled one keeps its own)
            self.training.follow_project(self.path, move=self._saving_untitled)

    def _on_project_history_changed(self, _event) -> None:
        self.actions["undo"].setText(f"&Undo {self.stack.undo_text}".rstrip())
        self.actions["redo"].setText(f"&Redo {self.stack.redo_text}".rstrip())
        self.actions["undo"].setEnabled(self.stack.can_undo)
        self.actions["redo"].setEnabled(self.stack.can_redo)
        self.update_title()

    # ---- canvas interaction -----------------------------------------------
    def _on_canvas_selection_changed(self, ids) -> None:
        self.properties.show_selection(ids)

    def _on_canvas_node_activated(self, node_id: str) -> None:
        if self.doc.nodes[node_id].spec.is_block or self.doc.nodes[node_id].kind == USER_BLOCK:
            self.show_block_dialog(node_id)

    def _on_canvas_drop(self, mime, pos) -> None:
        if mime.hasFormat(PALETTE_MIME):
            kind = bytes(mime.data(PALETTE_MIME)).decode()
            if wrap_on_drop(self, kind, pos):
                return
            edge = self.canvas.edge_at(pos)
            if edge is None or self._guarded(self.splice, kind, edge) is None:
                self.add_kind(kind, pos)
        elif mime.hasFormat(clipboard.CLIPBOARD_MIME):
            self._paste_text(bytes(mime.data(clipboard.CLIPBOARD_MIME)).decode(), pos)

    def eventFilter(self, obj, event):  # noqa: N802 (Qt override)
        if event.type() == QtCore.QEvent.Resize and hasattr(self, "start_panel"):
            self.place_start_panel()
        if event.type() == QtCore.QEvent.ContextMenu:
            self._select_node_at(event.pos())
            self._show_canvas_menu(event.globalPos(), event.pos())
            return True
        return super().eventFilter(obj, event)

    def _select_node_at(self, view_pos) -> None:
        """A right click on a node outside the selection makes it the selection."""
        node_id = self.canvas.node_at(view_pos)
        if node_id is not None and node_id not in self.canvas.selected_ids():
            self.canvas.select([node_id])

    def _show_canvas_menu(self, global_pos, view_pos=None) -> None:
        menu = QtWidgets.QMenu(self)
        ids = self.canvas.selected_ids()
        if view_pos is not None:
            add_output_actions(self.canvas, menu, view_pos, ids)
        issues = [i for i in self.analysis.issues if i.node in ids and i.fixes]
        if issues:
            for action in fix_menu(menu, issues, self.apply_fix).actions():
                action.setText(f"Fix: {action.text()}")
                menu.addAction(action)
            menu.addSeparator()
        add_rekind_actions(self, menu, ids)
        if len(ids) == 1 and self.doc.nodes[ids[0]].spec.is_block:
            menu.addAction(self.actions["show_block_dialog"])
            menu.addAction(self.actions["expand_selected_block"])
        self.user_block_menu(menu, ids)
        for name in ("cut", "copy", "paste", "duplicate", "delete_selected", None,
                     "layout_tb", "layout_lr", "fit"):
            menu.addSeparator() if name is None else menu.addAction(self.actions[name])
        menu.exec(global_pos)

    def focus_node(self, node_id: str) -> None:
        self.canvas.select([node_id], center=True)

    # ---- view -------------------------------------------------------------
    def fit(self) -> None:
        self.canvas.fit()

    def zoom_in(self) -> None:
        self.canvas.graph.set_zoom(self.canvas.graph.get_zoom() + 0.1)

    def zoom_out(self) -> None:
        self.canvas.graph.set_zoom(self.canvas.graph.get_zoom() - 0.1)

    def layout_tb(self) -> None:
        self.auto_layout("TB")

    def layout_lr(self) -> None:
        self.auto_layout("LR")

    def auto_layout(self, direction: str = "TB") -> None:
        """Lay the graph out in layers (one undoable Move) and fit it into view."""
        positions = layered_layout(self.doc, direction, self.canvas.node_sizes(),
                                   aspect=self.canvas.view_aspect())
        if positions:
            self.stack.push(cmd.Move(self.doc, positions))
        self.fit()

    def focus_palette(self) -> None:
        self.palette_dock.show()
        self.palette.focus_search()


def stacked(*widgets: QtWidgets.QWidget) -> QtWidgets.QWidget:
    """The widgets one above the other, edge to edge."""
    holder = QtWidgets.QWidget()
    column = QtWidgets.QVBoxLayout(holder)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(0)
    for widget in widgets:
        column.addWidget(widget)
    return holder


def scrolled(widget: QtWidgets.QWidget) -> QtWidgets.QScrollArea:
    """`widget` in a scroll area, so its minimum height does not squeeze the canvas."""
    scroll = QtWidgets.QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QtWidgets.QFrame.NoFrame)
    scroll.setWidget(widget)
    return scroll


def app_icon() -> QtGui.QIcon:
    from .style import icon_path

    return QtGui.QIcon(str(icon_path("kerascanvas.svg")))
