"""Nested-model blocks in the document: checks of the "model" entry, the instance's
`trainable` param and counts, shared calls, and flattening that keeps them (no keras)."""

from __future__ import annotations

import copy

import pytest

from kerascanvas.graph import userblocks as ub
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.projectfile import dumps, loads
from kerascanvas.graph.validate import analyze

TOWER = {
    "nodes": [{"id": "h", "kind": "Dense", "name": "hidden", "params": {"units": 3}},
              {"id": "o", "kind": "Dense", "name": "embedding", "params": {"units": 2}}],
    "edges": [{"src": "h", "src_port": 0, "dst": "o", "dst_port": 0}],
    "inputs": [[{"node": "h", "port": 0}]],
    "output": {"node": "o", "port": 0},
    "model": {"class": "Sequential", "inputs": [{"name": "tower_in", "batch_shape": [None, 4]}]},
}


def siamese(definition=TOWER, frozen=False) -> tuple[Document, dict]:
    doc = Document()
    doc.blocks["tower"] = copy.deepcopy(definition)
    a = doc.add_node("Input", "a", {"shape": [4]})
    b = doc.add_node("Input", "b", {"shape": [4]})
    params = {"block": "tower", **({"trainable": False} if frozen else {})}
    tower = doc.add_node("UserBlock", "tower", params)
    again = doc.add_node("SharedCall", "tower_call1", {"layer": tower.id})
    diff = doc.add_node("Subtract", "diff", {})
    for edge in [(a, tower, 0), (b, again, 0), (tower, diff, 0), (again, diff, 1)]:
        doc.connect(Edge(edge[0].id, 0, edge[1].id, edge[2]))
    doc.set_outputs([diff.id])
    return doc, {"tower": tower.id, "again": again.id}


def test_a_shared_nested_model_counts_its_weights_once_and_freezes_whole():
    doc, ids = siamese()
    weights = (4 * 3 + 3) + (3 * 2 + 2)
    analysis = analyze(doc)
    assert analysis.valid, analysis.errors
    assert analysis.results[ids["again"]].output_shapes == [(None, 2)]
    assert analysis.total_params == (weights, 0)
    frozen, _ = siamese(frozen=True)
    assert analyze(frozen).total_params == (0, weights)
    assert ub.bind(frozen, frozen.nodes[ids["tower"]]).param("trainable").default is True
    assert loads(dumps(frozen)).blocks["tower"]["model"] == TOWER["model"]


def test_flatten_keeps_nested_models_only_when_asked():
    doc, ids = siamese()
    assert ids["tower"] in ub.flatten(doc, keep_models=True).nodes
    assert ids["tower"] not in ub.flatten(doc).nodes


@pytest.mark.parametrize("change, field", [
    (lambda d: d["model"].update({"class": "Subclassed"}), "blocks.tower.model.class"),
    (lambda d: d["model"].update({"inputs": [{"name": "a/b"}]}),
     "blocks.tower.model.inputs[0].name"),
    (lambda d: d["model"].update({"inputs": [{"batch_shape": [4]}]}),
     "blocks.tower.model.inputs[0].batch_shape"),
    (lambda d: d["model"].update({"inputs": [{}, {}]}), "blocks.tower.model.inputs"),
    (lambda d: d["edges"][0].update({"src_port": 1}), "blocks.tower.model.class"),
])
def test_a_malformed_model_entry_is_an_error_naming_the_field(change, field):
    definition = copy.deepcopy(TOWER)
    change(definition)
    with pytest.raises(ub.BlockDefinitionError, match=field.replace("[", r"\[")):
        ub.check_definition("tower", definition, {})


def test_only_a_nested_model_block_can_be_called_again():
    plain = {k: v for k, v in TOWER.items() if k != "model"}
    doc, ids = siamese(plain)
    problems = [i.message for i in analyze(doc).errors if i.node == ids["again"]]
    assert problems and "not a nested model" in problems[0]


PLAIN = {"nodes": [{"id": "d", "kind": "Dense", "name": "inner", "params": {"units": 3}}],
         "edges": [], "inputs": [[{"node": "d", "port": 0}]], "output": {"node": "d", "port": 0}}


def _first_layer(kind: str, params: dict) -> dict:
    definition = copy.deepcopy(TOWER)
    definition["nodes"][0] = {"id": "h", "kind": kind, "name": "hidden", "params": params}
    return definition


@pytest.mark.parametrize("kind, params", [
    ("ResidualBlock", {"filters": 4}), ("InceptionModule", {}), ("DenseBlock", {}),
    ("UserBlock", {"block": "plain"}),
])
def test_a_sequential_nested_model_refuses_a_block_of_several_layers(kind, params):
    """A Sequential lists one layer per entry; the error is on the instance node, names
    the inner node and says how to fix it."""
    doc, ids = siamese()
    doc.blocks["plain"] = copy.deepcopy(PLAIN)
    doc.blocks["tower"] = _first_layer(kind, params)
    problems = [i.message for i in analyze(doc).errors if i.node == ids["tower"]]
    assert problems and f"'hidden' ({kind}) is a block of several layers" in problems[0]
    assert "make the nested model 'Functional'" in problems[0]
    doc.blocks["tower"]["model"]["class"] = "Functional"
    assert not any("several layers" in i.message for i in analyze(doc).errors)


def test_a_sequential_nested_model_may_list_a_nested_model():
    doc, ids = siamese()
    doc.blocks["inner_model"] = {**copy.deepcopy(PLAIN), "model": {"class": "Sequential"}}
    doc.blocks["tower"] = _first_layer("UserBlock", {"block": "inner_model"})
    assert analyze(doc).valid, analyze(doc).errors
