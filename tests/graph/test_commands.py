"""Undo/redo of every command kind restores the document exactly; macros; the clean mark."""

from __future__ import annotations

import pytest

from kerascanvas.graph import commands as cmd
from kerascanvas.graph.document import UNSET, Document, Edge
from kerascanvas.graph.errors import DocumentError
from kerascanvas.graph.projectfile import dumps
from tests.graph.test_validate import make_doc


def base_doc() -> Document:
    doc = make_doc([("x", "Input", {"shape": [16]}), ("h", "Dense", {"units": 8}),
                    ("skip", "Dense", {"units": 8}), ("add", "Add", {}),
                    ("out", "Dense", {"units": 2, "activation": "softmax"})],
                   [("x", "h", 0), ("x", "skip", 0), ("h", "add", 0), ("skip", "add", 1),
                    ("add", "out", 0)], ["out", "add"], {"epochs": 2})
    doc.set_position("h", (10.0, 20.0))
    return doc


COMMANDS = {
    "add node": lambda d: cmd.AddNode(d, "Dense", params={"units": 3}, pos=(1, 2)),
    "add named node": lambda d: cmd.AddNode(d, "Dropout", "drop", {"rate": 0.1}),
    "remove middle node": lambda d: cmd.RemoveNode(d, "h"),
    "remove output node": lambda d: cmd.RemoveNode(d, "out"),
    "remove input": lambda d: cmd.RemoveNode(d, "x"),
    "remove several nodes": lambda d: cmd.RemoveNodes(d, ["out", "x", "h"]),
    "remove all nodes": lambda d: cmd.RemoveNodes(d, list(d.nodes)),
    "connect": lambda d: cmd.Connect(d, Edge("x", 0, "add", 2)),
    "disconnect first edge": lambda d: cmd.Disconnect(d, d.edges[0]),
    "disconnect middle edge": lambda d: cmd.Disconnect(d, d.edges[2]),
    "set param": lambda d: cmd.SetParam(d, "h", "units", 32),
    "set new param": lambda d: cmd.SetParam(d, "h", "activation", "relu"),
    "reset param": lambda d: cmd.SetParam(d, "out", "activation", UNSET),
    "drop param": lambda d: cmd.DropParam(d, "h", "units"),  # any name, known or not
    "rename": lambda d: cmd.Rename(d, "h", "hidden"),
    "move placed node": lambda d: cmd.Move(d, {"h": (5.0, 5.0)}),
    "move unplaced node": lambda d: cmd.Move(d, {"skip": (7.0, -1.0)}),
    "set outputs": lambda d: cmd.SetOutputs(d, ["add"]),
    "mark output": lambda d: cmd.MarkOutput(d, "h", 0, True),
    "unmark output": lambda d: cmd.MarkOutput(d, "out", 0, False),
    "set training": lambda d: cmd.SetTraining(d, {"epochs": 9, "loss": "mse"}),
    "name the model": lambda d: cmd.SetModelName(d, "ranker 'v2'"),
    "key the inputs": lambda d: cmd.SetModelKeys(d, "inputs", {"x": "features"}),
    "key the outputs": lambda d: cmd.SetModelKeys(d, "outputs", {"out": "y", "add": "z"}),
    "start from weights": lambda d: cmd.SetInitialWeights(
        d, {"source": "/models/m.keras", "sha256": "0" * 64, "enabled": True}),
}


@pytest.mark.parametrize("name", COMMANDS)
def test_undo_and_redo_restore_the_document_exactly(name):
    doc, stack = base_doc(), cmd.UndoStack()
    before = dumps(doc)
    stack.push(COMMANDS[name](doc))
    after = dumps(doc)
    assert after != before
    for _ in range(2):
        stack.undo()
        assert dumps(doc) == before
        stack.redo()
        assert dumps(doc) == after


def test_mark_output_lists_a_port_last_and_unmarks_only_that_port():
    doc = base_doc()
    cmd.MarkOutput(doc, "h", 0, True).do()
    assert doc.outputs == ["out", "add", "h"]
    cmd.MarkOutput(doc, "add", 0, False).do()
    assert doc.outputs == ["out", "h"]
    cmd.MarkOutput(doc, "out", 0, True).do()  # already one: the order stays
    assert doc.outputs == ["out", "h"]


def test_every_command_kind_is_covered():
    kinds = {type(make(base_doc())).__name__ for make in COMMANDS.values()}
    defined = {c.__name__ for c in vars(cmd).values()
               if isinstance(c, type) and issubclass(c, cmd.Command)}
    assert defined - kinds == {"Command", "Macro"}


def test_whole_history_unwinds_and_replays():
    doc, stack = base_doc(), cmd.UndoStack()
    states = [dumps(doc)]
    for name in ("set param", "rename", "connect", "remove middle node", "add node"):
        stack.push(COMMANDS[name](doc))
        states.append(dumps(doc))
    for state in reversed(states[:-1]):
        stack.undo()
        assert dumps(doc) == state
    assert not stack.can_undo
    for state in states[1:]:
        stack.redo()
        assert dumps(doc) == state
    assert not stack.can_redo


def test_macro_is_one_step():
    doc, stack = base_doc(), cmd.UndoStack()
    before = dumps(doc)
    with stack.macro("Rewire"):
        stack.push(cmd.Disconnect(doc, Edge("add", 0, "out", 0)))
        stack.push(cmd.Connect(doc, Edge("h", 0, "out", 0)))
        stack.push(cmd.RemoveNode(doc, "add"))
    after = dumps(doc)
    assert stack.undo_text == "Rewire"
    stack.undo()
    assert dumps(doc) == before and not stack.can_undo
    stack.redo()
    assert dumps(doc) == after


def test_failing_macro_leaves_no_trace():
    doc, stack = base_doc(), cmd.UndoStack()
    before = dumps(doc)
    with pytest.raises(DocumentError), stack.macro("Broken"):
        stack.push(cmd.SetParam(doc, "h", "units", 4))
        stack.push(cmd.Connect(doc, Edge("out", 0, "x", 0)))  # Input has no input port
    assert dumps(doc) == before and not stack.can_undo


def test_edits_run_with_the_cyclic_collector_paused():
    """An edit (a push, a macro, an undo, a redo) makes its objects without the collector's
    scans, which walked every live object of a large project in the middle of a paste; the
    collector runs again after it, a failed one too."""
    import gc

    class Noting(cmd.Command):
        def __init__(self, fail=False):
            self.fail, self.seen = fail, []

        def do(self):
            self.seen.append(gc.isenabled())
            if self.fail:
                raise DocumentError("refused")

        def undo(self):
            self.seen.append(gc.isenabled())

    stack, single, grouped = cmd.UndoStack(), Noting(), Noting()
    stack.push(single)
    with stack.macro("Group"):
        stack.push(grouped)
    stack.undo()
    stack.redo()
    with pytest.raises(DocumentError):
        stack.push(Noting(fail=True))
    assert single.seen == [False] and grouped.seen == [False, False, False]
    assert gc.isenabled()


def test_refused_command_leaves_no_trace():
    doc, stack = base_doc(), cmd.UndoStack()
    stack.push(cmd.SetParam(doc, "h", "units", 4))
    before = dumps(doc)
    with pytest.raises(DocumentError, match="cycle"):
        stack.push(cmd.Connect(doc, Edge("out", 0, "add", 2)))
    assert dumps(doc) == before
    assert stack.undo_text == "Set units"


def test_clean_mark():
    doc, stack = base_doc(), cmd.UndoStack()
    assert stack.is_clean
    stack.push(COMMANDS["set param"](doc))
    stack.set_clean()
    stack.push(COMMANDS["rename"](doc))
    assert not stack.is_clean
    stack.undo()
    assert stack.is_clean
    stack.undo()
    assert not stack.is_clean
    stack.push(COMMANDS["connect"](doc))  # the saved state can no longer be reached
    while stack.can_undo:
        stack.undo()
        assert not stack.is_clean


class Step(cmd.Move):
    """A move that takes in the next of its kind (as the canvas' arrow-key moves do)."""

    def merge(self, later):
        if not isinstance(later, Step):
            return False
        self.moves = later.moves
        return True


@pytest.mark.parametrize(("between", "steps"), [
    (None, 1),  # three moves, one step
    ("rename", 3),  # another edit between two moves: three steps
    ("undo", 2),  # after an undo the next move is a step of its own (the redo is gone)
    ("save", 2),  # the saved state stays reachable
])
def test_merged_moves_undo_and_redo_as_one_step(between, steps):
    doc, stack = base_doc(), cmd.UndoStack()
    stack.push(cmd.SetParam(doc, "h", "units", 4))
    start = dumps(doc)
    stack.push(Step(doc, {"h": (11.0, 20.0)}))
    if between == "rename":
        stack.push(cmd.Rename(doc, "skip", "side"))
    elif between == "undo":
        stack.push(cmd.Rename(doc, "skip", "side"))
        stack.undo()  # the move of (11, 20) is last again, with a redo waiting
    elif between == "save":
        stack.set_clean()
    saved = dumps(doc)
    stack.push(Step(doc, {"h": (12.5, 21.0)}))
    stack.push(Step(doc, {"h": (13.0, 22.0)}))
    end = dumps(doc)
    assert doc.position("h") == (13.0, 22.0)
    for _ in range(steps):
        stack.undo()
    assert dumps(doc) == start and stack.undo_text == "Set units"
    if between == "save":
        stack.redo()
        assert dumps(doc) == saved and stack.is_clean
    while stack.can_redo:
        stack.redo()
    assert dumps(doc) == end


def test_edits_from_listeners_are_refused():
    doc, stack = base_doc(), cmd.UndoStack()
    refused = []

    def reenter(event):
        try:
            stack.push(cmd.Rename(doc, "skip", "again"))
        except DocumentError as exc:
            refused.append(exc)

    doc.events.connect(reenter)
    stack.push(COMMANDS["set param"](doc))
    assert refused and doc.nodes["skip"].name == "skip"


def test_listeners_hear_every_history_change():
    doc, stack = base_doc(), cmd.UndoStack()
    heard = []
    stack.listeners.append(lambda: heard.append((stack.can_undo, stack.can_redo)))
    stack.push(COMMANDS["set param"](doc))
    stack.undo()
    stack.redo()
    assert heard == [(True, False), (False, True), (True, False)]


def test_removing_nodes_tells_of_each_edge_then_each_node_and_undo_in_reverse():
    doc, stack = base_doc(), cmd.UndoStack()
    heard = []
    doc.events.connect(lambda e: heard.append((e.type, e.node)))
    stack.push(cmd.RemoveNodes(doc, ["skip", "h"]))
    assert heard == [("edge_removed", "h"), ("edge_removed", "skip"), ("edge_removed", "add"),
                     ("edge_removed", "add"), ("node_removed", "h"), ("node_removed", "skip")]
    assert stack.undo_text == "Delete 2 nodes"
    heard.clear()
    stack.undo()
    assert heard == [("node_added", "h"), ("node_added", "skip"), ("edge_added", "h"),
                     ("edge_added", "skip"), ("edge_added", "add"), ("edge_added", "add")]


class _CountedEdge(Edge):
    """An edge that counts how often its ends are read (to count edge visits)."""

    visits = 0

    def __getattribute__(self, name):
        if name in ("src", "dst", "src_port", "dst_port"):
            type(self).visits += 1
        return super().__getattribute__(name)


def _residual_stack(project, blocks: int) -> None:
    """Dense, Dense, Add with the block's input, `blocks` times, as one pasted macro."""
    doc, stack = project.doc, project.stack
    with stack.macro("Paste"):
        prev = stack.push(cmd.AddNode(doc, "Input", params={"shape": [4]})).id
        for _ in range(blocks):
            a, b, add = (stack.push(cmd.AddNode(doc, k)).id for k in ("Dense", "Dense", "Add"))
            for src, dst, port in ((prev, a, 0), (a, b, 0), (b, add, 0), (prev, add, 1)):
                stack.push(cmd.Connect(doc, _CountedEdge(src, 0, dst, port)))
            prev = add


def _edge_visits_to_undo_a_paste(blocks: int) -> int:
    from kerascanvas.graph.project import Project

    project = Project()
    _residual_stack(project, blocks)
    _CountedEdge.visits = 0
    project.stack.undo()
    return _CountedEdge.visits


def test_undoing_a_paste_visits_each_edge_a_few_times_not_once_per_edge():
    """The undo takes the pasted edges back last first: each is found at the end of the
    edge list, not by a search from its start (twice the edges, four times the visits)."""
    small, large = _edge_visits_to_undo_a_paste(50), _edge_visits_to_undo_a_paste(100)
    assert large < 2.3 * small


def _edge_visits_to_delete_and_undo(blocks: int) -> int:
    from kerascanvas.graph.project import Project

    project = Project()
    doc = project.doc
    _residual_stack(project, blocks)
    _CountedEdge.visits = 0
    project.push(cmd.RemoveNodes(doc, list(doc.nodes)))
    project.stack.undo()
    project.stack.redo()
    return _CountedEdge.visits


def test_deleting_many_nodes_visits_each_edge_a_few_times_not_once_per_node():
    """A delete of everything and its undo and redo grow linearly with the graph: twice the
    nodes, about twice the edge visits (a scan of all edges per node made it four times)."""
    small, large = _edge_visits_to_delete_and_undo(50), _edge_visits_to_delete_and_undo(100)
    assert large < 2.3 * small


def _document_code() -> set:
    from kerascanvas.graph.document import Document

    return {f.__code__ for cls in Document.__mro__ for f in vars(cls).values()
            if callable(f) and hasattr(f, "__code__")}


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_edits_through_the_documents_own_methods(name, monkeypatch):
    """Each event of a command's do, undo and redo is emitted by a method of `Document`,
    the one place edits are checked and announced (no module sets its fields behind it)."""
    import sys

    doc, stack, emitters = base_doc(), cmd.UndoStack(), []
    emit = doc.events.emit

    def spy(event):
        emitters.append(sys._getframe(1).f_code)
        emit(event)

    monkeypatch.setattr(doc.events, "emit", spy)
    stack.push(COMMANDS[name](doc))
    stack.undo()
    stack.redo()
    assert emitters, f"{name}: the document announced nothing"
    outside = {f"{c.co_filename}:{c.co_name}" for c in emitters} - {
        f"{c.co_filename}:{c.co_name}" for c in _document_code()}
    assert not outside, f"{name} changed the document outside its methods: {outside}"
