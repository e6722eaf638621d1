"""Custom code in the window: the trust dialog, and Keras' shapes from a worker process.

Opening a project trusts its CustomLayer code only if the trust store says so
(`runtime.trust`: this project's path and this very code). Edit > Trust Custom
Code... shows every class before the user agrees. Once trusted, the shapes the
analysis asks for are computed by `runtime.custom_worker` in a background
thread, so neither the GUI thread nor this process imports keras.
"""

from __future__ import annotations

import copy
from concurrent.futures import Future

from PySide6 import QtCore, QtWidgets

from ...graph import commands as cmd
from ...graph import events as ev
from ...graph.layers import custom
from ...graph.userblock_commands import SetBlockDefinition
from ...runtime import trust
from ...runtime.custom_worker import SolverThread
from ..future_watch import FutureWatcher
from ..panels.code_editor import CodeEditorDialog
from .trust_dialog import TrustDialog, distinct_classes, import_entries


class CustomShapeService(QtCore.QObject):
    """Answers the analysis' custom shape requests with a worker process, off the GUI thread.

    A `SolverThread` (no Qt) owns the worker process; its answers come back as futures
    that a `FutureWatcher` of this object hands to `_on_answered` on the GUI thread, so
    no thread ever touches this object, and `shutdown` waits for nothing."""

    def __init__(self, project, parent=None):
        super().__init__(parent)
        self.project = project
        self.solver_factory = None  # None: a runtime.custom_worker.WorkerSolver
        self.in_flight: set[str] = set()
        self.solver_thread: SolverThread | None = None  # started by the first request
        self._answers = FutureWatcher(self)
        self._closed = False

    def poke(self) -> None:
        """Send what the analysis asked for and nobody is computing yet."""
        if self._closed:
            return
        self.project.analysis  # noqa: B018 - bringing it up to date fills `pending`
        ctx = custom.context(self.project.doc)
        wanted = {k: v for k, v in ctx.pending.items()
                  if k not in ctx.results and k not in self.in_flight}
        if not wanted or self.in_flight:
            return
        self.in_flight.update(wanted)
        if self.solver_thread is None:
            self.solver_thread = SolverThread(self.solver_factory)
        self._answers.watch(self.solver_thread.submit(wanted), self._on_answered)

    def _on_answered(self, answer: Future) -> None:
        self.in_flight.clear()
        ctx = custom.context(self.project.doc)
        ctx.results.update(answer.result())
        ctx.pending.clear()
        self.project.live.refresh(custom.custom_users(self.project.doc))
        self.poke()  # layers after these may now ask for theirs

    @property
    def waiting(self) -> bool:
        """Whether an answer is on its way."""
        return bool(self._answers.pending)

    def reset(self) -> None:
        """Forget answers in flight (the project was replaced)."""
        self.in_flight.clear()
        self._answers.clear()

    def shutdown(self) -> None:
        """The window closes: drop what is in flight and end the worker, without waiting."""
        self._closed = True
        self.reset()
        if self.solver_thread is not None:
            self.solver_thread.close()


class CustomCodeMixin:
    """MainWindow part: trust on open, the trust dialog, the shape service, and the
    code file an import of a model with custom layers needs."""

    ask_custom_code = None  # tests give the .py file without a file dialog

    def init_custom_code(self) -> None:
        self.custom_shapes = CustomShapeService(self.project, self)
        self.trust_dialog: TrustDialog | None = None
        self._custom_fresh = True  # contents just loaded: only the store may trust them
        self._session_trust: frozenset[str] = frozenset()  # trusted here, not (yet) stored
        self._import_trust: frozenset[str] = frozenset()  # code trusted for a running import
        self.project.events.reset.connect(self._on_custom_project_reset)
        self.project.events.path_changed.connect(self._on_custom_path_changed)
        self.project.events.analysis_changed.connect(self._on_custom_analysis_changed)
        self._apply_stored_trust()

    def _apply_stored_trust(self) -> None:
        doc = self.project.doc
        digests = custom.code_digests(doc)
        trust.apply(doc, trust.is_trusted(self.project.path, doc)
                    or bool(digests) and digests <= self._session_trust)
        self.custom_shapes.reset()
        self.project.live.refresh(custom.custom_users(doc))

    def _on_custom_project_reset(self, _event) -> None:
        # New contents: nothing is trusted until the store, read once the new path is
        # set, says so (a load sets the path after replacing the contents).
        self._custom_fresh = True
        self._session_trust = frozenset()
        trust.apply(self.project.doc, False)
        QtCore.QTimer.singleShot(0, self, self._apply_stored_trust)

    def _on_custom_path_changed(self, _event) -> None:
        doc, path = self.project.doc, self.project.path
        trusted = custom.context(doc).trusted
        digests = custom.code_digests(doc)
        if not self._custom_fresh and path is not None and digests and digests <= trusted:
            trust.trust(path, doc)  # the user's own project saved under a new name
        self._custom_fresh = False
        self._apply_stored_trust()

    def _on_custom_analysis_changed(self, event) -> None:
        if isinstance(event, ev.Event) and custom.custom_nodes(self.project.doc):
            QtCore.QTimer.singleShot(0, self.custom_shapes.poke)

    def trust_custom_code(self) -> TrustDialog | None:
        """Show the project's custom code; trust it if the user agrees."""
        if not custom.has_code(self.doc):
            self.show_message("This project has no custom code (no CustomLayer node, no "
                              "custom losses or metrics)")
            return None
        where = f"Project: {self.project.path}" if self.project.path else \
            "Project: unsaved (trusted until it is closed; save it to keep the trust)"
        self.trust_dialog = TrustDialog(distinct_classes(self.doc), where, self)
        self.trust_dialog.accepted.connect(self._on_trust_dialog_accepted)
        self.trust_dialog.open()
        return self.trust_dialog

    def _on_trust_dialog_accepted(self) -> None:
        self.trust_session_code({e["digest"] for e in distinct_classes(self.doc)})
        if self.project.path is not None:
            trust.trust(self.project.path, self.doc)
        self.show_message("Custom code trusted: Keras computes its shapes in a worker process")

    def trust_session_code(self, digests) -> None:
        """Trust this code in this window (the store keeps it once the project has a path)."""
        self._session_trust = frozenset(digests)
        self._apply_stored_trust()

    def attach_source(self, node_id: str) -> CodeEditorDialog | None:
        """The fix of a CustomLayer without source (the node, or the instance of a block
        holding one): select it and open the class's code editor (whose Load from file...
        reads a `.py` file); an accepted source is one undoable edit (of the node, or of
        the block definition), and the code runs only once trusted, as any other."""
        node = self.doc.nodes.get(node_id)
        target = self._source_target(node)
        if target is None:
            return None
        self.canvas.select([node_id])
        params = target.params
        registered = None if str(params.get("source") or "").strip() else \
            custom.registered_name(params)
        dialog = CodeEditorDialog(str(params.get("class_name", "")),
                                  str(params.get("source") or ""), self, registered)
        dialog.accepted.connect(lambda: self._on_source_attached(target, dialog))
        self.source_dialog = dialog
        dialog.open()
        return dialog

    def _source_target(self, node):
        """The CustomLayer the fix edits: the node itself, or the first one without source
        in the definition of the block `node` is an instance of."""
        if node is not None and node.kind == custom.KIND:
            return node
        block = node.params.get("block") if node is not None else None
        inner = custom.block_custom_nodes({block: self.doc.blocks.get(block) or {}})
        return next((n for n in inner if not str(n.params.get("source") or "").strip()),
                    None)

    def _on_source_attached(self, target, dialog: CodeEditorDialog) -> None:
        text = dialog.source()
        if text == target.params.get("source"):
            return
        if isinstance(target, custom.BlockNode):
            definition = copy.deepcopy(self.doc.blocks[target.block])
            for inner in definition["nodes"]:
                if inner.get("id") == target.id:
                    inner.setdefault("params", {})["source"] = text
            self.stack.push(SetBlockDefinition(self.doc, target.block, definition))
        else:
            self.stack.push(cmd.SetParam(self.doc, target.id, "source", text))
        self.show_message(f"Source attached to {target.name!r}: it runs once you trust "
                          "the project's code (Edit > Trust Custom Code...)")

    def custom_import_arguments(self, model_path: str) -> list[str] | None:
        """The import's extra arguments: [] for a model without custom classes or when
        the user imports without their source, the code file and the trust flag once the
        user picked the file and trusted its classes, None when the user declined.
        Nothing from the file runs here (it is parsed)."""
        from ...runtime.custom_import import read_classes, references
        from ...runtime.import_map import ModelImportError
        from ...runtime.importer import check_file

        try:
            refs = references(check_file(model_path))
        except ModelImportError:
            return []  # the import itself says what is wrong with the model file
        if not refs:
            return []
        code = (self.ask_custom_code or self._ask_custom_code_file)(refs)
        if code is None:
            return None
        if not code:  # their layers come in without source, to attach later
            return []
        try:
            classes = read_classes(code)
        except ModelImportError as exc:
            self.show_error("Cannot import the model", str(exc))
            return None
        missing = [r.class_name for r in refs if r.class_name not in classes]
        if missing:
            self.show_error("Cannot import the model", f"{code} defines no class "
                            f"{', '.join(missing)}, which the model needs")
            return None
        entries = import_entries(refs, classes)
        dialog = TrustDialog(entries, f"Model: {model_path}<br>Code: {code}", self,
                             "Trust and Import")
        self.trust_dialog = dialog
        if dialog.exec() != QtWidgets.QDialog.Accepted:
            return None
        self._import_trust = frozenset(e["digest"] for e in entries)
        return ["--custom-code", str(code), "--trust-custom-code"]

    def _ask_custom_code_file(self, refs) -> str | None:
        """The `.py` file of the model's custom classes; "" to import without their
        source; None to cancel."""
        names = ", ".join(r.class_name for r in refs)
        box = QtWidgets.QMessageBox(
            QtWidgets.QMessageBox.Question, "Custom layers",
            f"The model uses custom layer classes: {names}. Choose the Python file that "
            "defines them (it is only read until you trust it), or import without their "
            "source: those layers keep their config and shapes, and you attach the class "
            "later.", parent=self)
        choose = box.addButton("Choose File…", QtWidgets.QMessageBox.AcceptRole)
        without = box.addButton("Import Without Source", QtWidgets.QMessageBox.ActionRole)
        box.addButton(QtWidgets.QMessageBox.Cancel)
        box.exec()
        if box.clickedButton() is without:
            return ""
        if box.clickedButton() is not choose:
            return None
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, f"Python source of {names}", "", "Python files (*.py);;All files (*)")
        return path or None

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().closeEvent(event)
        if event.isAccepted():
            self.custom_shapes.shutdown()
