"""The example projects: they load, validate, save byte-stably, and match Keras.

The Keras side is built here from the document with keras.layers directly (a
small walker; blocks go through their expansion), not with our runtime, so the
parameter counts and shapes our analysis reports are checked against Keras.
"""

from __future__ import annotations

import importlib.resources
import math

import pytest

from kerascanvas.graph import get_spec
from kerascanvas.graph.blocks import expand_node
from kerascanvas.graph.project import Project

EXAMPLES = importlib.resources.files("kerascanvas.resources") / "examples"
PATHS = sorted((p for p in EXAMPLES.iterdir() if p.name.endswith(".json")),
               key=lambda p: p.name)
# Written by projectfile.save, so the file itself is what save gives.
SAVED_BY_SAVE = ("attention_states.json", "customer_tickets.json", "densenet_small.json",
                 "inception_net.json", "mnist_cnn.json", "mnist_mlp.json", "seq2seq.json",
                 "small_resnet.json", "text_classifier.json")
example = pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name.removesuffix(".json"))


def test_the_examples_are_all_there():
    assert set(SAVED_BY_SAVE) <= {p.name for p in PATHS}


@example
def test_example_is_valid(path):
    analysis = Project.open(path).analysis
    assert analysis.valid, [i.message for i in analysis.errors]


@example
def test_save_load_save_is_byte_stable(path, tmp_path):
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    Project.open(path).save(first)
    Project.open(first).save(second)
    assert first.read_bytes() == second.read_bytes()
    if path.name in SAVED_BY_SAVE:
        assert path.read_bytes() == first.read_bytes()


@example
def test_example_has_training_and_no_positions(path):
    """No stored positions: the window lays an example out when it opens it, with the sizes
    it draws the nodes at (positions written by hand left nodes off-centre)."""
    doc = Project.open(path).doc
    assert not doc.ui.get("positions")
    assert doc.training.get("loss") and doc.training.get("epochs")


# ---- the same model built with keras.layers --------------------------------
def keras_model(doc):
    """Walk the document in topological order, calling keras.layers as a user would."""
    keras = pytest.importorskip("keras")
    from tests.graph.test_blocks import keras_expansion
    from tests.keras_ref import call_layer, keras_layer

    tensors, inputs = {}, []
    for node in doc.topological_order():
        spec = get_spec(node.kind)
        if node.kind == "Input":
            out = keras.Input(name=node.name, **node.params)
            inputs.append(out)
        else:
            args = [tensors[e.src][e.src_port] for e in doc.in_edges(node.id)]
            if spec.is_block:
                expansion = expand_node(node, [tuple(a.shape) for a in args])
                out = keras_expansion(expansion, args[0], node.name)
            else:
                out = call_layer(spec, keras_layer(spec, dict(node.params), node.name), args,
                                 node.params)
        tensors[node.id] = list(out) if isinstance(out, list | tuple) else [out]
    model = keras.Model(inputs, [tensors[o][port] for o, port in doc.output_refs()])
    return model, tensors


@example
def test_params_and_shapes_match_keras(path):
    project = Project.open(path)
    doc, analysis = project.doc, project.analysis
    model, tensors = keras_model(doc)
    trainable = sum(math.prod(w.shape) for w in model.trainable_weights)
    frozen = sum(math.prod(w.shape) for w in model.non_trainable_weights)
    assert analysis.total_params == (trainable, frozen)
    assert sum(analysis.total_params) == model.count_params()
    for node_id, outs in tensors.items():
        expected = [tuple(t.shape) for t in outs]
        assert analysis.results[node_id].output_shapes == expected, doc.nodes[node_id].name
