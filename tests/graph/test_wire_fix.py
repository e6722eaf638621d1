"""A stray layer's 'Wire from where the graph ends': offered only for a source its shape
rule takes, the nearest above preferred, never one that would close a cycle."""

from __future__ import annotations

from kerascanvas.graph.commands import UndoStack
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.fixes import apply_fix
from kerascanvas.graph.validate import analyze
from kerascanvas.graph.wire_fix import WIRE_FIX


def stray_issue(doc, node_id):
    return next(i for i in analyze(doc).issues if i.node == node_id
                and i.code == "unconnected_input")


def chain_with_stray(kind, params, stray_at=(0.0, 300.0)):
    doc = Document()
    x = doc.add_node("Input", "x", params={"shape": [8, 8, 3]})
    conv = doc.add_node("Conv2D", "conv", params={"filters": 4, "kernel_size": [3, 3]})
    flat = doc.add_node("Flatten", "flat")
    doc.connect(Edge(x.id, 0, conv.id, 0))
    doc.connect(Edge(conv.id, 0, flat.id, 0))
    for nid, y in ((x.id, 0.0), (conv.id, 100.0), (flat.id, 200.0)):
        doc.set_position(nid, (0.0, y))
    stray = doc.add_node(kind, "stray", params=params)
    doc.set_position(stray.id, stray_at)
    doc.outputs = [stray.id]
    return doc, stray.id


def test_the_nearest_open_end_above_is_wired_in_one_undoable_step():
    doc, stray = chain_with_stray("Dense", {"units": 3})
    issue = stray_issue(doc, stray)
    assert WIRE_FIX in issue.fixes
    stack = UndoStack()
    apply_fix(doc, issue, WIRE_FIX, stack)
    assert [(e.src, e.dst) for e in doc.in_edges(stray)] == [(doc.find("flat").id, stray)]
    assert analyze(doc).valid
    stack.undo()
    assert doc.in_edges(stray) == []


def test_no_fix_when_the_layer_cannot_take_the_open_ends_tensor():
    doc, stray = chain_with_stray("Conv2D", {"filters": 2, "kernel_size": [3, 3]})
    assert WIRE_FIX not in stray_issue(doc, stray).fixes  # a vector into Conv2D


def test_no_fix_from_a_layer_downstream_of_the_stray_one():
    doc = Document()
    a = doc.add_node("Dense", "a", params={"units": 3})
    b = doc.add_node("Dense", "b", params={"units": 3})
    doc.connect(Edge(a.id, 0, b.id, 0))  # a feeds b; a's input is not wired
    doc.outputs = [b.id]
    assert WIRE_FIX not in stray_issue(doc, a.id).fixes


def test_the_fix_names_the_layer_it_wires_from_and_wires_that_one():
    """Its button said "Wire from where the graph ends", not which layer: with two open
    ends (flat, and a second branch's pool) the user could not tell which one it takes.
    It says "Wire from flat" (by the name flat has now), and wires flat."""
    from kerascanvas.graph import commands as cmd
    from kerascanvas.graph.fixes import fix_label

    doc, stray = chain_with_stray("Dense", {"units": 3})
    pool = doc.add_node("GlobalAveragePooling2D", "pool")
    doc.connect(Edge(doc.find("conv").id, 0, pool.id, 0))
    doc.set_position(pool.id, (400.0, 200.0))
    flat = doc.find("flat").id
    issue = stray_issue(doc, stray)
    assert fix_label(WIRE_FIX, issue, doc) == "Wire from flat"
    assert fix_label(WIRE_FIX, issue) == "Wire from flat"  # as found, without the document
    stack = UndoStack()
    stack.push(cmd.Rename(doc, flat, "flatten_all"))
    issue = stray_issue(doc, stray)
    assert fix_label(WIRE_FIX, issue, doc) == "Wire from flatten_all"
    apply_fix(doc, issue, WIRE_FIX, stack)
    assert [e.src for e in doc.in_edges(stray)] == [flat]
