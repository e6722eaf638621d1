"""A '.' in the name of a layer with weights held inside a node (by a block definition, at
any depth, or by a wrapper) is an error on that node naming the layer, exactly where plain
Keras on torch fails to build the same model; its fix renames the layer where it is
defined, in one undo step (`tests/graph/test_fixes.py` builds each fixed graph)."""

from __future__ import annotations

import pytest

from kerascanvas.graph.commands import UndoStack
from kerascanvas.graph.document import Edge
from kerascanvas.graph.fixes import FIX_LABELS, apply_fix
from kerascanvas.graph.inner_names import CODE, INNER_NAME_FIX
from kerascanvas.graph.projectfile import dumps
from kerascanvas.graph.validate import analyze
from kerascanvas.runtime.build import build_model

from .inner_name_cases import BLOCKS, CASES, WRAPPERS


def keras_builds(make) -> bool:
    try:
        make()
    except KeyError as exc:
        assert 'contain "."' in exc.args[0]
        return False
    return True


def inner_issues(doc):
    return [i for i in analyze(doc).issues if i.code == CODE]


@pytest.mark.parametrize("name", sorted(CASES))
def test_refused_exactly_where_keras_on_torch_fails(name):
    make_graph, make_keras, layer = CASES[name]
    doc, node = make_graph()
    issues = inner_issues(doc)
    assert (not issues) == keras_builds(make_keras)
    assert [i for i in analyze(doc).errors if i.code != CODE] == []
    if layer is None:
        assert build_model(doc).count_params() == make_keras().count_params()
        return
    (issue,) = issues
    assert issue.node == node and issue.severity == "error" and issue.fixes == (INNER_NAME_FIX,)
    assert f"the layer {layer!r}" in issue.message and f"Received: name={layer!r}" in issue.message
    assert issue.message.startswith("'held' (")


@pytest.mark.parametrize("name, where", [("block-dense", "in block b"),
                                         ("block-deep-dense", "in block inner"),
                                         ("pipeline-dense", "in its layers[0]"),
                                         ("rnn-stacked-cell", "in its cell.cells[1]")])
def test_the_message_says_where_the_layer_is_defined(name, where):
    (issue,) = inner_issues(CASES[name][0]()[0])
    assert where in issue.message and FIX_LABELS[INNER_NAME_FIX]


@pytest.mark.parametrize("name", sorted(n for n in CASES if CASES[n][2] is not None))
def test_the_fix_renames_the_layer_so_keras_builds_and_undoes(name):
    doc, _ = CASES[name][0]()
    text, stack = dumps(doc), UndoStack()
    apply_fix(doc, inner_issues(doc)[0], INNER_NAME_FIX, stack)
    assert inner_issues(doc) == [] and analyze(doc).errors == []
    model = build_model(doc)  # Keras on torch builds it now
    renamed = CASES[name][2].replace(".", "_")
    assert any(renamed in w.path for w in model.weights), [w.path for w in model.weights]
    stack.undo()
    assert dumps(doc) == text


def test_the_fix_takes_a_name_no_sibling_has():
    doc, node = WRAPPERS["pipeline-dense"][0]()
    layers = [{"kind": "Dense", "params": {"units": 3}, "name": "a_b"},
              {"kind": "Dense", "params": {"units": 3}, "name": "a.b"}]
    doc.set_param(node, "layers", layers)
    apply_fix(doc, inner_issues(doc)[0], INNER_NAME_FIX, UndoStack())
    assert [layer["name"] for layer in doc.nodes[node].params["layers"]] == ["a_b", "a_b_2"]


def test_every_block_instance_follows_the_renamed_definition():
    doc, node = BLOCKS["block-dense"][0]()
    other = doc.add_node("UserBlock", "again", {"block": "b"}).id
    doc.connect(Edge(doc.find("x").id, 0, other, 0))
    assert {i.node for i in inner_issues(doc)} == {node, other}
    apply_fix(doc, inner_issues(doc)[0], INNER_NAME_FIX, UndoStack())
    assert inner_issues(doc) == [] and doc.blocks["b"]["nodes"][0]["name"] == "a_b"
