"""Undoable commands over the document, and the undo stack. No Qt.

One user gesture is one command: `UndoStack.push` runs it, `undo`/`redo` walk
the history. Several edits that form one gesture (delete a selection, paste,
apply a fix) are grouped with `UndoStack.macro(text)`.

>>> from kerascanvas.graph.document import Document
>>> doc, stack = Document(), UndoStack()
>>> node = stack.push(AddNode(doc, "Dense", params={"units": 4}))
>>> stack.push(SetParam(doc, node.id, "units", 8)); doc.node(node.id).params["units"]
8
>>> stack.undo(); doc.node(node.id).params["units"]
4
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from . import model_keys
from .bulk import collector_paused
from .document import UNSET, Document, Edge, output_entry
from .errors import DocumentError


class Command:
    """An edit that can be done, undone and redone."""

    text = "Edit"

    def do(self) -> Any:
        raise NotImplementedError

    def undo(self) -> None:
        raise NotImplementedError


class AddNode(Command):
    def __init__(self, doc: Document, kind: str, name: str | None = None,
                 params: dict | None = None, pos=None, node_id: str | None = None,
                 index: int | None = None):
        self.doc, self.kind, self.name, self.params, self.pos = doc, kind, name, params, pos
        self.node_id, self.index = node_id, index
        self.text = f"Add {kind}"

    def do(self):
        node = self.doc.add_node(self.kind, self.name, self.params, node_id=self.node_id,
                                 index=self.index, pos=self.pos)
        self.node_id, self.name, self.params = node.id, node.name, copy.deepcopy(node.params)
        return node

    def undo(self):
        self.doc.remove_node(self.node_id)


class RemoveNodes(Command):
    """Remove nodes with their edges, in one pass over the edges however many go; undo puts
    each node, edge, model output and position back in its place."""

    def __init__(self, doc: Document, node_ids):
        self.doc, self.node_ids = doc, list(dict.fromkeys(node_ids))
        self.text = f"Delete {len(self.node_ids)} node" + ("s" if len(self.node_ids) > 1 else "")

    def do(self):
        self.removal = self.doc.remove_nodes(self.node_ids)

    def undo(self):
        self.doc.restore(self.removal)


class RemoveNode(RemoveNodes):
    """Remove one node with its edges (see `RemoveNodes`)."""

    def __init__(self, doc: Document, node_id: str):
        super().__init__(doc, [node_id])
        self.node_id = node_id
        self.text = f"Delete {doc.node(node_id).name}"


class Connect(Command):
    """Add a wire; `check_cycle=False` where the caller knows it closes no cycle (see
    `Document.connect`)."""

    def __init__(self, doc: Document, edge: Edge, check_cycle: bool = True):
        self.doc, self.edge, self.check_cycle = doc, edge, check_cycle
        self.text = "Connect"

    def do(self):
        self.doc.connect(self.edge, check_cycle=self.check_cycle)

    def undo(self):
        self.doc.disconnect(self.edge)


class Disconnect(Command):
    def __init__(self, doc: Document, edge: Edge):
        self.doc, self.edge = doc, edge
        self.text = "Disconnect"

    def do(self):
        self.index = self.doc.disconnect(self.edge)

    def undo(self):
        self.doc.connect(self.edge, index=self.index)


class SetParam(Command):
    """Set one param (`UNSET` resets it to Keras' default)."""

    def __init__(self, doc: Document, node_id: str, name: str, value: Any):
        self.doc, self.node_id, self.name, self.value = doc, node_id, name, value
        self.text = f"Set {name}"

    def do(self):
        self.old = copy.deepcopy(self.doc.node(self.node_id).params.get(self.name, UNSET))
        self.doc.set_param(self.node_id, self.name, self.value)

    def undo(self):
        self.doc.set_param(self.node_id, self.name, self.old)


class Rename(Command):
    def __init__(self, doc: Document, node_id: str, name: str):
        self.doc, self.node_id, self.name = doc, node_id, name
        self.text = f"Rename to {name}"

    def do(self):
        self.old = self.doc.node(self.node_id).name
        self.doc.rename(self.node_id, self.name)

    def undo(self):
        self.doc.rename(self.node_id, self.old)


class Move(Command):
    """Set node positions; `text` names the edit in Undo/Redo ("Auto layout" for a layout)."""

    def __init__(self, doc: Document, moves: dict[str, tuple[float, float]], text: str = "Move"):
        self.doc, self.moves = doc, dict(moves)
        self.text = text

    def do(self):
        self.old = {nid: self.doc.position(nid) for nid in self.moves}
        for nid, pos in self.moves.items():
            self.doc.set_position(nid, pos)

    def undo(self):
        for nid, pos in self.old.items():
            self.doc.set_position(nid, pos)


class SetOutputs(Command):
    def __init__(self, doc: Document, outputs: list[str]):
        self.doc, self.outputs = doc, list(outputs)
        self.text = "Set model outputs"

    def do(self):
        self.old = list(self.doc.outputs)
        self.doc.set_outputs(self.outputs)

    def undo(self):
        self.doc.set_outputs(self.old)


class MarkOutput(SetOutputs):
    """Make one output port of a node a model output (listed last), or no longer one; the
    other outputs keep their order."""

    def __init__(self, doc: Document, node_id: str, port: int, on: bool):
        entry = output_entry(node_id, port)
        kept = [o for o in doc.outputs if o != entry]
        super().__init__(doc, doc.outputs if on and entry in doc.outputs
                         else kept + ([entry] if on else []))
        self.text = "Mark model output" if on else "Unmark model output"


class SetTraining(Command):
    def __init__(self, doc: Document, training: dict):
        self.doc, self.training = doc, copy.deepcopy(training)
        self.text = "Change training settings"

    def do(self):
        self.old = copy.deepcopy(self.doc.training)
        self.doc.set_training(self.training)

    def undo(self):
        self.doc.set_training(self.old)


class SetInitialWeights(Command):
    """Set the `weights` section (`graph.initial_weights`): another file, or on / off."""

    def __init__(self, doc: Document, weights: dict, text: str = "Change initial weights"):
        self.doc, self.weights, self.text = doc, copy.deepcopy(weights), text

    def do(self):
        self.old = copy.deepcopy(self.doc.weights)
        self.doc.set_weights(self.weights)

    def undo(self):
        self.doc.set_weights(self.old)


class SetModelName(Command):
    """Name the model ("" gives it Keras' default name, 'model')."""

    def __init__(self, doc: Document, name: str):
        self.doc, self.name = doc, name
        self.text = f"Name the model {name!r}" if name else "Give the model its default name"

    def do(self):
        self.old = self.doc.model_name
        self.doc.set_model_name(self.name)

    def undo(self):
        self.doc.set_model_name(self.old)


class SetModelKeys(Command):
    """Set the dict keys of the model's inputs or outputs ({member: key}; {} for a list)."""

    def __init__(self, doc: Document, part: str, keys: dict[str, str], text: str = ""):
        self.doc, self.part, self.keys = doc, part, dict(keys)
        self.text = text or (f"Key the model's {part}" if keys else f"List the model's {part}")

    def do(self):
        self.old = dict(model_keys.stored(self.doc, self.part))
        self.doc.set_model_keys(self.part, self.keys)

    def undo(self):
        self.doc.set_model_keys(self.part, self.old)


class Macro(Command):
    """Several commands run as one; undo runs theirs in reverse."""

    def __init__(self, text: str):
        self.text = text
        self.children: list[Command] = []

    def do(self):
        for c in self.children:
            c.do()

    def undo(self):
        for c in reversed(self.children):
            c.undo()


class UndoStack:
    """History of commands with a clean mark for "saved".

    `listeners` are called with no arguments after every change of the history.
    `bulk` frames each edit the stack runs (a push, a macro, an undo or a redo) so that
    views can treat its events as one change; a `Project` sets it to its document's
    `events.bulk`.
    """

    def __init__(self) -> None:
        self._done: list[Command] = []
        self._undone: list[Command] = []
        self._macro: Macro | None = None
        self._busy = False
        self._clean_depth: int | None = 0
        self.listeners: list[Callable[[], None]] = []
        self.bulk: Callable[[], AbstractContextManager] = nullcontext

    def push(self, command: Command) -> Any:
        """Run `command` and record it. A refused command leaves no trace."""
        if self._busy:
            raise DocumentError("An edit was attempted while another edit was running")
        self._busy = True
        try:
            with collector_paused(), self.bulk():
                result = command.do()
        finally:
            self._busy = False
        if self._macro is not None:
            self._macro.children.append(command)
            return result
        self._done.append(command)
        if self._clean_depth is not None and self._clean_depth > len(self._done) - 1:
            self._clean_depth = None
        self._undone.clear()
        self._changed()
        return result

    @contextmanager
    def macro(self, text: str) -> Iterator[Macro]:
        """Group the pushes inside the `with` into one undoable step.

        If an edit inside fails, the ones already made are undone and the error propagates.
        """
        if self._macro is not None:  # nested: join the outer gesture
            yield self._macro
            return
        self._macro = macro = Macro(text)
        with collector_paused(), self.bulk():  # the whole gesture is one edit for the views
            try:
                yield macro
            except BaseException:
                self._macro = None
                macro.undo()
                raise
            self._macro = None
        if macro.children:
            self._done.append(macro)
            self._undone.clear()
            if self._clean_depth is not None and self._clean_depth > len(self._done) - 1:
                self._clean_depth = None
            self._changed()

    def undo(self) -> None:
        if self._done:
            command = self._done.pop()
            self._run(command.undo)
            self._undone.append(command)
            self._changed()

    def redo(self) -> None:
        if self._undone:
            command = self._undone.pop()
            self._run(command.do)
            self._done.append(command)
            self._changed()

    def _run(self, fn):
        if self._busy:
            raise DocumentError("Undo or redo was attempted while an edit was running")
        self._busy = True
        try:
            with collector_paused(), self.bulk():
                fn()
        finally:
            self._busy = False

    @property
    def can_undo(self) -> bool:
        return bool(self._done)

    @property
    def can_redo(self) -> bool:
        return bool(self._undone)

    @property
    def undo_text(self) -> str:
        return self._done[-1].text if self._done else ""

    @property
    def redo_text(self) -> str:
        return self._undone[-1].text if self._undone else ""

    def set_clean(self) -> None:
        self._clean_depth = len(self._done)
        self._changed()

    @property
    def is_clean(self) -> bool:
        return self._clean_depth == len(self._done)

    def mark_modified(self) -> None:
        """No state in the history counts as saved (work restored after a crash)."""
        self._clean_depth = None
        self._changed()

    def clear(self) -> None:
        self._done.clear()
        self._undone.clear()
        self._clean_depth = 0
        self._changed()

    def _changed(self) -> None:
        for listener in list(self.listeners):
            listener()
