"""The project: one document with its undo stack and its live analysis. No Qt.

Everything that works on a model opens it as a `Project`: the window, the
command line, the training worker and the tests. Views subscribe to
`project.events`, which carries the document's typed events (after the analysis
has taken note of them) and the project's own:

- `analysis_changed`: the analysis may differ; read `project.analysis` again;
- `history_changed`: the undo history or its clean mark moved;
- `path_changed`: the project now belongs to another file (or to none).

>>> from kerascanvas.graph import commands as cmd
>>> from kerascanvas.graph.document import Edge
>>> project, heard = Project(), []
>>> project.events.analysis_changed.connect(lambda e: heard.append(e.type))
>>> x = project.push(cmd.AddNode(project.doc, "Input", params={"shape": [3]}))
>>> y = project.push(cmd.AddNode(project.doc, "Dense", params={"units": 2}))
>>> project.push(cmd.Connect(project.doc, Edge(x.id, 0, y.id, 0)))
>>> project.push(cmd.SetOutputs(project.doc, [y.id]))
>>> project.analysis.valid, project.analysis.total_params, project.is_clean
(True, (8, 0), False)
>>> heard[:1]
['analysis_changed']
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from . import events as ev
from . import projectfile
from .commands import Command, UndoStack
from .document import Document
from .initial_weights import anchored
from .validate import Analysis, LiveAnalysis


@dataclass(frozen=True)
class AnalysisChanged(ev.Event):
    type: ClassVar[str] = "analysis_changed"


@dataclass(frozen=True)
class HistoryChanged(ev.Event):
    type: ClassVar[str] = "history_changed"


@dataclass(frozen=True)
class PathChanged(ev.Event):
    type: ClassVar[str] = "path_changed"
    path: str | None = None


PROJECT_EVENTS = (*ev.DOCUMENT_EVENTS, AnalysisChanged, HistoryChanged, PathChanged)


class Project:
    """A document, the history of its edits and its analysis, kept in step.

    Attributes:
        doc: the document (the truth; edit it through commands pushed here).
        stack: the undo stack of those commands.
        live: the incremental analysis that follows `doc`.
        path: the file the project was opened from or saved to, or None.
        events: typed events, per kind (`events.edge_added.connect(...)`) or all at once.
    """

    def __init__(self, doc: Document | None = None, path: str | os.PathLike | None = None):
        self.doc = doc if doc is not None else Document()
        self.stack = UndoStack()
        self.stack.bulk = self.doc.events.bulk  # an edit's events reach views as one batch
        self.live = LiveAnalysis(self.doc)  # connects first: views hear of edits after it
        self._path = None if path is None else str(path)
        self.events = ev.EventEmitter(PROJECT_EVENTS)
        self.doc.events.connect(self.events.emit)
        self.live.listeners.append(self._on_live_changed)
        self.stack.listeners.append(self._on_stack_changed)

    # ---- opening and saving ------------------------------------------------
    @classmethod
    def open(cls, path: str | os.PathLike) -> Project:
        """The project saved at `path`. Raises ProjectFileError naming the file and field."""
        return cls(projectfile.load(path), path)

    def load(self, path: str | os.PathLike, untitled: bool = False) -> None:
        """Open the file at `path` in this project (views stay subscribed); see `replace`.

        `untitled=True` opens it as a new project with no file (an example used as a
        template: saving never overwrites it). A file that fails to load changes nothing.

        Raises:
            ProjectFileError: naming the file and the field.
        """
        self.replace(projectfile.load(path), None if untitled else path)

    @classmethod
    def from_dict(cls, data: Any) -> Project:
        """A project from its file's data (as `projectfile.to_dict` makes it)."""
        return cls(projectfile.from_dict(data))

    def to_dict(self) -> dict[str, Any]:
        return projectfile.to_dict(self.doc)

    def save(self, path: str | os.PathLike | None = None) -> None:
        """Write the project (atomically) to `path`, or to its own path, and mark it clean."""
        target = self._path if path is None else str(path)
        if target is None:
            raise ValueError("The project has no file yet; give a path to save it to")
        if self._path is not None:  # saved elsewhere: the weights file is still found
            anchored(self.doc, Path(self._path).parent)
        projectfile.save(self.doc, target)
        self.path = target
        self.stack.set_clean()

    def replace(self, new: Document, path: str | os.PathLike | None = None,
                clean: bool = True) -> None:
        """Hold what `new` holds (a load): views rebuild, the history starts afresh.

        `clean=False` keeps the project marked as modified (restored unsaved work).
        """
        self.doc.take_contents(new)
        self.path = None if path is None else str(path)
        self.stack.clear()
        if not clean:
            self.stack.mark_modified()

    # ---- state ---------------------------------------------------------------
    @property
    def analysis(self) -> Analysis:
        """Shapes, counts and issues of the document as it is now."""
        return self.live.analysis

    @property
    def path(self) -> str | None:
        return self._path

    @path.setter
    def path(self, path: str | os.PathLike | None) -> None:
        path = None if path is None else str(path)
        if path != self._path:
            self._path = path
            self.events.emit(PathChanged(None, path))

    @property
    def is_clean(self) -> bool:
        """Whether the project equals what was last saved (or opened)."""
        return self.stack.is_clean

    def push(self, command: Command) -> Any:
        """Run an undoable edit; returns what the command returns."""
        return self.stack.push(command)

    def close(self) -> None:
        """Stop following the document (the analysis and the events)."""
        self.live.close()
        self.live.listeners.remove(self._on_live_changed)
        self.doc.events.disconnect(self.events.emit)
        self.stack.listeners.remove(self._on_stack_changed)

    def _on_live_changed(self) -> None:
        self.events.emit(AnalysisChanged())

    def _on_stack_changed(self) -> None:
        self.events.emit(HistoryChanged())
