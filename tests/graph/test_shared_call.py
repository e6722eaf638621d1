"""SharedCall nodes: the owner's rules on the call site's inputs, no weights of their own."""

from __future__ import annotations

from kerascanvas.graph.commands import RemoveNode, SetParam, UndoStack
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.layers.shared import KIND
from kerascanvas.graph.projectfile import dumps, loads
from kerascanvas.graph.validate import LiveAnalysis, analyze


def two_branch(second_width: int = 6):
    """a -> dense; b -> SharedCall(dense); both -> concat."""
    doc = Document()
    a = doc.add_node("Input", "a", {"shape": [6]})
    b = doc.add_node("Input", "b", {"shape": [second_width]})
    dense = doc.add_node("Dense", "dense", {"units": 3})
    site = doc.add_node(KIND, "dense_call1", {"layer": dense.id})
    cat = doc.add_node("Concatenate", "cat", {})
    doc.connect(Edge(a.id, 0, dense.id, 0))
    doc.connect(Edge(b.id, 0, site.id, 0))
    doc.connect(Edge(dense.id, 0, cat.id, 0))
    doc.connect(Edge(site.id, 0, cat.id, 1))
    doc.set_outputs([cat.id])
    return doc, dense, site, cat


def test_call_site_follows_the_owner_and_counts_nothing():
    doc, dense, site, cat = two_branch()
    result = analyze(doc)
    assert result.valid, result.issues
    assert result.results[site.id].output_shapes == result.results[dense.id].output_shapes
    assert result.results[site.id].count == (0, 0)
    assert result.total_params == result.results[dense.id].count


def test_inputs_the_weights_do_not_fit_are_an_error_on_the_call_site():
    doc, dense, site, _ = two_branch(second_width=5)
    errors = analyze(doc).errors
    assert [(i.node, i.code) for i in errors] == [(site.id, "shared_weights")]
    assert "'dense'" in errors[0].message and "(None, 5)" in errors[0].message


def test_removing_the_owner_is_an_error_pinned_to_the_call_site():
    doc, dense, site, cat = two_branch()
    live = LiveAnalysis(doc)
    assert live.analysis.valid
    stack = UndoStack()
    stack.push(RemoveNode(doc, dense.id))
    errors = live.analysis.errors
    assert site.id in {i.node for i in errors}
    assert any(i.code == "shared_owner" and dense.id in i.message for i in errors)
    stack.undo()
    assert live.analysis.valid


def test_owner_param_change_reaches_the_call_site_incrementally():
    doc, dense, site, cat = two_branch()
    live = LiveAnalysis(doc)
    assert live.analysis.valid
    UndoStack().push(SetParam(doc, dense.id, "units", 7))
    assert live.analysis.results[site.id].output_shapes == [(None, 7)]
    assert live.analysis.results[cat.id].output_shapes == [(None, 14)]
    assert site.id in live.recomputed


def test_an_input_cannot_be_shared_and_the_file_round_trips():
    doc, dense, site, _ = two_branch()
    again = loads(dumps(doc))
    assert again.nodes[site.id].params == {"layer": dense.id}
    assert analyze(again).valid
    a = next(n for n in doc.nodes.values() if n.name == "a")
    doc.set_param(site.id, "layer", a.id)
    assert any(i.code == "shared_owner" and "single layer" in i.message
               for i in analyze(doc).errors)
