"""Deleting nodes while keeping the chain they sat in (`graph.dissolve`): the wires go on
past them, model outputs move to what they passed on, and one undo restores everything.
The chains are checked against the model Keras builds without the dissolved layers."""

from __future__ import annotations

import doctest

import keras
import pytest

from kerascanvas.graph import dissolve
from kerascanvas.graph.commands import UndoStack
from kerascanvas.graph.dissolve import dissolve_nodes
from kerascanvas.graph.projectfile import dumps
from kerascanvas.graph.validate import analyze
from kerascanvas.runtime.build import build_model

from .fix_cases import chain, merge

L = keras.layers


def names(doc):
    return sorted((doc.nodes[e.src].name, doc.nodes[e.dst].name, e.dst_port) for e in doc.edges)


def cnn():
    """image -> conv -> drop -> norm -> pool -> flatten -> out, named by role."""
    doc, ids = chain(("Input", {"shape": [8, 8, 3]}),
                     ("Conv2D", {"filters": 4, "kernel_size": [3, 3]}),
                     ("Dropout", {"rate": 0.2}), ("BatchNormalization", {}),
                     ("MaxPooling2D", {}), ("Flatten", {}), ("Dense", {"units": 3}))
    for nid, name in zip(ids, ["image", "conv", "drop", "norm", "pool", "flatten", "out"],
                         strict=True):
        doc.rename(nid, name)
    doc.outputs = [ids[-1]]
    return doc


def test_doctests():
    assert doctest.testmod(dissolve).failed == 0


@pytest.mark.parametrize("gone", [["drop"], ["drop", "norm"], ["norm", "drop", "pool"]])
def test_a_run_of_nodes_dissolves_into_one_wire_and_builds_keras_model(gone):
    doc, stack = cnn(), UndoStack()
    text = dumps(doc)
    dissolve_nodes(doc, [doc.find(n).id for n in gone], stack)
    kept = [n for n in ["image", "conv", "drop", "norm", "pool", "flatten", "out"]
            if n not in gone]
    assert names(doc) == sorted((a, b, 0) for a, b in zip(kept, kept[1:], strict=False))
    analysis = analyze(doc)
    assert analysis.valid
    layers = {"conv": L.Conv2D(4, 3), "drop": L.Dropout(0.2), "norm": L.BatchNormalization(),
              "pool": L.MaxPooling2D(), "flatten": L.Flatten(), "out": L.Dense(3)}
    x = y = keras.Input((8, 8, 3))
    for name in kept[1:]:
        y = layers[name](y)
    expected = keras.Model(x, y)
    assert build_model(doc).count_params() == expected.count_params()
    assert tuple(build_model(doc).outputs[0].shape) == tuple(expected.outputs[0].shape)
    assert stack.undo_text == f"Delete {len(gone)} node{'s' * (len(gone) > 1)}, keeping the chain"
    stack.undo()
    assert dumps(doc) == text


def test_a_model_output_moves_to_what_the_node_passed_on():
    doc, stack = cnn(), UndoStack()
    flatten = doc.find("flatten").id
    doc.outputs = [doc.find("out").id, flatten]
    dissolve_nodes(doc, [doc.find("out").id], stack)
    assert doc.outputs == [flatten]  # the out's output moved onto flatten, given once


def test_a_merge_and_an_input_are_deleted_plainly_and_other_ports_lose_their_wire():
    doc, ids = chain(("Input", {"shape": [4]}), ("Dense", {"units": 4}))
    other = doc.add_node("Input", params={"shape": [4]}).id
    add = merge(doc, "Add", [ids[1], other])
    out = doc.add_node("Dense", params={"units": 2}).id
    from kerascanvas.graph.document import Edge

    doc.connect(Edge(add, 0, out, 0))
    dissolve_nodes(doc, [add, ids[0]], UndoStack())
    assert add not in doc.nodes and ids[0] not in doc.nodes
    assert doc.in_edges(out) == [] and doc.in_edges(ids[1]) == []


def test_nothing_selected_changes_nothing():
    doc, stack = cnn(), UndoStack()
    dissolve_nodes(doc, ["no-such-node"], stack)
    assert not stack.can_undo
