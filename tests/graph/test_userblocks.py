"""User-defined blocks: making one from a selection, instances, editing, nesting, library."""

from __future__ import annotations

import copy

import pytest

from kerascanvas.graph import userblock_commands as ubc
from kerascanvas.graph import userblocks as ub
from kerascanvas.graph.commands import SetParam, UndoStack
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.errors import DocumentError
from kerascanvas.graph.projectfile import dumps, loads
from kerascanvas.graph.userblocks import BlockDefinitionError
from kerascanvas.graph.validate import LiveAnalysis, analyze


def chain(doc: Document, *specs, source=None):
    """Add nodes (name, kind, params) in a chain after `source`; return their ids."""
    ids = []
    for name, kind, params in specs:
        node = doc.add_node(kind, name, params)
        if source is not None:
            doc.connect(Edge(source, 0, node.id, 0))
        source = node.id
        ids.append(node.id)
    return ids


def conv_doc():
    """image -> conv -> bn -> relu -> gap; the middle three make a good block."""
    doc = Document()
    ids = chain(doc, ("image", "Input", {"shape": [16, 16, 3]}),
                ("conv", "Conv2D", {"filters": 8, "kernel_size": [3, 3], "padding": "same"}),
                ("bn", "BatchNormalization", {}), ("relu", "ReLU", {}),
                ("gap", "GlobalAveragePooling2D", {}))
    doc.set_outputs([ids[-1]])
    return doc, ids


def test_make_block_keeps_shapes_and_counts_and_undoes_exactly():
    doc, ids = conv_doc()
    before, text = analyze(doc), dumps(doc)
    stack = UndoStack()
    inst = ubc.make_block(doc, stack, ids[1:4], "conv_bn", {"filters": (ids[1], "filters")})
    after = analyze(doc)
    assert after.valid, after.issues
    assert after.total_params == before.total_params
    assert after.results[inst.id].output_shapes == before.results[ids[3]].output_shapes
    assert [n.kind for n in doc.nodes.values()] == ["Input", "GlobalAveragePooling2D",
                                                    "UserBlock"]
    stack.undo()
    assert dumps(doc) == text
    stack.redo()
    assert doc.blocks["conv_bn"]["params"]["filters"]["default"] == 8


def test_make_block_stands_where_the_selection_began_and_closes_the_gap():
    """The block stood at the mean of the selection's places, with the gap the other
    layers left above and below it; it takes the first one's place, the layers after it
    in its column move back by the room freed, and another column stays where it was."""
    doc, ids = conv_doc()
    for i, nid in enumerate(ids):
        doc.set_position(nid, (0.0, 120.0 * i))
    side = doc.add_node("Dense", "side", {"units": 2}).id
    doc.set_position(side, (600.0, 480.0))
    stack, text = UndoStack(), dumps(doc)
    inst = ubc.make_block(doc, stack, ids[1:4], "conv_bn")
    assert doc.position(inst.id) == (0.0, 120.0)
    assert doc.position(ids[4]) == (0.0, 240.0)  # gap before it as before: 120 - 80
    assert doc.position(side) == (600.0, 480.0)
    stack.undo()
    assert dumps(doc) == text


def test_exposed_param_and_definition_edits_reach_every_instance():
    doc, ids = conv_doc()
    stack = UndoStack()
    first = ubc.make_block(doc, stack, ids[1:4], "conv_bn", {"filters": (ids[1], "filters")})
    second = doc.add_node("UserBlock", "again", {"block": "conv_bn", "filters": 4})
    doc.connect(Edge(first.id, 0, second.id, 0))
    live = LiveAnalysis(doc)
    assert live.analysis.results[second.id].output_shapes == [(None, 16, 16, 4)]
    stack.push(SetParam(doc, second.id, "filters", 6))
    assert live.analysis.results[second.id].output_shapes == [(None, 16, 16, 6)]
    definition = ub.definition_of(doc, "conv_bn")
    conv = next(n for n in definition["nodes"] if n["kind"] == "Conv2D")
    conv["params"]["strides"] = [2, 2]
    stack.push(ubc.SetBlockDefinition(doc, "conv_bn", definition))
    assert live.analysis.results[first.id].output_shapes == [(None, 8, 8, 8)]
    assert live.analysis.results[second.id].output_shapes == [(None, 4, 4, 6)]
    stack.undo()
    assert live.analysis.results[second.id].output_shapes == [(None, 16, 16, 6)]


def test_a_bad_exposed_value_is_an_issue_on_the_instance():
    doc, ids = conv_doc()
    inst = ubc.make_block(doc, UndoStack(), ids[1:4], "conv_bn", {"filters": (ids[1], "filters")})
    doc.set_param(inst.id, "filters", 0)
    issues = analyze(doc).issues_for(inst.id)
    assert issues and "filters" in issues[0].message


def test_nested_blocks_and_recursion_is_refused():
    doc, ids = conv_doc()
    stack = UndoStack()
    inner = ubc.make_block(doc, stack, ids[1:4], "conv_bn", {"filters": (ids[1], "filters")})
    total = analyze(doc).total_params
    outer = ubc.make_block(doc, stack, [inner.id], "outer", {"width": (inner.id, "filters")})
    assert analyze(doc).total_params == total
    flat = ub.flatten(doc)
    assert "outer_conv_bn_conv" in {n.name for n in flat.nodes.values()}
    assert analyze(flat).total_params == total
    looping = ub.definition_of(doc, "conv_bn")
    looping["nodes"].append({"id": "loop", "kind": "UserBlock", "name": "loop",
                             "params": {"block": "outer"}})
    with pytest.raises(ub.BlockDefinitionError, match="conv_bn -> outer -> conv_bn"):
        ubc.SetBlockDefinition(doc, "conv_bn", looping)
    assert outer.id in doc.nodes


@pytest.mark.parametrize("edit, field", [
    (lambda d: d["nodes"][0].update(kind="Nope"), "nodes[0].kind"),
    (lambda d: d["edges"].append({"src": "zz", "src_port": 0, "dst": "n2", "dst_port": 0}),
     "edges[2]"),
    (lambda d: d.update(output={"node": "missing"}), "output"),
    (lambda d: d.update(inputs=[]), "inputs"),
    (lambda d: d["params"].update(name={"node": "n2", "param": "filters"}), "params.name"),
])
def test_malformed_definitions_name_the_field(edit, field):
    doc, ids = conv_doc()
    ubc.make_block(doc, UndoStack(), ids[1:4], "conv_bn", {"filters": (ids[1], "filters")})
    definition = ub.definition_of(doc, "conv_bn")
    edit(definition)
    with pytest.raises(ub.BlockDefinitionError, match=field.replace("[", r"\[")):
        ub.check_definition("conv_bn", definition, doc.blocks)


def test_selections_that_cannot_be_blocks_are_refused():
    doc, ids = conv_doc()
    with pytest.raises(DocumentError, match="Input"):
        ubc.make_block(doc, UndoStack(), ids[:2], "b", {})
    dead_end = doc.add_node("Dense", "dead_end", {"units": 2})
    doc.connect(Edge(ids[2], 0, dead_end.id, 0))
    with pytest.raises(DocumentError, match="needs an output: the selection sends no tensor"):
        ubc.make_block(doc, UndoStack(), [dead_end.id], "b", {})
    assert not doc.blocks


def test_unknown_block_is_an_issue():
    doc, ids = conv_doc()
    node = doc.add_node("UserBlock", "ghost", {"block": "nothing"})
    doc.connect(Edge(ids[0], 0, node.id, 0))
    messages = [i.message for i in analyze(doc).issues_for(node.id)]
    assert any("nothing" in m for m in messages), messages


def test_project_file_round_trip_keeps_blocks_and_analysis():
    doc, ids = conv_doc()
    ubc.make_block(doc, UndoStack(), ids[1:4], "conv_bn", {"filters": (ids[1], "filters")})
    again = loads(dumps(doc))
    assert again.blocks == doc.blocks
    assert analyze(again).total_params == analyze(doc).total_params


def test_library_export_and_import(tmp_path):
    doc, ids = conv_doc()
    stack = UndoStack()
    inner = ubc.make_block(doc, stack, ids[1:4], "conv_bn", {"filters": (ids[1], "filters")})
    ubc.make_block(doc, stack, [inner.id], "outer", {})
    path = ubc.export_block(doc, "outer", tmp_path)
    assert path.name == "outer.json"
    fresh, fresh_stack = Document(), UndoStack()
    assert ubc.import_block(fresh, fresh_stack, path) == "outer"
    assert fresh.blocks == doc.blocks
    fresh_stack.undo()
    assert fresh.blocks == {}
    changed = copy.deepcopy(doc.blocks["conv_bn"])
    changed["doc"] = "different"
    fresh.blocks["conv_bn"] = changed
    with pytest.raises(DocumentError, match="different block 'conv_bn'"):
        ubc.import_block(fresh, UndoStack(), path)


def test_library_file_with_a_key_given_twice_is_refused(tmp_path):
    doc, ids = conv_doc()
    ubc.make_block(doc, UndoStack(), ids[1:4], "conv_bn", {})
    path = ubc.export_block(doc, "conv_bn", tmp_path)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"block": "conv_bn"', '"block": "conv_bn", "block": "x"'),
                    encoding="utf-8")
    with pytest.raises(BlockDefinitionError, match="'block' twice"):
        ubc.read_library_file(path)


def test_library_dir_is_under_the_user_data_folder(monkeypatch):
    monkeypatch.delenv("KERASCANVAS_DATA_DIR", raising=False)
    assert ubc.library_dir().parts[-2:] == ("kerascanvas", "blocks")


def test_library_dir_follows_the_data_dir_override(tmp_path, monkeypatch):
    monkeypatch.setenv("KERASCANVAS_DATA_DIR", str(tmp_path))
    assert ubc.library_dir() == tmp_path / "blocks"
    doc, ids = conv_doc()
    ubc.make_block(doc, UndoStack(), ids[1:4], "conv_bn", {"filters": (ids[1], "filters")})
    path = ubc.export_block(doc, "conv_bn")
    assert path == tmp_path / "blocks" / "conv_bn.json"


def test_an_instance_expands_to_its_layers_with_its_values_and_undoes_exactly():
    """Make a block of conv, bn, relu; give the instance filters=4; expand it: the layers
    come back wired as before, with the instance's value, and the shapes are unchanged."""
    doc, ids = conv_doc()
    stack = UndoStack()
    inst = ubc.make_block(doc, stack, ids[1:4], "conv_bn", {"filters": (ids[1], "filters")})
    stack.push(SetParam(doc, inst.id, "filters", 4))
    doc.set_outputs([inst.id])  # the block's tensor is also a model output
    before, text = analyze(doc), dumps(doc)
    added = ubc.expand_instance(doc, stack, inst.id)
    after = analyze(doc)
    assert after.valid, after.issues
    assert [doc.nodes[n].name for n in added] == ["conv_bn_conv", "conv_bn_bn", "conv_bn_relu"]
    assert doc.nodes[added[0]].params["filters"] == 4
    assert [(e.src, e.dst) for e in doc.edges if e.dst in added or e.src in added] == [
        (added[0], added[1]), (added[1], added[2]), (ids[0], added[0]), (added[2], ids[4])]
    assert doc.outputs == [added[2]]
    assert after.total_params == before.total_params
    assert after.results[ids[4]].output_shapes == before.results[ids[4]].output_shapes
    assert "conv_bn" in doc.blocks  # other instances and the palette keep it
    stack.undo()
    assert dumps(doc) == text


def test_expanding_what_is_no_instance_is_refused():
    doc, ids = conv_doc()
    with pytest.raises(DocumentError, match="'conv' \\(Conv2D\\) is not an instance"):
        ubc.expand_instance(doc, UndoStack(), ids[1])


def test_an_expanded_instance_pushes_on_the_node_just_after_its_drawn_end():
    """The node after the instance stands just beyond its drawn end, nearer than a node of
    the assumed size would end: given the drawn size, it moves on past the expansion (it
    stayed put under the block's layers when the instance was taken to be NODE_SIZE tall)."""
    from kerascanvas.graph.placement import NODE_SIZE, bounding_box

    doc, ids = conv_doc()
    stack = UndoStack()
    inst = ubc.make_block(doc, stack, ids[1:4], "conv_bn")
    drawn = (150.0, NODE_SIZE[1] / 2)
    doc.set_position(ids[0], (0.0, 0.0))
    doc.set_position(inst.id, (0.0, 100.0))
    doc.set_position(ids[4], (0.0, 100.0 + drawn[1] + 10.0))
    added = ubc.expand_instance(doc, stack, inst.id, drawn)
    box = bounding_box({n: doc.position(n) for n in added})
    assert doc.position(ids[4])[1] >= box[3], (doc.position(ids[4]), box)
    assert doc.position(ids[0]) == (0.0, 0.0)


def test_make_block_of_two_columns_stands_on_the_main_column():
    """A residual unit selected with its projection beside it (two columns): the block
    stood midway between them, its wires bent in and out; it stands on the main path's
    column, where the wires run straight."""
    doc = Document()
    image, conv, bn = chain(doc, ("image", "Input", {"shape": [16, 16, 3]}),
                            ("conv", "Conv2D", {"filters": 8, "kernel_size": [3, 3],
                                                "padding": "same"}),
                            ("bn", "BatchNormalization", {}))
    proj = chain(doc, ("proj", "Conv2D", {"filters": 8, "kernel_size": [1, 1]}),
                 source=image)[0]
    add = doc.add_node("Add", "add").id
    doc.connect(Edge(bn, 0, add, 0))
    doc.connect(Edge(proj, 0, add, 1))
    gap = chain(doc, ("gap", "GlobalAveragePooling2D", {}), source=add)[0]
    doc.set_outputs([gap])
    for nid, pos in [(image, (0.0, 0.0)), (conv, (0.0, 120.0)), (bn, (0.0, 240.0)),
                     (proj, (300.0, 120.0)), (add, (0.0, 360.0)), (gap, (0.0, 480.0))]:
        doc.set_position(nid, pos)
    inst = ubc.make_block(doc, UndoStack(), [conv, bn, proj, add], "unit")
    assert doc.position(inst.id) == (0.0, 120.0)  # under image, above gap: one column
