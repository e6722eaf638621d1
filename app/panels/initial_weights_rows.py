"""The model's initial weights in its properties: where they come from, on or off.

"Initial weights: from m.keras (52 of 54 layers match by name)" for a project that
names a weights file (an imported `.keras` does), a check box that turns them off
(fresh weights) or on, and *Choose…* to take another `.keras` or `.weights.h5`. The
layers counted are those holding weights, at every depth ("block/inner_dense" inside a
nested model, as a run matches them, `graph.weight_paths`), compared by path from the
archive's config alone; the variable shapes are compared when the model is built (a
run's log says which layers were loaded).
Every change is one undoable command.
"""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtWidgets

from ...graph import commands as cmd
from ...graph import initial_weights as iw
from ...graph import weight_paths
from ...runtime.cli.export import archive_config
from ..training.flow_row import FlowRow

FILTER = "Keras weights (*.keras *.weights.h5)"


def source_path(project) -> Path | None:
    """The weights file of the project, a relative one under the project's folder."""
    source = (project.doc.weights or {}).get("source")
    if not source:
        return None
    path = Path(source).expanduser()
    if not path.is_absolute() and project.path:
        path = Path(project.path).parent / path
    return path


def match_text(project) -> str:
    """'(N of M layers match by name)', '(layers matched by position)', or what is wrong."""
    path = source_path(project)
    if path is None or not path.is_file():
        return "(the file is missing)"
    if path.name.endswith(".weights.h5"):
        return "(layers matched by position)"
    ours = weight_paths.model_paths(project.doc, analysis=project.analysis)
    found = weight_paths.matching(ours, _paths(path), iw.layer_paths(project.doc))
    return f"({len(found)} of {len(ours)} layers match by name)"


_PATHS: dict[tuple[str, int], list[str]] = {}


def _paths(path: Path) -> list[str]:
    """The archive's layer paths at every depth, read once per version of the file."""
    key = (str(path), path.stat().st_mtime_ns)
    if key not in _PATHS:
        _PATHS.clear()
        _PATHS[key] = weight_paths.config_paths(archive_config(str(path)))
    return _PATHS[key]


class WeightsRows(QtCore.QObject):
    """The rows of the initial weights in the model's properties form."""

    def __init__(self, project, add_row, parent=None):
        super().__init__(parent)
        self.project = project
        self.pick_file = None  # tests replace the file dialog: a callable giving a path
        self.label = QtWidgets.QLabel()
        self.label.setObjectName("initial_weights")
        self.label.setWordWrap(True)
        self.enabled = QtWidgets.QCheckBox("start from these weights")
        self.enabled.setObjectName("initial_weights_enabled")
        self.enabled.setToolTip("Off: training, export and the script start from fresh "
                                "weights; the file stays named in the project")
        self.enabled.clicked.connect(self._on_enabled)
        self.choose = QtWidgets.QPushButton("Choose…")
        self.choose.setObjectName("initial_weights_choose")
        self.choose.setToolTip("Start from the weights of another .keras or .weights.h5 "
                               "file, layer by layer (name and shapes must match)")
        self.choose.clicked.connect(self._on_choose)
        buttons = FlowRow()  # wraps in a narrow dock: in one row it clipped the form at 266 px
        buttons.addWidget(self.enabled)
        buttons.addWidget(self.choose)
        add_row("initial weights", self.label)
        add_row("", buttons)
        self.refresh()

    def refresh(self) -> None:
        section = self.project.doc.weights or {}
        if not section.get("source"):
            self.label.setText("fresh (random) weights")
            self.enabled.setChecked(False)
            self.enabled.setEnabled(False)
            return
        name = Path(section["source"]).name
        on = section.get("enabled", True)
        self.label.setText(f"Initial weights: from {name} {match_text(self.project)}"
                           + ("" if on else " - off: fresh weights"))
        self.label.setToolTip(str(source_path(self.project)))
        self.enabled.setEnabled(True)
        self.enabled.setChecked(on)

    def _on_enabled(self, checked: bool) -> None:
        section = {**(self.project.doc.weights or {}), "enabled": bool(checked)}
        what = "Start from the initial weights" if checked else "Start from fresh weights"
        self.project.push(cmd.SetInitialWeights(self.project.doc, section, what))
        self.refresh()

    def _on_choose(self) -> None:
        path = (self.pick_file or self._ask_file)()
        if not path:
            return
        problem = iw.source_problem(str(path))
        if problem is None and not Path(path).is_file():
            problem = f"no such file: {path}"
        if problem:
            QtWidgets.QMessageBox.warning(self.choose, "Initial weights", problem)
            return
        section = iw.chosen_section(self.project.doc, path, source_path(self.project))
        self.project.push(cmd.SetInitialWeights(
            self.project.doc, section, f"Start from the weights of {Path(path).name}"))
        self.refresh()

    def _ask_file(self) -> str:
        start = str(source_path(self.project) or "")
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self.choose, "Initial weights", start, f"{FILTER};;All files (*)")
        return path
