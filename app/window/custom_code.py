"""Custom code in the window: the trust dialog, and Keras' shapes from a worker process.

Opening a project trusts its CustomLayer code only if the trust store says so
(`runtime.trust`: this project's path and this very code). Edit > Trust Custom
Code... shows every class before the user agrees. Once trusted, the shapes the
analysis asks for are computed by `runtime.custom_worker` in a background
thread, so neither the GUI thread nor this process imports keras.
"""

from __future__ import annotations

import threading

from PySide6 import QtCore, QtWidgets

from ...graph import events as ev
from ...graph.layers import custom
from ...runtime import trust
from ..panels.code_editor import CodeTextEdit

WARNING = ("Trusting runs this Python code on your computer, with your rights: it can "
           "read, change or send your files. Trust only code you have read or written.")


def distinct_classes(doc) -> list[dict]:
    """One entry per distinct piece of code: class name, digest, source, node names."""
    found: dict[str, dict] = {}
    for node in custom.custom_nodes(doc):
        digest = custom.code_digest(node.params)
        entry = found.setdefault(digest, {"class_name": node.params.get("class_name", "?"),
                                          "digest": digest, "nodes": [],
                                          "source": node.params.get("source", "")})
        entry["nodes"].append(node.name)
    return list(found.values())


class TrustDialog(QtWidgets.QDialog):
    """Shows the project's custom code, read-only; accepting means "trust this code"."""

    def __init__(self, doc, path: str | None, parent=None):
        super().__init__(parent)
        self.setObjectName("TrustDialog")
        self.setWindowTitle("Trust custom code")
        self.resize(760, 600)
        layout = QtWidgets.QVBoxLayout(self)
        where = path or "this unsaved project (trusted until it is closed; save it to keep it)"
        head = QtWidgets.QLabel(f"<b>{WARNING}</b><br>Project: {where}")
        head.setWordWrap(True)
        layout.addWidget(head)
        self.tabs = QtWidgets.QTabWidget()
        for entry in distinct_classes(doc):
            page = CodeTextEdit(entry["source"], read_only=True)
            page.setToolTip(f"sha256 {entry['digest']}\nused by: {', '.join(entry['nodes'])}")
            self.tabs.addTab(page, entry["class_name"])
        layout.addWidget(self.tabs, 1)
        buttons = QtWidgets.QDialogButtonBox()
        self.trust_button = buttons.addButton("Trust and Run",
                                              QtWidgets.QDialogButtonBox.AcceptRole)
        self.trust_button.setObjectName("trust_button")
        cancel = buttons.addButton(QtWidgets.QDialogButtonBox.Cancel)
        cancel.setDefault(True)  # Enter does not trust by accident
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


class CustomShapeService(QtCore.QObject):
    """Answers the analysis' custom shape requests with a worker process, off the GUI thread."""

    answered = QtCore.Signal(object)  # {key: result}, from the worker thread

    def __init__(self, project, parent=None):
        super().__init__(parent)
        self.project = project
        self.solver = None
        self.solver_factory = None  # None: a runtime.custom_worker.WorkerSolver
        self.in_flight: set[str] = set()
        self.answered.connect(self._on_answered)

    def poke(self) -> None:
        """Send what the analysis asked for and nobody is computing yet."""
        self.project.analysis  # noqa: B018 - bringing it up to date fills `pending`
        ctx = custom.context(self.project.doc)
        wanted = {k: v for k, v in ctx.pending.items()
                  if k not in ctx.results and k not in self.in_flight}
        if not wanted or self.in_flight:
            return
        self.in_flight.update(wanted)
        threading.Thread(target=self._solve, args=(wanted,), daemon=True).start()

    def _solve(self, wanted: dict) -> None:
        from ...runtime.custom_worker import WorkerError, WorkerSolver

        try:
            if self.solver is None:
                self.solver = (self.solver_factory or WorkerSolver)()
            results = self.solver(wanted)
        except WorkerError as exc:
            self.solver = None
            results = {key: {"error": str(exc)} for key in wanted}
        self.answered.emit(results)

    def _on_answered(self, results: dict) -> None:
        self.in_flight.clear()
        ctx = custom.context(self.project.doc)
        ctx.results.update(results)
        ctx.pending.clear()
        self.project.live.refresh([n.id for n in custom.custom_nodes(self.project.doc)])
        self.poke()  # layers after these may now ask for theirs

    def reset(self) -> None:
        """Forget answers in flight (the project was replaced)."""
        self.in_flight.clear()

    def shutdown(self) -> None:
        if hasattr(self.solver, "close"):
            self.solver.close()
            self.solver = None


class CustomCodeMixin:
    """MainWindow part: trust on open, the trust dialog, the shape service."""

    def init_custom_code(self) -> None:
        self.custom_shapes = CustomShapeService(self.project, self)
        self.trust_dialog: TrustDialog | None = None
        self._custom_fresh = True  # contents just loaded: only the store may trust them
        self.project.events.reset.connect(self._on_custom_project_reset)
        self.project.events.path_changed.connect(self._on_custom_path_changed)
        self.project.events.analysis_changed.connect(self._on_custom_analysis_changed)
        self._apply_stored_trust()

    def _apply_stored_trust(self) -> None:
        doc = self.project.doc
        trust.apply(doc, trust.is_trusted(self.project.path, doc))
        self.custom_shapes.reset()
        self.project.live.refresh([n.id for n in custom.custom_nodes(doc)])

    def _on_custom_project_reset(self, _event) -> None:
        # New contents: nothing is trusted until the store, read once the new path is
        # set, says so (a load sets the path after replacing the contents).
        self._custom_fresh = True
        trust.apply(self.project.doc, False)
        QtCore.QTimer.singleShot(0, self._apply_stored_trust)

    def _on_custom_path_changed(self, _event) -> None:
        doc, path = self.project.doc, self.project.path
        trusted = custom.context(doc).trusted
        digests = {custom.code_digest(n.params) for n in custom.custom_nodes(doc)}
        if not self._custom_fresh and path is not None and digests and digests <= trusted:
            trust.trust(path, doc)  # the user's own project saved under a new name
        self._custom_fresh = False
        self._apply_stored_trust()

    def _on_custom_analysis_changed(self, event) -> None:
        if isinstance(event, ev.Event) and custom.custom_nodes(self.project.doc):
            QtCore.QTimer.singleShot(0, self.custom_shapes.poke)

    def trust_custom_code(self) -> TrustDialog | None:
        """Show the project's custom code; trust it if the user agrees."""
        if not custom.custom_nodes(self.doc):
            self.show_message("This project has no custom code (no CustomLayer node)")
            return None
        self.trust_dialog = TrustDialog(self.doc, self.project.path, self)
        self.trust_dialog.accepted.connect(self._on_trust_dialog_accepted)
        self.trust_dialog.open()
        return self.trust_dialog

    def _on_trust_dialog_accepted(self) -> None:
        doc = self.doc
        if self.project.path is not None:
            trust.trust(self.project.path, doc)
        trust.apply(doc, True)
        self.project.live.refresh([n.id for n in custom.custom_nodes(doc)])
        self.show_message("Custom code trusted: Keras computes its shapes in a worker process")

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().closeEvent(event)
        if event.isAccepted():
            self.custom_shapes.shutdown()
