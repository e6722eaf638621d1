"""Qt-free events: the document announces every change, views re-render from them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Event types the document emits. `node` is the node id where one applies.
NODE_ADDED = "node_added"
NODE_REMOVED = "node_removed"
EDGE_ADDED = "edge_added"
EDGE_REMOVED = "edge_removed"
PARAM_CHANGED = "param_changed"
NODE_RENAMED = "node_renamed"
NODE_MOVED = "node_moved"
OUTPUTS_CHANGED = "outputs_changed"
TRAINING_CHANGED = "training_changed"
BLOCKS_CHANGED = "blocks_changed"
SEARCH_CHANGED = "search_changed"
RESET = "reset"

# Events after which shapes downstream of `node` must be inferred again.
SHAPE_EVENTS = frozenset({NODE_ADDED, NODE_REMOVED, EDGE_ADDED, EDGE_REMOVED, PARAM_CHANGED,
                          RESET, BLOCKS_CHANGED})


@dataclass(frozen=True)
class Event:
    """One change. `data` holds the details (edge, param name, old and new values...)."""

    type: str
    node: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


class EventEmitter:
    """A list of callbacks; `emit` calls each in the order they connected."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[[Event], None]] = []

    def connect(self, callback: Callable[[Event], None]) -> None:
        if callback not in self._callbacks:
            self._callbacks.append(callback)

    def disconnect(self, callback: Callable[[Event], None]) -> None:
        if callback in self._callbacks:
            self._callbacks.remove(callback)

    def emit(self, event: Event) -> None:
        for callback in list(self._callbacks):
            callback(event)
