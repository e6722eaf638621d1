"""Blocks with several outputs, and shared layers inside a block (no keras).

An encoder block sends out its features and a skip tensor; each instance output port has
its own shape, feeds other nodes, and can be a model output. The shapes are worked out by
hand from the layers' definitions (Dense maps the last axis to `units`).
"""

from __future__ import annotations

import copy

import pytest

from kerascanvas.graph import userblocks as ub
from kerascanvas.graph.document import Document, Edge, output_entry
from kerascanvas.graph.errors import ShapeError
from kerascanvas.graph.projectfile import dumps, loads
from kerascanvas.graph.validate import analyze

ENCODER = {
    "nodes": [{"id": "h", "kind": "Dense", "name": "skip", "params": {"units": 6}},
              {"id": "o", "kind": "Dense", "name": "features", "params": {"units": 3}}],
    "edges": [{"src": "h", "src_port": 0, "dst": "o", "dst_port": 0}],
    "inputs": [[{"node": "h", "port": 0}]],
    "outputs": [{"node": "o", "port": 0}, {"node": "h", "port": 0}],
    "model": {"class": "Functional", "inputs": [{"name": "enc_in", "batch_shape": [None, 4]}]},
}
SHARED = {  # one Dense called twice inside the block
    "nodes": [{"id": "d", "kind": "Dense", "name": "twice", "params": {"units": 5}},
              {"id": "c", "kind": "SharedCall", "name": "twice_call1", "params": {"layer": "d"}}],
    "edges": [{"src": "d", "src_port": 0, "dst": "c", "dst_port": 0}],
    "inputs": [[{"node": "d", "port": 0}]],
    "output": {"node": "c", "port": 0},
}


def encoder_decoder(definition=ENCODER) -> tuple[Document, dict]:
    """x -> encoder; its features (port 0) and skip (port 1) meet in a Concatenate."""
    doc = Document()
    doc.blocks["encoder"] = copy.deepcopy(definition)
    x = doc.add_node("Input", "x", {"shape": [4]})
    enc = doc.add_node("UserBlock", "encoder", {"block": "encoder"})
    join = doc.add_node("Concatenate", "join", {})
    doc.connect(Edge(x.id, 0, enc.id, 0))
    doc.connect(Edge(enc.id, 0, join.id, 0))
    doc.connect(Edge(enc.id, 1, join.id, 1))
    doc.set_outputs([join.id, output_entry(enc.id, 1)])
    return doc, {"enc": enc.id, "join": join.id}


@pytest.mark.parametrize("model", [True, False], ids=["nested_model", "plain_block"])
def test_each_output_port_has_its_shape_and_feeds_other_nodes(model):
    definition = copy.deepcopy(ENCODER)
    if not model:
        del definition["model"]
    doc, ids = encoder_decoder(definition)
    analysis = analyze(doc)
    assert analysis.valid, analysis.errors
    assert analysis.results[ids["enc"]].output_shapes == [(None, 3), (None, 6)]
    assert analysis.results[ids["join"]].output_shapes == [(None, 9)]
    assert analysis.total_params == ((4 * 6 + 6) + (6 * 3 + 3), 0)
    assert ub.bind(doc, doc.nodes[ids["enc"]]).outputs({}) == 2


def test_a_further_output_port_survives_the_project_file():
    doc, ids = encoder_decoder()
    again = loads(dumps(doc))
    assert again.output_refs() == [(ids["join"], 0), (ids["enc"], 1)]
    assert again.blocks["encoder"]["outputs"] == ENCODER["outputs"]


def test_flatten_wires_each_port_to_its_inner_layer():
    definition = copy.deepcopy(ENCODER)
    del definition["model"]
    doc, ids = encoder_decoder(definition)
    flat = ub.flatten(doc)
    into_join = sorted((e.dst_port, flat.nodes[e.src].name) for e in flat.edges
                       if e.dst == ids["join"])
    assert into_join == [(0, "encoder_features"), (1, "encoder_skip")]
    assert [flat.nodes[n].name for n, _ in flat.output_refs()] == ["join", "encoder_skip"]
    assert analyze(flat).total_params == analyze(doc).total_params


def test_a_single_output_definition_still_reads_as_before():
    definition = {k: v for k, v in ENCODER.items() if k != "outputs"}
    definition["output"] = {"node": "o", "port": 0}
    assert ub.output_refs(definition) == [{"node": "o", "port": 0}]
    assert ub.with_outputs(copy.deepcopy(definition), ENCODER["outputs"])["outputs"] \
        == ENCODER["outputs"]
    assert "outputs" not in ub.with_outputs(copy.deepcopy(ENCODER), [{"node": "o"}])
    listed = ub.with_outputs(copy.deepcopy(ENCODER), [{"node": "o"}], listed=True)
    assert listed["outputs"] == [{"node": "o"}] and ub.returns_list(listed)
    assert not ub.returns_list(definition)


def test_a_shared_layer_inside_a_block_counts_once():
    doc = Document()
    doc.blocks["twice"] = copy.deepcopy(SHARED)
    x = doc.add_node("Input", "x", {"shape": [5]})
    block = doc.add_node("UserBlock", "blk", {"block": "twice"})
    doc.connect(Edge(x.id, 0, block.id, 0))
    doc.set_outputs([block.id])
    analysis = analyze(doc)
    assert analysis.valid, analysis.errors
    assert analysis.total_params == (5 * 5 + 5, 0)
    flat = ub.flatten(doc)
    call = flat.find("blk_twice_call1")
    assert flat.nodes[call.params["layer"]].name == "blk_twice"
    assert analyze(flat).total_params == (5 * 5 + 5, 0)


@pytest.mark.parametrize("change, field", [
    (lambda d: d.update({"output": {"node": "o"}}), "blocks.encoder.outputs"),
    (lambda d: d.update({"outputs": []}), "blocks.encoder.outputs"),
    (lambda d: d.update({"outputs": {"node": "o"}}), "blocks.encoder.outputs"),
    (lambda d: d["outputs"].append({"node": "nope"}), "blocks.encoder.outputs[2]"),
    (lambda d: d["outputs"][1].update({"port": -1}), "blocks.encoder.outputs[1]"),
    (lambda d: d.pop("outputs"), "blocks.encoder.output"),
    (lambda d: d["model"].update({"class": "Sequential"}), "blocks.encoder.model.class"),
])
def test_malformed_outputs_are_errors_naming_the_field(change, field):
    definition = copy.deepcopy(ENCODER)
    change(definition)
    with pytest.raises(ub.BlockDefinitionError, match=field.replace("[", r"\[") + ":"):
        ub.check_definition("encoder", definition, {})


def test_a_shared_call_must_call_a_node_of_the_block():
    definition = copy.deepcopy(SHARED)
    definition["nodes"][1]["params"]["layer"] = "elsewhere"
    with pytest.raises(ub.BlockDefinitionError, match=r"nodes\[1\]\.params\.layer: .*"
                                                      "'elsewhere'"):
        ub.check_definition("twice", definition, {})


def test_an_output_port_beyond_the_layers_ports_names_the_output():
    definition = copy.deepcopy(ENCODER)
    definition["outputs"][1]["port"] = 2
    spec = ub.bound_spec({"encoder": definition}, "encoder")
    with pytest.raises(ShapeError, match=r"outputs\[1\] reads port 2 of 'skip', which has 1"):
        spec.output_shapes(spec.resolve({"block": "encoder"}), [(None, 4)])


def test_a_selection_sending_two_tensors_out_becomes_a_block_with_two_outputs():
    """x -> skip -> features -> head, skip also a model output: selecting skip and features
    makes a block whose port 0 feeds head and whose port 1 is the model output."""
    from kerascanvas.graph.commands import UndoStack
    from kerascanvas.graph.userblock_commands import make_block

    doc = Document()
    x = doc.add_node("Input", "x", {"shape": [4]})
    skip = doc.add_node("Dense", "skip", {"units": 6})
    features = doc.add_node("Dense", "features", {"units": 3})
    head = doc.add_node("Dense", "head", {"units": 2})
    for src, dst in ((x, skip), (skip, features), (features, head)):
        doc.connect(Edge(src.id, 0, dst.id, 0))
    doc.set_outputs([head.id, skip.id])
    before = analyze(doc)
    stack = UndoStack()
    block = make_block(doc, stack, [skip.id, features.id], "encoder")
    assert ub.output_refs(doc.blocks["encoder"]) == [{"node": features.id, "port": 0},
                                                     {"node": skip.id, "port": 0}]
    assert [(e.src, e.src_port) for e in doc.in_edges(head.id)] == [(block.id, 0)]
    assert doc.outputs == [head.id, output_entry(block.id, 1)]
    after = analyze(doc)
    assert after.valid, after.errors
    assert after.results[block.id].output_shapes == [(None, 3), (None, 6)]
    assert after.total_params == before.total_params
    stack.undo()
    assert doc.outputs == [head.id, skip.id] and "encoder" not in doc.blocks


def test_flatten_turns_a_call_of_an_inlined_nested_model_into_calls_of_its_layers():
    """A siamese tower inlined whole: the second call calls each inlined layer again, so
    the flat document has the same shapes and counts the weights once."""
    from tests.graph.test_nested import siamese

    doc, ids = siamese()
    flat = ub.flatten(doc)
    calls = {n.name: flat.nodes[n.params["layer"]].name for n in flat.nodes.values()
             if n.kind == "SharedCall"}
    assert calls == {"tower_call1_hidden": "tower_hidden",
                     "tower_call1_embedding": "tower_embedding"}
    before, after = analyze(doc), analyze(flat)
    assert after.valid, after.errors
    assert after.total_params == before.total_params
    diff = next(n.id for n in flat.nodes.values() if n.name == "diff")
    assert after.results[diff].output_shapes == before.results[diff].output_shapes
