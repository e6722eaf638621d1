"""The first minute: a start panel over the empty canvas, and a readable starting zoom.

While the project has no node, the canvas shows a panel: new from a template
(the example projects, opened as new untitled projects), open recent, open a
file, import a Keras model, and how to begin by hand. It hides as soon as a
node exists and comes back when the canvas is empty again. Its Close button
leaves the hint on the canvas itself (see `CanvasViewer.drawForeground`).
"""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtWidgets

from ...graph import projectfile
from ...graph.errors import ProjectFileError
from . import files
from .view_keeper import START_SCALE, WHOLE_AT  # noqa: F401 (still importable from here)

# Each list's narrowest: a template's name stays whole ("customer tickets (11 layers)") and
# both lists fit side by side on the canvas of a 1024 px wide screen (some 400 px).
LIST_WIDTH = 180
HOW_TO_BEGIN = ("Drag an Input from the Layers panel onto the canvas (or double-click it), "
                "add layers the same way, and drag from an output port (bottom of a node) to "
                "an input port (top) to connect them. Right-click a node to mark it as an "
                "output.")


_LABELS: dict[tuple[str, int], str] = {}  # (path, its modification time) -> its label


def example_label(path: Path) -> str:
    """`small resnet (10 layers)`: the template's name and size. Read once per version of
    the file: the panel is filled each time the canvas becomes empty (a delete of all of a
    large model loaded every example)."""
    try:
        key = (str(path), path.stat().st_mtime_ns)
    except OSError:
        key = None
    label = _LABELS.get(key) if key is not None else None
    if label is None:
        label = _read_label(path)
        if key is not None:
            _LABELS[key] = label
    return label


def _read_label(path: Path) -> str:
    try:
        count = len(projectfile.load(path).nodes)
    except ProjectFileError:
        return path.stem.replace("_", " ")
    return f"{path.stem.replace('_', ' ')} ({count} layers)"


class StartPanel(QtWidgets.QFrame):
    """Ways to begin: each list entry or button emits one signal; the window acts on it."""

    template_chosen = QtCore.Signal(str)
    recent_chosen = QtCore.Signal(str)
    open_requested = QtCore.Signal()
    import_requested = QtCore.Signal()

    def __init__(self, parent=None, can_import: bool = True):
        super().__init__(parent)
        self.setObjectName("StartPanel")
        self.setFrameShape(QtWidgets.QFrame.StyledPanel)
        self.setAutoFillBackground(True)
        layout = QtWidgets.QVBoxLayout(self)
        title = QtWidgets.QLabel("<h2>Start a model</h2>")
        layout.addWidget(title)
        columns = QtWidgets.QHBoxLayout()
        self.templates = self._list("New from a template", columns)
        self.recent = self._list("Open recent", columns)
        layout.addLayout(columns)
        layout.addLayout(self._buttons(can_import))
        hint = QtWidgets.QLabel("<b>Or begin by hand.</b> " + HOW_TO_BEGIN)
        hint.setWordWrap(True)
        layout.addWidget(hint)
        for widget, signal in ((self.templates, self.template_chosen),
                               (self.recent, self.recent_chosen)):
            # One click opens, as on a start page; Enter too (activated). A double click
            # sends both, and the second finds the panel already gone.
            for chosen in (widget.itemClicked, widget.itemActivated):
                chosen.connect(lambda item, s=signal: self._choose(item, s))
        self.fill()

    def _choose(self, item: QtWidgets.QListWidgetItem, signal) -> None:
        path = item.data(QtCore.Qt.UserRole)
        if path and self.isVisible():
            signal.emit(path)

    def _list(self, heading: str, row: QtWidgets.QHBoxLayout) -> QtWidgets.QListWidget:
        box = QtWidgets.QVBoxLayout()
        box.addWidget(QtWidgets.QLabel(f"<b>{heading}</b>"))
        widget = QtWidgets.QListWidget()
        widget.setMinimumWidth(LIST_WIDTH)
        box.addWidget(widget)
        row.addLayout(box)
        return widget

    def _buttons(self, can_import: bool) -> QtWidgets.QBoxLayout:
        row = self.button_row = QtWidgets.QBoxLayout(QtWidgets.QBoxLayout.LeftToRight)
        self.open_button = QtWidgets.QPushButton("Open project…")
        self.open_button.clicked.connect(self.open_requested)
        row.addWidget(self.open_button)
        self.import_button = QtWidgets.QPushButton("Import a Keras model…")
        self.import_button.clicked.connect(self.import_requested)
        self.import_button.setVisible(can_import)
        row.addWidget(self.import_button)
        row.addStretch(1)
        self.close_button = QtWidgets.QPushButton("Start on the empty canvas")
        self.close_button.clicked.connect(self.hide)
        row.addWidget(self.close_button)
        return row

    def fit_width(self, width: int) -> None:
        """Stack the buttons when a row of them is wider than `width`: on a 1024x700
        screen the canvas is some 400 px wide, and the row clipped their texts ("ort a
        Keras mod")."""
        row = self.button_row
        buttons = [row.itemAt(i).widget() for i in range(row.count())]
        shown = [b for b in buttons if b is not None and not b.isHidden()]
        margins = self.layout().contentsMargins()
        wanted = (sum(b.sizeHint().width() for b in shown) + row.spacing() * len(shown)
                  + margins.left() + margins.right() + 2 * self.frameWidth())
        row.setDirection(QtWidgets.QBoxLayout.LeftToRight if wanted <= width
                         else QtWidgets.QBoxLayout.TopToBottom)

    def fill(self) -> None:
        """List the example projects and the recent files (again, as they may have changed)."""
        self.templates.clear()
        for path in files.example_files():
            self._add(self.templates, example_label(path), str(path))
        self.recent.clear()
        for path in files.recent_files():
            self._add(self.recent, Path(path).name, path).setToolTip(path)
        if not self.recent.count():
            self.recent.addItem("(no recent projects yet)")
            self.recent.item(0).setFlags(QtCore.Qt.NoItemFlags)

    @staticmethod
    def _add(widget, text: str, path: str) -> QtWidgets.QListWidgetItem:
        item = QtWidgets.QListWidgetItem(text)
        item.setData(QtCore.Qt.UserRole, path)
        widget.addItem(item)
        return item


class StartMixin:
    """Mixed into `MainWindow`: the start panel over the canvas and the starting zoom."""

    def init_start_panel(self) -> None:
        viewport = self.canvas.viewer.viewport()
        can_import = hasattr(self, "import_model_dialog")
        self.start_panel = StartPanel(viewport, can_import)
        self.start_panel.close_button.clicked.connect(self._on_start_panel_closed)
        self.start_panel.template_chosen.connect(self.new_from_template)
        self.start_panel.recent_chosen.connect(lambda path: self.open_path(path))
        self.start_panel.open_requested.connect(self.open_dialog)
        if can_import:
            self.start_panel.import_requested.connect(self.import_model_dialog)
        self.update_start_panel()

    def update_start_panel(self) -> None:
        """Show the panel on an empty canvas, centred; hide it once a node exists."""
        panel, empty = self.start_panel, not self.doc.nodes
        if empty and panel.isHidden() and not getattr(self, "_start_dismissed", False):
            panel.fill()
            panel.show()
        elif not empty:
            panel.hide()
            self._start_dismissed = False
        self.canvas.viewer.set_empty_hint(HOW_TO_BEGIN if empty and panel.isHidden() else "")
        self.place_start_panel()

    def _on_start_panel_closed(self) -> None:
        self._start_dismissed = True
        self.update_start_panel()

    def place_start_panel(self) -> None:
        viewport, panel = self.canvas.viewer.viewport(), self.start_panel
        panel.fit_width(viewport.width() - 20)
        size = panel.sizeHint().boundedTo(viewport.size() - QtCore.QSize(20, 20))
        panel.resize(size)
        panel.move((viewport.width() - size.width()) // 2,
                   (viewport.height() - size.height()) // 3)

    def new_from_template(self, path: str) -> bool:
        """Open an example as a new untitled project (saving never overwrites the example)."""
        if not self._maybe_save():
            return False
        return self._open_in_project(path, untitled=True)

    def start_view(self) -> None:
        """Frame a freshly opened graph (see `ViewKeeper.show_start`)."""
        self.view_keeper.show_start()
