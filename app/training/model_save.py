"""Save trained model… of the Results tab: the run's saved model copied where the user
chooses, or exported to ONNX with the run's weights in another process (`kerascanvas
export --weights`), with the folder it offers and the messages it gives."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtWidgets

from ...graph import atomicfile
from ..export_process import start_export
from ..window import files

SAVE_FILTERS = ("Keras model (*.keras);;"
                "ONNX model, needs the onnx extra of the install (*.onnx)")


class ModelSaveMixin:
    """Mixed into `ResultsView`: expects its `record`, `document`, `export_process`,
    `save_button` and `status_message`."""

    def _enable_save(self) -> None:
        """Save trained model… for a run whose model file is there; when it is missing,
        the button says which file."""
        path = self.record.saved_path if self.record is not None else None
        missing = bool(path) and not Path(path).exists()
        self.save_button.setEnabled(bool(path) and not missing)
        self.save_button.setToolTip(f"The model file is missing: {path}" if missing else "")

    def save_model(self, path: str) -> str:
        """Copy the run's saved model to `path` (".keras" added when missing), or with a
        path ending in .onnx export it to ONNX with the run's weights, in another process
        (`kerascanvas export --weights`; `export_process` while it works)."""
        if self.record is None or not self.record.saved_path:
            raise ValueError("This run saved no model (it was killed, or failed before "
                             "its model was built)")
        target = Path(path)
        if target.suffix.lower() == ".onnx":
            return self._export_onnx(target)
        if target.suffix != ".keras":
            target = target.with_name(target.name + ".keras")
        atomicfile.copy_atomic(self.record.saved_path, target)  # never a half-copied file
        self.status_message.emit(f"Saved the trained model to {target}")
        return str(target)

    def _export_onnx(self, target: Path) -> str:
        doc = self.document() if self.document is not None else None
        if doc is None:
            raise ValueError("ONNX export needs the project the run trained")

        def done(code: int, output: str) -> None:
            self.export_process = None
            self._enable_save()
            if code == 0:
                self.status_message.emit(f"Saved the trained model to {target} (ONNX)")
            else:
                self._save_failed(str(target), output or f"exit code {code}")

        self.save_button.setEnabled(False)  # one export at a time
        self.export_process = start_export(self, doc, str(target), "onnx", done,
                                           weights=self.record.saved_path)
        self.status_message.emit(f"Exporting the trained model to {target}…")
        return str(target)

    def _save_failed(self, path: str, reason: str) -> None:
        self.status_message.emit(f"Could not save to {path}: {reason}")
        if QtWidgets.QApplication.platformName() not in ("offscreen", "minimal"):
            QtWidgets.QMessageBox.warning(self, "Save trained model",
                                          f"Could not save to {path}: {reason}")

    def suggested_path(self) -> str:
        """Where Save offers to put the model, named after the project and the run
        ("net_run_2.keras"): in the folder the last export went to (File › Export's, or
        this dialog's), else beside the project, else in the home folder. (It opened in
        the home folder right after File › Export Model had used another.)"""
        name = f"{self.record.label.replace(' ', '_').lower()}.keras"
        runs = Path(self.record.folder) if self.record.folder else None
        project = runs is not None and runs.suffix == ".runs" and runs.parent.is_dir()
        if project:
            name = f"{runs.stem}_{name}"
        exported = files.export_folder()
        if exported and Path(exported).is_dir():
            return str(Path(exported) / name)
        return str((runs.parent if project else Path.home()) / name)

    def _on_save_clicked(self) -> None:
        path, chosen = QtWidgets.QFileDialog.getSaveFileName(
            self, "Save trained model", self.suggested_path(), SAVE_FILTERS)
        if path and chosen.startswith("ONNX") and not path.lower().endswith(".onnx"):
            path = str(Path(path).with_suffix(".onnx"))
        if path:
            files.remember_export_folder(path)  # the next export opens there too
            try:
                self.save_model(path)
            except (OSError, ValueError) as exc:
                self._save_failed(path, str(exc))
