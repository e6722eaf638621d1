"""Changing what a node is in place (`graph.rekind`): every change offered for the
LayerSpec table's samples builds in Keras with the shape and parameter count the
analysis gives, and the node keeps its name, wires and output slots."""

from __future__ import annotations

import pytest

from kerascanvas.graph import projectfile, rekind
from kerascanvas.graph.commands import UndoStack
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.errors import DocumentError
from kerascanvas.graph.layers.wrappers import WRAPPERS
from kerascanvas.graph.spec import INPUT, LAYER_SPECS
from kerascanvas.graph.validate import analyze
from kerascanvas.runtime.build import build_model

# The augmentation layers can change into most of the other 26: a minute of Keras
# builds, so they run with the slow checks.
KINDS = [pytest.param(k, marks=pytest.mark.slow) if LAYER_SPECS[k].category == "Augmentation"
         else k for k in sorted(LAYER_SPECS)
         if LAYER_SPECS[k].samples and k != INPUT and k not in WRAPPERS]


def sample_doc(kind: str) -> tuple[Document, str]:
    """Inputs of the kind's first sample's shapes, wired into one node of it, the output."""
    sample = LAYER_SPECS[kind].samples[0]
    doc = Document()
    node = doc.add_node(kind, name="subject", params=dict(sample.params))
    for port, shape in enumerate(sample.inputs):
        x = doc.add_node("Input", name=f"x{port}", params={"shape": list(shape[1:])})
        doc.connect(Edge(x.id, 0, node.id, port))
    doc.outputs = [node.id]
    return doc, node.id


def assert_builds_as_analysed(doc: Document) -> None:
    analysis = analyze(doc)
    assert analysis.valid, [i.message for i in analysis.issues]
    model = build_model(doc)
    node_id = doc.outputs[0]
    result = analysis.results[node_id]
    assert tuple(model.outputs[0].shape) == tuple(result.output_shapes[0])
    assert model.count_params() == sum(sum(r.count) for r in analysis.results.values())


@pytest.mark.parametrize("kind", KINDS)
def test_every_offered_change_builds_in_keras_as_analysed(kind):
    doc, node_id = sample_doc(kind)
    if not analyze(doc).valid:
        pytest.skip(f"{kind}'s first sample is not a whole model by itself")
    results = analyze(doc).results
    offered = [(rekind.change_kind, k) for k in rekind.kind_choices(doc, node_id, results)]
    offered += [(rekind.wrap, w) for w in rekind.wrap_choices(doc, node_id, results)]
    for change, target in offered:
        copy = projectfile.from_dict(projectfile.to_dict(doc))
        change(copy, node_id, target, UndoStack())
        node = copy.node(node_id)
        assert node.name == "subject" and copy.outputs == [node_id]
        assert node.kind == target
        assert_builds_as_analysed(copy)


def text_model() -> Document:
    doc = Document()
    x = doc.add_node("Input", name="tokens", params={"shape": [12]})
    emb = doc.add_node("Embedding", name="embed", params={"input_dim": 50, "output_dim": 8})
    rnn = doc.add_node("LSTM", name="encoder", params={"units": 6, "dropout": 0.1})
    out = doc.add_node("Dense", name="label", params={"units": 1, "activation": "sigmoid"})
    for a, b in ((x, emb), (emb, rnn), (rnn, out)):
        doc.connect(Edge(a.id, 0, b.id, 0))
    doc.set_position(rnn.id, (40.0, 200.0))
    doc.outputs = [out.id]
    doc.training = {"loss": {"label": "binary_crossentropy"}}
    return doc


def test_a_change_keeps_name_wires_position_and_params_and_undoes_exactly():
    doc, stack = text_model(), UndoStack()
    before = projectfile.to_dict(doc)
    rnn = doc.find("encoder")
    rekind.change_kind(doc, rnn.id, "GRU", stack)
    node = doc.node(rnn.id)
    assert (node.kind, node.name, doc.position(rnn.id)) == ("GRU", "encoder", (40.0, 200.0))
    assert node.params["units"] == 6 and node.params["dropout"] == 0.1
    assert [e.src for e in doc.in_edges(rnn.id)] == [doc.find("embed").id]
    assert [e.dst for e in doc.out_edges(rnn.id)] == [doc.find("label").id]
    assert list(doc.nodes).index(rnn.id) == 2  # same place: generated code keeps its order
    assert stack.undo_text == "Change encoder to GRU"
    stack.undo()
    assert projectfile.to_dict(doc) == before
    stack.redo()
    assert doc.node(rnn.id).kind == "GRU"


def test_wrapping_in_bidirectional_then_unwrapping_builds_what_keras_builds():
    import keras

    doc, stack = text_model(), UndoStack()
    rnn = doc.find("encoder").id
    rekind.wrap(doc, rnn, "Bidirectional", stack)
    model = build_model(doc)
    expected = keras.Sequential([
        keras.Input((12,)), keras.layers.Embedding(50, 8),
        keras.layers.Bidirectional(keras.layers.LSTM(6, dropout=0.1)),
        keras.layers.Dense(1, activation="sigmoid")])
    assert model.count_params() == expected.count_params()
    assert model.get_layer("encoder").get_config()["layer"]["config"]["units"] == 6
    assert sum(sum(r.count) for r in analyze(doc).results.values()) == model.count_params()
    rekind.unwrap(doc, rnn, stack)
    assert doc.node(rnn).kind == "LSTM" and doc.node(rnn).params == {"units": 6, "dropout": 0.1}
    assert build_model(doc).get_layer("encoder").get_config()["units"] == 6


def test_wires_and_output_slots_on_ports_the_new_kind_lacks_are_dropped():
    doc, stack = text_model(), UndoStack()
    rnn = doc.find("encoder").id
    doc.set_param(rnn, "return_state", True)
    state = doc.add_node("Dense", name="from_state", params={"units": 2})
    doc.connect(Edge(rnn, 2, state.id, 0))
    doc.outputs = [doc.find("label").id, f"{rnn}:1", state.id]
    rekind.change_kind(doc, rnn, "GRU", stack)  # a GRU returns one state: ports 0 and 1
    assert doc.outputs == [doc.find("label").id, f"{rnn}:1", state.id]
    assert doc.in_edges(state.id) == []
    assert analyze(doc).results[rnn].ok
    stack.undo()
    assert [e.src_port for e in doc.in_edges(state.id)] == [2]


def test_only_changes_that_take_the_arriving_tensor_are_offered():
    doc = text_model()
    assert rekind.kind_choices(doc, doc.find("encoder").id) == ["GRU", "RNN", "SimpleRNN"]
    assert rekind.wrap_choices(doc, doc.find("encoder").id) == ["Bidirectional"]
    # a Dense on a sequence (None, 12, 6) may go in a TimeDistributed, not on (None, 6)
    assert "TimeDistributed" not in rekind.wrap_choices(doc, doc.find("label").id)
    doc.set_param(doc.find("encoder").id, "return_sequences", True)
    assert "TimeDistributed" in rekind.wrap_choices(doc, doc.find("label").id)
    assert rekind.kind_choices(doc, doc.find("tokens").id) == []


def test_a_wrapper_that_cannot_hold_the_kind_is_refused_with_a_message():
    doc = text_model()
    with pytest.raises(DocumentError, match="Bidirectional cannot wrap a Dense"):
        rekind.wrap(doc, doc.find("label").id, "Bidirectional", UndoStack())
    with pytest.raises(DocumentError, match="not a wrapper of one layer"):
        rekind.unwrap(doc, doc.find("label").id, UndoStack())


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "SimpleRNN"])
def test_a_recurrent_layer_changed_to_an_rnn_runs_its_cell_and_back(kind):
    """LSTM(6, dropout=0.1) becomes RNN(LSTMCell(6, dropout=0.1)): the cell Keras builds
    has the layer's config, and changing back gives the layer its params again."""
    import keras

    doc, stack = text_model(), UndoStack()
    rnn = doc.find("encoder").id
    rekind.change_kind(doc, rnn, kind, stack)
    before = build_model(doc).get_layer("encoder").get_config()
    rekind.change_kind(doc, rnn, "RNN", stack)
    cell = build_model(doc).get_layer("encoder").cell
    assert type(cell) is getattr(keras.layers, f"{kind}Cell")
    expected = getattr(keras.layers, f"{kind}Cell")(6, dropout=0.1).get_config()
    assert {k: v for k, v in cell.get_config().items() if k != "name"} == \
        {k: v for k, v in expected.items() if k != "name"}
    rekind.change_kind(doc, rnn, kind, stack)
    assert doc.node(rnn).params == {"units": 6, "dropout": 0.1}
    assert build_model(doc).get_layer("encoder").get_config() == before



def keras_name(kind: str) -> str:
    """The name Keras gives a fresh `kind` layer, without its session counter."""
    from keras.src.utils.naming import to_snake_case

    return to_snake_case(kind)


@pytest.mark.parametrize("name, kind, typed", [
    (None, "ReLU", False),  # leaky_re_lu: Keras' own name for the old kind
    ("leaky_re_lu_4", "ReLU", False),
    (None, "PReLU", False),
    ("gate", "ReLU", True),  # typed by a user: kept
])
def test_an_automatic_name_follows_the_new_kind_as_keras_would_name_it(name, kind, typed):
    """Change To LeakyReLU -> ReLU kept "leaky_re_lu": the code said
    `leaky_re_lu = layers.ReLU(...)`. Undo gives the old name back."""
    doc, stack = Document(), UndoStack()
    x = doc.add_node("Input", params={"shape": [4]})
    act = doc.add_node("LeakyReLU", name)
    doc.connect(Edge(x.id, 0, act.id, 0))
    before = act.name
    rekind.change_kind(doc, act.id, kind, stack)
    expected = before if typed else keras_name(kind)
    assert (doc.node(act.id).kind, doc.node(act.id).name) == (kind, expected)
    stack.undo()
    assert (doc.node(act.id).kind, doc.node(act.id).name) == ("LeakyReLU", before)


def test_the_new_automatic_name_is_unique_as_keras_numbers_layers():
    doc, stack = Document(), UndoStack()
    x = doc.add_node("Input", params={"shape": [4]})
    relu = doc.add_node("ReLU")
    leaky = doc.add_node("LeakyReLU")
    doc.connect(Edge(x.id, 0, relu.id, 0))
    doc.connect(Edge(relu.id, 0, leaky.id, 0))
    rekind.change_kind(doc, leaky.id, "ReLU", stack)
    relu_name = keras_name("ReLU")
    assert [n.name for n in doc.nodes.values()] == ["input", relu_name, f"{relu_name}_1"]


def test_a_name_the_training_settings_use_is_kept():
    doc, stack = Document(), UndoStack()
    x = doc.add_node("Input", params={"shape": [4]})
    act = doc.add_node("LeakyReLU")
    doc.connect(Edge(x.id, 0, act.id, 0))
    doc.training = {"loss": {"leaky_re_lu": "mse"}}
    rekind.change_kind(doc, act.id, "ReLU", stack)
    assert doc.node(act.id).name == "leaky_re_lu"
