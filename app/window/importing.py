"""File > Import Keras Model: a `.keras` archive or model JSON becomes a new project.

The import runs `kerascanvas import --progress` in another process, so keras
never loads in the window's process and the window keeps drawing while Keras
starts (seconds). Its stage lines drive a progress dialog whose Cancel kills the
process. The imported project opens unsaved and untitled (named after the
model), and the canvas lays it out with the nodes' drawn sizes.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from ...graph import projectfile
from ...graph.errors import ProjectFileError

MODEL_FILTER = "Keras models (*.keras *.json);;All files (*)"
PROGRESS_PREFIX = "progress: "


def is_keras_model(path: str | os.PathLike) -> bool:
    """Whether `path` holds a Keras model rather than a project: a `.keras` archive, or a
    JSON object with a `class_name` and no project `format` header."""
    path = Path(path)
    if path.suffix.lower() in (".keras", ".h5"):
        return True
    if path.suffix.lower() != ".json":
        return False
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(data, dict) and "class_name" in data and "format" not in data


class ImportMixin:
    """Mixed into `MainWindow`; expects the `FileMixin` methods."""

    ask_import = None  # tests answer the "import it?" question without a dialog
    import_process: QtCore.QProcess | None = None
    import_source: str | None = None
    _import_trust: frozenset = frozenset()

    def import_model_dialog(self) -> None:
        if not self._maybe_save():
            return
        from .files import start_folder

        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "Import Keras Model", start_folder(self.path), MODEL_FILTER)
        if path:
            self.import_model_from(path)

    def offer_import(self, path: str) -> bool:
        """Asked when Open meets a Keras model: import it instead? True when it starts."""
        answer = (self.ask_import or self._ask_import_dialog)(path)
        return bool(answer) and self.import_model_from(path) is not None

    def _ask_import_dialog(self, path: str) -> bool:
        answer = QtWidgets.QMessageBox.question(
            self, "Import Keras model",
            f"{Path(path).name} is a Keras model, not a Keras Canvas project.\n"
            "Import it as a new project?")
        return answer == QtWidgets.QMessageBox.Yes

    def import_model_from(self, path: str) -> QtCore.QProcess | None:
        """Start importing `path` in another process; the result opens when it ends."""
        if self.import_process is not None:
            self.show_message("An import is already running")
            return None
        self._import_trust = frozenset()
        extra = self.custom_import_arguments(path)  # custom layers: their code, if trusted
        if extra is None:
            self.show_message(f"Import of {path} cancelled: its custom layers need code "
                              "you trust")
            return None
        fd, project = tempfile.mkstemp(prefix="kerascanvas-import-", suffix=".json")
        os.close(fd)
        process = QtCore.QProcess(self)
        dialog = self._import_progress_dialog(path, process)
        process.readyReadStandardOutput.connect(lambda: self._on_import_output(process, dialog))
        process.finished.connect(
            lambda code, status: self._on_import_finished(process, dialog, code, status,
                                                          path, project))
        self.import_process = process
        process.start(sys.executable, ["-m", "kerascanvas.app", "import", str(path),
                                       "-o", project, "--progress", *extra])
        self.show_message(f"Importing {path}…")
        return process

    def wait_for_import(self, timeout_ms: int = -1) -> bool:
        """Block until a running import ends (for --screenshot); True when it opened."""
        process = self.import_process
        if process is not None:
            process.waitForFinished(timeout_ms)
            QtWidgets.QApplication.processEvents()
        return self.import_process is None and self.import_source is not None

    def _import_progress_dialog(self, path: str, process) -> QtWidgets.QProgressDialog:
        dialog = QtWidgets.QProgressDialog(f"Importing {Path(path).name}…", "Cancel", 0, 0, self)
        dialog.setWindowTitle("Import Keras Model")
        dialog.setWindowModality(QtCore.Qt.WindowModal)
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.canceled.connect(process.kill)
        dialog.show()
        return dialog

    def _on_import_output(self, process, dialog) -> None:
        text = bytes(process.readAllStandardOutput()).decode(errors="replace")
        self._import_output = getattr(self, "_import_output", "") + text
        stages = [line[len(PROGRESS_PREFIX):] for line in text.splitlines()
                  if line.startswith(PROGRESS_PREFIX)]
        if stages:
            dialog.setLabelText(f"{stages[-1]}…")
            self.show_message(f"Import: {stages[-1]}…")

    def _on_import_finished(self, process, dialog, code, status, path, project) -> None:
        self.import_process = None
        dialog.close()
        errors = bytes(process.readAllStandardError()).decode(errors="replace").strip()
        self._import_output = ""
        try:
            if status != QtCore.QProcess.NormalExit:
                self.show_message(f"Import of {path} cancelled")
            elif code != 0:
                message = errors.removeprefix("kerascanvas import: ")
                self.show_error("Cannot import the model", message or f"exit code {code}")
            else:
                self._open_imported(path, project)
        finally:
            Path(project).unlink(missing_ok=True)

    def _open_imported(self, path: str, project: str) -> None:
        try:
            doc = projectfile.load(project)
        except ProjectFileError as exc:
            self.show_error("Cannot import the model", str(exc))
            return
        doc.ui.pop("positions", None)  # laid out again, with the sizes the nodes are drawn at
        self._set_document(doc, None, clean=False, source=str(path))
        if self._import_trust:  # the classes the user read and trusted before the import
            self.trust_session_code(self._import_trust)
        weights = (f"; training and export start from its weights ({Path(path).name})"
                   if doc.weights else "")
        self.show_message(f"Imported {path}: {len(doc.nodes)} nodes{weights}. Save it as a "
                          "project")
