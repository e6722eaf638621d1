"""A further output port of a node (an LSTM's states, attention scores) as a model output
of its own: import keeps the original layers (no carrier node), the project file stores
the port, and the rebuilt models (build, functional and subclass code) equal Keras'.
The cases: a seq2seq encoder (LSTM states), attention with its scores, and the two
directions of a Bidirectional with merge_mode=None (second direction listed first)."""

from __future__ import annotations

import json

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerascanvas.codegen import generate  # noqa: E402
from kerascanvas.graph.errors import ProjectFileError  # noqa: E402
from kerascanvas.graph.projectfile import dumps, from_dict, loads, to_dict  # noqa: E402
from kerascanvas.graph.training import output_names, resolve_training  # noqa: E402
from kerascanvas.graph.training_schema import logged_names  # noqa: E402
from kerascanvas.graph.validate import analyze  # noqa: E402
from kerascanvas.runtime.build import build_model  # noqa: E402
from kerascanvas.runtime.data import output_shapes, synthetic  # noqa: E402
from kerascanvas.runtime.importer import import_model  # noqa: E402
from tests.roundtrip import assert_shapes_match_keras, exec_generated  # noqa: E402


def encoder_model():
    """A seq2seq encoder, as in Keras' examples: its outputs are the LSTM's states."""
    tokens = keras.Input((7,), dtype="int32", name="tokens")
    x = keras.layers.Embedding(20, 6, name="embed")(tokens)
    _, state_h, state_c = keras.layers.LSTM(5, return_state=True, name="encoder")(x)
    return keras.Model(tokens, [state_h, state_c], name="encoder_model")


def attention_model():
    """Self-attention whose model outputs are the attended sequence and the scores."""
    x = keras.Input((6, 8), name="x")
    out, scores = keras.layers.MultiHeadAttention(2, 4, name="mha")(
        x, x, return_attention_scores=True)
    return keras.Model(x, [out, scores], name="attention_model")


def bidirectional_model():
    """A Bidirectional GRU with merge_mode=None: its two directions are the model outputs."""
    x = keras.Input((5, 3), name="x")
    forward, backward = keras.layers.Bidirectional(
        keras.layers.GRU(4, name="gru"), merge_mode=None, name="bi")(x)
    return keras.Model(x, [backward, forward], name="bidirectional_model")


CASES = {
    "bidirectional": (bidirectional_model,
                      lambda rng: rng.random((3, 5, 3)).astype("float32")),
    "encoder": (encoder_model, lambda rng: rng.integers(0, 20, (3, 7)).astype("int32")),
    "attention": (attention_model, lambda rng: rng.random((3, 6, 8)).astype("float32")),
}


def _classes(model) -> list[type]:
    """The model's layer classes (a subclassed model holds no InputLayer)."""
    return [type(layer) for layer in model.layers
            if not isinstance(layer, keras.layers.InputLayer)]


def _assert_same_layers(model, rebuilt, style: str) -> None:
    assert rebuilt.count_params() == model.count_params(), style
    theirs = {layer.name: layer for layer in rebuilt.layers}
    for layer in model.layers:
        if not isinstance(layer, keras.layers.InputLayer):
            assert theirs[layer.name].get_config() == layer.get_config(), (style, layer.name)


def _rebuilt(doc, name):
    return {"build": build_model(doc, name=name),
            "functional": exec_generated(doc, model_name=name),
            "subclass": exec_generated(doc, style="subclass", model_name=name)}


@pytest.mark.parametrize("case", sorted(CASES))
def test_port_outputs_round_trip_with_keras_outputs(case):
    make, data = CASES[case]
    model = make()
    doc = import_model(model)
    assert "Identity" not in {n.kind for n in doc.nodes.values()}
    assert len(doc.nodes) == len(model.layers)
    assert_shapes_match_keras(doc, model)
    doc = from_dict(json.loads(json.dumps(to_dict(doc))))
    x = data(np.random.default_rng(0))
    expected = [keras.ops.convert_to_numpy(o) for o in model(x)]
    for style, rebuilt in _rebuilt(doc, model.name).items():
        assert _classes(rebuilt) == _classes(model), style
        _assert_same_layers(model, rebuilt, style)
        for layer in model.layers:
            if layer.weights:
                rebuilt.get_layer(layer.name).set_weights(layer.get_weights())
        assert rebuilt.output_names == output_names(doc), style
        got = rebuilt(x)
        assert len(got) == len(expected), style
        for want, have in zip(expected, got, strict=True):
            np.testing.assert_allclose(keras.ops.convert_to_numpy(have), want,
                                       rtol=1e-5, atol=1e-6, err_msg=style)


def test_output_names_and_shapes_follow_the_port():
    doc = import_model(encoder_model())
    assert output_names(doc) == ["encoder_1", "encoder_2"]
    assert output_shapes(doc) == {"encoder_1": (None, 5), "encoder_2": (None, 5)}
    assert list(resolve_training(doc)["loss"]) == ["encoder_1", "encoder_2"]
    labels = synthetic(doc, n=4).y
    assert {k: v.shape for k, v in labels.items()} == {"encoder_1": (4, 5), "encoder_2": (4, 5)}
    script = generate(doc, script=True)
    assert "'encoder_1'" in script and "'encoder_2'" in script


def test_the_sequential_style_refuses_a_port_output():
    from kerascanvas.codegen.errors import CodegenError

    doc = import_model(encoder_model())
    doc.set_outputs([doc.outputs[0]])  # the one model output is a state: still refused
    with pytest.raises(CodegenError, match="encoder"):
        generate(doc, style="sequential")


def test_the_file_stores_a_port_and_plain_ids_still_mean_port_0():
    doc = import_model(attention_model())
    data = json.loads(dumps(doc))
    mha = doc.find("mha").id
    assert data["outputs"] == [mha, {"node": mha, "port": 1}]
    assert loads(json.dumps(data)).outputs == doc.outputs
    data["outputs"] = [mha]
    assert output_names(loads(json.dumps(data))) == ["mha"]


@pytest.mark.parametrize(("entry", "field", "message"), [
    ({"node": "MHA", "port": 2}, "outputs[0].port", "has 2 output port"),
    ({"node": "nope", "port": 1}, "outputs[0].node", "no node with id 'nope'"),
    ({"node": "MHA", "port": 1, "extra": 0}, "outputs[0].extra", "unknown field 'extra'"),
    ({"node": "MHA", "port": -1}, "outputs[0].port", ""),
])
def test_the_file_refuses_a_port_the_node_lacks(entry, field, message):
    data = to_dict(import_model(attention_model()))
    mha = next(n["id"] for n in data["nodes"] if n["name"] == "mha")
    entry = {**entry, "node": mha} if entry["node"] == "MHA" else entry
    data["outputs"] = [entry]
    with pytest.raises(ProjectFileError, match=message) as caught:
        from_dict(data)
    assert caught.value.field == field


def test_validation_names_a_port_lost_to_a_param_change():
    doc = import_model(encoder_model())
    encoder = doc.find("encoder")
    doc.set_param(encoder.id, "return_state", False)
    errors = analyze(doc).errors
    assert any(i.code == "bad_output" and i.node == encoder.id and "port 1" in i.message
               for i in errors), errors


def test_training_reads_labels_named_after_the_ports(tmp_path):
    from kerascanvas.runtime.train import load_checked_data, prepare, train

    doc = import_model(encoder_model())
    rng = np.random.default_rng(4)
    path = tmp_path / "states.npz"
    np.savez(path, tokens=rng.integers(0, 20, (16, 7)), encoder_1=rng.random((16, 5)),
             encoder_2=rng.random((16, 5)))
    doc.training = {"epochs": 1, "batch_size": 8, "data": str(path),
                    "loss": {"encoder_1": "mean_squared_error", "encoder_2": "huber"}}
    data = load_checked_data(*prepare(doc))
    assert sorted(data.y) == ["encoder_1", "encoder_2"]
    result = train(doc, data)
    assert result.status == "ok", result.message
    assert {"encoder_1_loss", "encoder_2_loss"} <= set(result.metrics)  # Keras' log names
    assert {"encoder_1_loss", "encoder_2_loss"} <= set(logged_names(doc, resolve_training(doc)))


@pytest.mark.slow
@pytest.mark.parametrize("style", ["functional", "subclass"])
def test_generated_script_logs_each_port_output(tmp_path, style):
    from tests.codegen.test_script import run_script

    source = generate(import_model(encoder_model()), style=style, script=True)
    result = run_script(tmp_path, source, "--epochs", "1", "--data", "synthetic:16")
    assert result.returncode == 0, result.stderr
    assert "encoder_1_loss" in result.stdout and "encoder_2_loss" in result.stdout
