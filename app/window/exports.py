"""File › Export of the main window: Python (a code style or the full training script),
a picture of the graph, and the model (built in another process by `kerascanvas export`).
Each dialog opens in the folder this window (or the last session) exported to."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtWidgets

from ...codegen import STYLES
from ...graph import projectfile
from ...graph.initial_weights import active_source
from ...graph.training_schema import refused_training
from ...runtime.export_compile import UNCOMPILED
from ..export_process import start_export
from ..panels.code import generate_code
from . import files, weights_dialog
from .export_weights import WeightsChoice, graph_key, run_graph, weight_choices

SCRIPT = "full training script"  # Export Python's choice beside the code styles
# File › Export Model builds the project's model afresh, untrained even after a run: the
# message says so, and where a run's trained model is saved from.
UNTRAINED_NOTE = ("(untrained weights; a run's trained model: Training › Results › "
                  "Save trained model…)")
# A project that starts from a file's weights (an imported model's) exports those.
INITIAL_NOTE = ("(the initial weights from {name}, not trained here; a run's trained model: "
                "Training › Results › Save trained model…)")


def weights_note(doc) -> str:
    """What File › Export Model writes as weights: fresh ones, or the file's the project
    starts from (which the export loads, as a run does)."""
    source = active_source(doc)
    return INITIAL_NOTE.format(name=Path(source).name) if source else UNTRAINED_NOTE


def export_remark(output: str, path: str) -> str:
    """What `kerascanvas export` said after "Wrote PATH": that the `.keras` is uncompiled
    and why (naming the field), or which custom objects loading it compiled needs; ""
    when it said nothing more."""
    written = f"Wrote {path}"
    line = next((line for line in output.splitlines() if line.startswith(written)), "")
    return line[len(written):]


class ExportMixin:
    """Mixed into `MainWindow` (through `FileMixin`); expects `doc`, `path`, `project`,
    `analysis`, `code`, `show_message` and `show_error`."""

    def export_python(self) -> None:
        styles = [*STYLES, SCRIPT]
        shown = SCRIPT if self.code.script_box.isChecked() else self.code.style_box.currentText()
        style, ok = QtWidgets.QInputDialog.getItem(  # the Code panel's choice first
            self, "Export Python", "Code style", styles, styles.index(shown), False)
        if not ok:
            return
        text = self._python_text(style)  # a style that cannot apply is said before the dialog
        if text is None:
            return
        path = self.ask_export_path("Export Python", ".py", "Python (*.py)")
        if path:
            self._write_python(path, text)

    export_folder: str | None = None  # where this window last exported to

    def ask_export_path(self, title: str, suffix: str, filters: str) -> str:
        """An export dialog's answer ("" when cancelled). It opens in the folder this
        window last exported to, else the one the last session did (the app's settings),
        else the project's; a chosen path's folder is remembered in both."""
        folder = self.export_folder or files.export_folder()
        keep = (self.doc.weights or {}).get("source")  # not over the weights it starts from
        path = files.ask_save_path(self, title, files.export_suggestion(
            self.path, suffix, self.doc.model_name, folder, keep), filters)
        if path:
            self.export_folder = files.remember_export_folder(path)
        return path

    def export_python_to(self, path: str, style: str) -> bool:
        text = self._python_text(style)
        return text is not None and self._write_python(path, text)

    def _python_text(self, style: str) -> str | None:
        """The code of `style` (or of the full training script), or None after saying why
        there is none."""
        script = style == SCRIPT
        refused = refused_training(self.doc) if script else None
        if refused:  # a script trains as `kerascanvas run` does: never one that run refuses
            self.show_error("Cannot export the training script", refused)
            return None
        text, ok = generate_code(self.doc, "functional" if script else style, script,
                                 self.analysis)
        if not ok:
            self.show_error("Cannot export Python", text.replace("# ", ""))
            return None
        return text

    def _write_python(self, path: str, text: str) -> bool:
        try:
            projectfile.write_text_atomic(path, text)
        except OSError as exc:  # a folder gone or read-only: said, nothing half written
            self.show_error("Cannot export Python", f"Cannot write {path}: "
                                                    f"{exc.strerror or exc}")
            return False
        self.show_message(f"Exported {path}")
        return True

    def export_picture(self) -> None:
        path = self.ask_export_path("Export Picture", ".png",
                                    "PNG image (*.png);;SVG drawing (*.svg)")
        if path:
            self.export_picture_to(path)

    def export_picture_to(self, path: str) -> bool:
        """The graph with shapes on its edges, like plot_model(show_shapes=True)."""
        from ..canvas.export_image import export_image

        try:
            export_image(self.doc, path, analysis=self.project.analysis)
        except (ValueError, OSError) as exc:
            self.show_error("Cannot export the picture", str(exc))
            return False
        self.show_message(f"Exported {path}")
        return True

    def export_model(self) -> None:
        choice = self._ask_weights()
        if choice is None:
            return
        path = self.ask_export_path(
            f"Export Model ({choice.name})", ".keras",
            "Keras model (*.keras);;ONNX model, needs the onnx extra of the install (*.onnx)")
        if path:
            self.export_model_to(path, choice)

    def _own_weights(self) -> WeightsChoice:
        source = active_source(self.doc)
        label = (f"initial weights from {Path(source).name}" if source
                 else "untrained: freshly initialised weights")
        return WeightsChoice(label, None, weights_note(self.doc))

    def _ask_weights(self) -> WeightsChoice | None:
        """The weights to export: asked in the dialog's body when a run of the project
        saved a model (see `export_weights`); None when cancelled."""
        records, folder, problem = self._project_runs()
        choices, default = weight_choices(graph_key(self.doc), self._own_weights(), records,
                                          folder)
        if len(choices) == 1 and not problem:
            return choices[0]
        at = self.ask_weights(choices, default, problem)
        return None if at is None else choices[at]

    def _project_runs(self) -> tuple[list, str | None, str | None]:
        """The project's runs (this session's and those on disk), its runs folder, and
        why its runs index could not be read. The Training panel's read is finished now
        (it lists them all); before the panel is built, they are read here."""
        from ..training.history import load_runs, runs_folder

        if self.training is not None:
            panel = self.training
            panel.reader.wait()
            return list(panel.controller.runs), panel.folder and str(panel.folder), None
        folder = runs_folder(self.path)
        records, problem = load_runs(folder)
        return records, str(folder), problem

    def ask_weights(self, choices: list[WeightsChoice], default: int,
                    problem: str | None = None) -> int | None:
        """The index of the weights chosen in a dialog, or None when cancelled."""
        return weights_dialog.ask_weights(self, choices, default, problem)

    def _note_run_graph(self, record) -> None:
        """Remember the graph a run trains, for Export Model's choice of weights."""
        record.graph = run_graph(record, self.doc, self.training.controller.runs)

    def export_model_to(self, path: str, choice: WeightsChoice | None = None
                        ) -> QtCore.QProcess:
        """Export through `kerascanvas export` in another process: keras never loads here,
        and the window stays responsive while it builds the model."""
        fmt = "onnx" if path.lower().endswith(".onnx") else "keras"
        choice = choice or self._own_weights()  # as exported, whatever the project becomes
        note = choice.note
        process = start_export(self, self.doc, path, fmt, lambda code, output:
                               self._on_export_finished(code, output, path, note),
                               weights=choice.path,
                               home=Path(self.path).parent if self.path else None)
        self.show_message(f"Exporting {path}…")
        return process

    def _on_export_finished(self, code: int, output: str, path: str, note: str) -> None:
        remark = export_remark(output, path)
        if code == 0 and UNCOMPILED in remark:  # written, but not ready to fit: warned
            self.show_error("Exported the model uncompiled", f"Exported {path} {note}{remark}")
        elif code == 0:  # the project's model, not a run's: say so, and where a run's is
            self.show_message(f"Exported {path} {note}{remark}")
        else:
            self.show_error("Cannot export the model", output or f"exit code {code}")
