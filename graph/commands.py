"""Undoable commands over the document, and the undo stack. No Qt.

One user gesture is one command: `UndoStack.push` runs it, `undo`/`redo` walk
the history. Several edits that form one gesture (delete a selection, paste,
apply a fix) are grouped with `UndoStack.macro(text)`. The stack and the `Command`
base live in `graph.undo_stack`; this module holds the document's commands.

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
from typing import Any

from . import model_keys
from .bulk import collector_paused  # noqa: F401 - importable here as before
from .document import UNSET, Document, Edge, output_entry
from .errors import DocumentError  # noqa: F401 - importable here as before
from .undo_stack import Command, Macro, UndoStack  # noqa: F401 - public here too


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


class DropParam(Command):
    """Remove a param the node's kind does not have (a file's, or one its kind lost when it
    changed); undo puts it back."""

    def __init__(self, doc: Document, node_id: str, name: str):
        self.doc, self.node_id, self.name = doc, node_id, name
        self.text = f"Remove {name}"

    def do(self):
        self.old = copy.deepcopy(self.doc.node(self.node_id).params.get(self.name, UNSET))
        self.doc.set_param(self.node_id, self.name, UNSET, checked=False)

    def undo(self):
        self.doc.set_param(self.node_id, self.name, self.old, checked=False)


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
