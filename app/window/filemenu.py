"""File commands of the main window: new, open, save, recent, examples (the exports are in
`exports`)."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtWidgets

from ...graph.document import Document
from ...graph.errors import KerasCanvasError, ProjectFileError
from . import files, main_thread_gc
from .exports import ExportMixin
from .importing import is_keras_model
from .recovery import RecoveryMixin

PROJECT_TYPES = "Keras Canvas projects (*.json *.kcanvas)"
# Open lists Keras models beside projects at first (it offers to import them), so a .keras
# file is not hidden behind a second filter.
PROJECT_FILTER = ("Projects and Keras models (*.json *.kcanvas *.keras);;"
                  f"{PROJECT_TYPES};;Keras models, to import (*.keras);;All files (*)")


class FileMixin(ExportMixin, RecoveryMixin):
    """Mixed into `MainWindow`; expects `doc`, `stack`, `path`, `submenus`, `show_message`."""

    # Tests replace this to answer the dialog without showing it.
    ask_save = None

    def init_files(self, path: str | None, recover: bool,
                   recovery_file: str | None = None) -> None:
        self.init_recovery(recovery_file)
        self._rebuild_recent_menu()
        self._build_examples_menu()
        if path:  # asked for by name: opened (a Keras model imported) at once
            self.open_path(path, confirm_import=False)
        if recover:  # then crashed sessions' work, offered without blocking
            self.offer_recovery()
        self.update_title()

    # ---- title and dirty state ---------------------------------------------
    def project_name(self) -> str:
        """The project as the title bar names it: its file name, else "Untitled"."""
        source = getattr(self, "import_source", None)
        return (Path(self.path).name if self.path
                else f"{Path(source).stem} (imported)" if source else "Untitled")

    def update_title(self) -> None:
        self.setWindowTitle(f"{self.project_name()}[*] — Keras Canvas")
        self.setWindowModified(not self.stack.is_clean)

    def _maybe_save(self) -> bool:
        """True when it is fine to drop the current document (saved, discarded or clean)."""
        if self.stack.is_clean:
            return True
        answer = (self.ask_save or self._ask_save_dialog)()
        if answer == QtWidgets.QMessageBox.Save:
            return self.save()
        return answer == QtWidgets.QMessageBox.Discard

    def _ask_save_dialog(self):
        return QtWidgets.QMessageBox.question(
            self, "Unsaved changes",
            f"“{self.project_name()}” has unsaved changes. Save them first?",
            QtWidgets.QMessageBox.Save | QtWidgets.QMessageBox.Discard
            | QtWidgets.QMessageBox.Cancel, QtWidgets.QMessageBox.Save)

    def _set_document(self, new: Document, path: str | None, clean: bool = True,
                      source: str | None = None) -> None:
        """Show `new` (from `path`, or imported from the model file `source`)."""
        self.import_source = source
        self.project.replace(new, path, clean)
        self._show_loaded()

    def _open_in_project(self, path: str, untitled: bool = False) -> bool:
        """Open the project file `path` in the window's project; say why when it fails."""
        try:
            self.project.load(path, untitled=untitled)
        except ProjectFileError as exc:
            title = "Cannot open the template" if untitled else "Cannot open project"
            self.show_error(title, str(exc))
            return False
        self.import_source = None
        self._show_loaded()
        return True

    def _show_loaded(self) -> None:
        """After a load: record the positions the canvas laid out, retitle, frame the graph."""
        doc = self.doc
        if doc.nodes and not doc.ui.get("positions"):
            # The canvas laid the nodes out as it drew them; the document records where
            # (as part of the load: nothing to undo, and the project stays as opened).
            for node_id, pos in self.canvas.positions().items():
                self.doc.set_position(node_id, pos)
        self.update_title()
        if self.palette.search.text().strip() and not self.palette.kinds_shown():
            self.palette.search.clear()  # a node name of the last project's (Ctrl+F), no kind
        # The code preview waits for a quiet moment after edits; a load is one long edit,
        # so its wait starts again here and the new graph is painted first.
        self.code.schedule()
        QtCore.QTimer.singleShot(0, self, self.start_view)
        # Once the window is built: its project's objects out of the young generations.
        QtCore.QTimer.singleShot(0, self, main_thread_gc.settle)

    # ---- commands ---------------------------------------------------------
    def new_project(self) -> None:
        if self._maybe_save():
            self._set_document(Document(), None)

    def open_dialog(self) -> None:
        if not self._maybe_save():
            return
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "Open project", files.start_folder(self.path), PROJECT_FILTER)
        if path:
            self.open_path(path, ask=False)

    def open_path(self, path: str, ask: bool = True, confirm_import: bool = True) -> bool:
        """Load a project; a file that fails to load changes nothing and shows why.

        A Keras model (`.keras`, model JSON) is imported instead, after asking when
        `confirm_import`; the import then finishes in the background.
        """
        if ask and not self._maybe_save():
            return False
        if is_keras_model(path):
            if confirm_import:
                return self.offer_import(path)
            return self.import_model_from(path) is not None
        if not self._open_in_project(str(path)):
            return False
        files.add_recent(path)
        self._rebuild_recent_menu()
        return True

    def save(self) -> bool:
        if not self.path:
            return self.save_as()
        return self.save_to(self.path)

    def save_as(self) -> bool:
        source = getattr(self, "import_source", None)
        suggested = self.path or (str(Path(source).with_suffix(".json")) if source else
                                  files.in_start_folder(None, "untitled.json"))
        path = files.ask_save_path(self, "Save project", suggested, PROJECT_TYPES)
        return bool(path) and self.save_to(path)

    _saving_untitled = False

    def save_to(self, path: str) -> bool:
        self._saving_untitled = self.path is None
        try:
            self.project.save(path)
        except (OSError, KerasCanvasError, ValueError) as exc:
            self.show_error("Cannot save project", f"{path}: {exc}")
            return False
        finally:
            self._saving_untitled = False
        self.clear_recovery()
        files.add_recent(path)
        self._rebuild_recent_menu()
        self.show_message(f"Saved {path}")
        return True

    def show_error(self, title: str, text: str) -> None:
        self.show_message(text)
        if QtWidgets.QApplication.platformName() not in ("offscreen", "minimal"):
            QtWidgets.QMessageBox.warning(self, title, text)
        self.last_error = text

    # ---- menus ------------------------------------------------------------
    def _rebuild_recent_menu(self) -> None:
        menu = self.submenus["recent"]
        menu.clear()
        for path in files.recent_files():
            menu.addAction(path, lambda p=path: self.open_path(p))
        menu.setEnabled(bool(menu.actions()))

    def _build_examples_menu(self) -> None:
        menu = self.submenus["examples"]
        for path in files.example_files():
            menu.addAction(path.stem.replace("_", " "),
                           lambda p=path: self.new_from_template(str(p)))
        menu.setEnabled(bool(menu.actions()))

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        if not self._maybe_save():
            event.ignore()
            return
        self.close_recovery()
        event.accept()
