"""Qt-free typed events: the document announces every change, views re-render from them.

Each kind of change is its own frozen dataclass. A view subscribes to the kinds it
draws, as napari's views do to `layer.events.<name>`, or to every kind at once:

>>> from kerascanvas.graph.document import Document
>>> doc, heard = Document(), []
>>> doc.events.node_added.connect(lambda e: heard.append(e.node))
>>> doc.events.connect(lambda e: heard.append(e.type))
>>> _ = doc.add_node("Dense", node_id="n7")
>>> heard
['n7', 'node_added']
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class Event:
    """One change. `node` is the id of the node it concerns, where one applies."""

    type: ClassVar[str] = "event"
    node: str | None = None

    @property
    def data(self) -> dict[str, Any]:
        """The details beyond `node` (edge, param name, old and new values...), by name."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if f.name != "node"}


@dataclass(frozen=True)
class NodeAdded(Event):
    type: ClassVar[str] = "node_added"


@dataclass(frozen=True)
class NodeRemoved(Event):
    type: ClassVar[str] = "node_removed"
    removed: Any = None  # the Node that was removed


@dataclass(frozen=True)
class EdgeAdded(Event):
    """`node` is the edge's destination (the node whose inputs changed)."""

    type: ClassVar[str] = "edge_added"
    edge: Any = None


@dataclass(frozen=True)
class EdgeRemoved(Event):
    """`node` is the edge's destination (the node whose inputs changed)."""

    type: ClassVar[str] = "edge_removed"
    edge: Any = None


@dataclass(frozen=True)
class ParamChanged(Event):
    type: ClassVar[str] = "param_changed"
    param: str = ""
    old: Any = None
    new: Any = None


@dataclass(frozen=True)
class NodeRenamed(Event):
    type: ClassVar[str] = "node_renamed"
    old: str = ""
    new: str = ""


@dataclass(frozen=True)
class NodeMoved(Event):
    type: ClassVar[str] = "node_moved"
    pos: tuple[float, float] | None = None


@dataclass(frozen=True)
class OutputsChanged(Event):
    type: ClassVar[str] = "outputs_changed"


@dataclass(frozen=True)
class TrainingChanged(Event):
    type: ClassVar[str] = "training_changed"


@dataclass(frozen=True)
class BlocksChanged(Event):
    """A user block definition was added, changed or removed."""

    type: ClassVar[str] = "blocks_changed"
    block: str = ""


@dataclass(frozen=True)
class SearchChanged(Event):
    """The search section (ranges to tune) changed."""

    type: ClassVar[str] = "search_changed"


@dataclass(frozen=True)
class ModelChanged(Event):
    """The model's own identity changed: its name, or the dict keys of its inputs or
    outputs (`graph.model_section`)."""

    type: ClassVar[str] = "model_changed"


@dataclass(frozen=True)
class Reset(Event):
    """Everything changed (after a load)."""

    type: ClassVar[str] = "reset"


@dataclass(frozen=True)
class BulkStarted(Event):
    """The events up to the next `BulkFinished` make one edit (a paste, a delete, an undo):
    a view may hold its work (redrawing wires, announcing the analysis) until then."""

    type: ClassVar[str] = "bulk_started"


@dataclass(frozen=True)
class BulkFinished(Event):
    """The edit that `BulkStarted` announced is complete."""

    type: ClassVar[str] = "bulk_finished"


DOCUMENT_EVENTS: tuple[type[Event], ...] = (
    NodeAdded, NodeRemoved, EdgeAdded, EdgeRemoved, ParamChanged, NodeRenamed, NodeMoved,
    OutputsChanged, TrainingChanged, BlocksChanged, SearchChanged, ModelChanged, Reset,
    BulkStarted, BulkFinished)

# The kind names, for views that test `event.type`.
NODE_ADDED, NODE_REMOVED = NodeAdded.type, NodeRemoved.type
EDGE_ADDED, EDGE_REMOVED = EdgeAdded.type, EdgeRemoved.type
PARAM_CHANGED, NODE_RENAMED, NODE_MOVED = ParamChanged.type, NodeRenamed.type, NodeMoved.type
OUTPUTS_CHANGED, TRAINING_CHANGED = OutputsChanged.type, TrainingChanged.type
BLOCKS_CHANGED, SEARCH_CHANGED, RESET = BlocksChanged.type, SearchChanged.type, Reset.type
MODEL_CHANGED = ModelChanged.type
BULK_STARTED, BULK_FINISHED = BulkStarted.type, BulkFinished.type

# Events after which shapes downstream of `node` must be inferred again.
SHAPE_EVENTS = frozenset({NODE_ADDED, NODE_REMOVED, EDGE_ADDED, EDGE_REMOVED, PARAM_CHANGED,
                          RESET, BLOCKS_CHANGED})

Callback = Callable[[Event], None]


class EmitterKind:
    """The subscription point of one kind of event: `connect`, `disconnect`."""

    def __init__(self, group: EventEmitter, kind: str | None) -> None:
        self._group, self._kind = group, kind

    def connect(self, callback: Callback) -> None:
        self._group._add(self._kind, callback)

    def disconnect(self, callback: Callback) -> None:
        self._group._remove(self._kind, callback)


class EventEmitter:
    """Callbacks per event kind, called in the order they connected.

    `connect` subscribes to every kind; `emitter.<kind>.connect` (for instance
    `emitter.edge_added`) to one kind. Kinds are the `type` names of `kinds`.
    """

    def __init__(self, kinds: tuple[type[Event], ...] = DOCUMENT_EVENTS) -> None:
        self._callbacks: list[tuple[str | None, Callback]] = []
        self._bulk_depth = 0
        self.kinds = {k.type: k for k in kinds}
        for name in self.kinds:
            setattr(self, name, EmitterKind(self, name))

    def connect(self, callback: Callback) -> None:
        self._add(None, callback)

    def disconnect(self, callback: Callback) -> None:
        self._remove(None, callback)

    def _add(self, kind: str | None, callback: Callback) -> None:
        if (kind, callback) not in self._callbacks:
            self._callbacks.append((kind, callback))

    def _remove(self, kind: str | None, callback: Callback) -> None:
        if (kind, callback) in self._callbacks:
            self._callbacks.remove((kind, callback))

    @property
    def in_bulk(self) -> bool:
        """Whether an edit framed by `bulk` is under way: a view that redoes all its work on
        each event may wait for `BulkFinished` instead."""
        return self._bulk_depth > 0

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """Frame the events emitted inside the `with` as one edit: `BulkStarted` before them,
        `BulkFinished` after (even when the edit fails). A bulk inside a bulk joins it.

        >>> emitter, heard = EventEmitter(), []
        >>> emitter.connect(lambda e: heard.append(e.type))
        >>> with emitter.bulk():
        ...     with emitter.bulk():
        ...         emitter.emit(NodeAdded("n1"))
        >>> heard
        ['bulk_started', 'node_added', 'bulk_finished']
        """
        self._bulk_depth += 1
        try:
            if self._bulk_depth == 1:
                self.emit(BulkStarted())
            yield
        finally:
            self._bulk_depth -= 1
            if self._bulk_depth == 0:
                self.emit(BulkFinished())

    def emit(self, event: Event) -> None:
        if event.type not in self.kinds:
            raise ValueError(f"Unknown event kind {event.type!r}; expected one of "
                             f"{', '.join(self.kinds)}")
        for kind, callback in list(self._callbacks):
            if kind is None or kind == event.type:
                callback(event)
