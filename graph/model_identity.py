"""The model's own identity held by the document: its Keras name and the dict keys of its
inputs and outputs, with the raw edits that change them (`Document` inherits these).

Like every raw edit of the document, each setter checks its arguments, changes the
document and emits one event (`ModelChanged`); `graph.commands.SetModelName` and
`SetModelKeys` wrap them into undoable commands, so undo, redo, views and autosave
see a model edit as they see any other.

>>> from kerascanvas.graph.document import Document
>>> doc = Document()
>>> x = doc.add_node("Input", "x", {"shape": [3]})
>>> doc.set_model_name("ranker v2"); doc.set_model_keys("inputs", {x.id: "query"})
>>> doc.model_name, doc.keyed_inputs()
('ranker v2', {'n1': 'query'})
>>> doc.set_model_name("a/b")
Traceback (most recent call last):
...
kerascanvas.graph.errors.DocumentError: a model name cannot contain '/'. Received: name='a/b'
"""

from __future__ import annotations

import itertools

from . import events as ev
from .errors import DocumentError
from .names import key_problem, model_name_problem
from .spec import INPUT

PARTS = ("inputs", "outputs")


class ModelIdentity:
    """Mixed into `Document`: `model_name` ("" writes Keras' default name, 'model'),
    `input_keys` (Input node id -> key) and `output_keys` (`outputs` entry -> key); keys
    of members no longer in the model are kept (an undo brings them back) but ignored."""

    model_name: str
    input_keys: dict[str, str]
    output_keys: dict[str, str]

    def keyed_inputs(self) -> dict[str, str] | None:
        """{Input node id: key} in the model's written order when it takes a dict (an Input
        without a key is keyed by its name), else None: the model takes a list."""
        ids = [n.id for n in self.nodes.values() if n.kind == INPUT]
        return _keyed(self.input_keys, ids, lambda nid: self.nodes[nid].name)

    def keyed_outputs(self) -> dict[str, str] | None:
        """{`outputs` entry: key} in the written order when the model returns a dict (an
        output without a key is keyed by its node's name), else None."""
        return _keyed(self.output_keys, self.outputs, self.output_name)

    def output_name(self, entry: str) -> str:
        """The name losses, metrics, labels and an unkeyed dict give a model output: its
        node's name, and `<node>_<port>` for a further port of the node (an RNN state,
        attention scores). Where another node already has that name (the second of two
        splits is `split_1`, as is the first one's port 1) the port's is
        `<node>_output_<port>` (then `_2`, `_3`... after it), so no two outputs share a
        name.

        >>> from kerascanvas.graph.document import Document
        >>> doc = Document()
        >>> first, second = doc.add_node("Input", "split"), doc.add_node("Input", "split_1")
        >>> doc.output_name(f"{first.id}:1"), doc.output_name(f"{second.id}:1")
        ('split_output_1', 'split_1_1')
        """
        node_id, port = self.output_ref(entry)
        name = self.nodes[node_id].name
        if port == 0:
            return name
        taken = {n.name for n in self.nodes.values()}
        return next(c for c in _port_names(name, port) if c not in taken)

    def set_model_name(self, name: str) -> None:
        """Name the model: any string without '/', or "" for Keras' default name 'model'.

        Raises:
            DocumentError: a name Keras refuses (it repeats what was received).
        """
        problem = model_name_problem(name) if name != "" else None
        if problem:
            raise DocumentError(problem)
        self.model_name = name
        self.events.emit(ev.ModelChanged())

    def set_model_keys(self, part: str, keys: dict[str, str]) -> None:
        """Hold `keys` ({member: key}) for the model's `part` ("inputs" or "outputs"): the
        model takes or returns a dict; empty makes that part a list again.

        Raises:
            DocumentError: an unknown part, or a key that cannot be a dict key.
        """
        if part not in PARTS:
            raise DocumentError(f"the model's parts are {PARTS}. Received: part={part!r}")
        for member, key in keys.items():
            problem = key_problem(key)
            if problem:
                raise DocumentError(f"model {part}, {member!r}: {problem}")
        if part == "inputs":
            self.input_keys = dict(keys)
        else:
            self.output_keys = dict(keys)
        self.events.emit(ev.ModelChanged())


def _keyed(keys: dict[str, str], members: list[str], fallback) -> dict[str, str] | None:
    live = set(members)
    kept = {m: key for m, key in keys.items() if m in live}
    if not kept:
        return None
    return {**kept, **{m: fallback(m) for m in members if m not in kept}}


def _port_names(name: str, port: int):
    """`<name>_<port>`, then `<name>_output_<port>`, `<name>_output_<port>_2`..."""
    yield f"{name}_{port}"
    yield f"{name}_output_{port}"
    yield from (f"{name}_output_{port}_{n}" for n in itertools.count(2))
