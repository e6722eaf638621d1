"""A stack of cells with return_state or initial_state, end to end: Keras gives its states
nested (a list per cell, `(y, [h0, c0], h1)`) and takes them so; the node's ports hold
them flat, in Keras' order. Each model imports onto RNN (or Bidirectional) nodes whose
shapes are Keras', and rebuilds by the runtime build and by the generated code of each
style with Keras' config, counts and outputs; imported from a `.keras` archive it starts
from the archive's weights and computes what the original does."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerascanvas.codegen import generate  # noqa: E402
from kerascanvas.graph import initial_weights, projectfile  # noqa: E402
from kerascanvas.runtime.build import build_model  # noqa: E402
from kerascanvas.runtime.cli import import_model as import_command  # noqa: E402
from kerascanvas.runtime.executor.program import Program  # noqa: E402
from kerascanvas.runtime.importer import import_model  # noqa: E402
from kerascanvas.runtime.initial_weights import apply  # noqa: E402
from tests.roundtrip import (  # noqa: E402
    assert_rebuilds_equal,
    assert_shapes_match_keras,
    assert_subclass_rebuild_equal,
    exec_generated,
    sample_inputs,
)

L = keras.layers


def _one_rnn(cells, **flags):
    x = keras.Input((6, 3), name="x")
    return keras.Model(x, keras.tree.flatten(L.RNN(cells, name="rnn", **flags)(x)),
                       name="stacked")


def _two_lstm():
    return _one_rnn([L.LSTMCell(8), L.LSTMCell(4)], return_state=True)


def _mixed_sequences():
    return _one_rnn([L.GRUCell(5), L.SimpleRNNCell(3), L.LSTMCell(4, name="top")],
                    return_state=True, return_sequences=True)


def _stacked_object():
    return _one_rnn(L.StackedRNNCells([L.LSTMCell(8), L.GRUCell(4, reset_after=False)],
                                      name="stack"), return_state=True, go_backwards=True)


def _one_lstm_in_a_list():
    return _one_rnn([L.LSTMCell(3)], return_state=True)


def _encoder_decoder():
    """The encoder's nested states start a decoder of the same stack."""
    src, tgt = keras.Input((7, 4), name="src"), keras.Input((5, 3), name="tgt")
    _, (h, c), s = L.RNN([L.LSTMCell(6), L.GRUCell(5)], return_state=True, name="enc")(src)
    dec = L.RNN([L.LSTMCell(6), L.GRUCell(5)], return_sequences=True, name="dec")(
        tgt, initial_state=[[h, c], s])
    return keras.Model([src, tgt], dec, name="s2s")


def _bidirectional():
    src, tgt = keras.Input((7, 4), name="src"), keras.Input((5, 3), name="tgt")
    out, *states = L.Bidirectional(L.RNN([L.LSTMCell(6), L.LSTMCell(5)], return_state=True),
                                   name="enc")(src)
    f = keras.tree.flatten(states)
    dec = L.Bidirectional(L.RNN([L.LSTMCell(6), L.LSTMCell(5)], return_sequences=True),
                          name="dec")(tgt, initial_state=[f[0:2], f[2:4], f[4:6], f[6:8]])
    return keras.Model([src, tgt], [dec, out], name="bidi")


def _bidirectional_apart():
    x = keras.Input((6, 3), name="x")
    outs = L.Bidirectional(L.RNN([L.LSTMCell(4), L.SimpleRNNCell(2)], return_state=True,
                                 return_sequences=True), merge_mode=None, name="bi")(x)
    return keras.Model(x, keras.tree.flatten(outs), name="apart")


def _shared():
    x, y = keras.Input((6, 3), name="x"), keras.Input((6, 3), name="y")
    rnn = L.RNN([L.LSTMCell(4), L.GRUCell(2)], return_state=True, name="rnn")
    both = keras.tree.flatten(rnn(x)) + keras.tree.flatten(rnn(y))
    return keras.Model([x, y], L.Concatenate(name="cat")(both), name="shared")


MODELS = {"two_lstm": _two_lstm, "mixed_sequences": _mixed_sequences,
          "stacked_object": _stacked_object, "one_lstm_in_a_list": _one_lstm_in_a_list,
          "encoder_decoder": _encoder_decoder, "bidirectional": _bidirectional,
          "bidirectional_apart": _bidirectional_apart, "shared": _shared}


@pytest.mark.parametrize("make", MODELS.values(), ids=MODELS)
def test_a_stack_with_states_imports_and_rebuilds_equal(make):
    model = make()
    doc = import_model(model)
    assert {n.kind for n in doc.nodes.values()} <= {"Input", "RNN", "Bidirectional",
                                                    "SharedCall", "Concatenate"}
    assert_shapes_match_keras(doc, model)
    doc = projectfile.from_dict(projectfile.to_dict(doc))
    assert_rebuilds_equal(model, doc)
    assert_subclass_rebuild_equal(model, exec_generated(doc, style="subclass",
                                                        model_name=model.name))


def test_a_stack_kept_whole_as_a_keras_layer_rebuilds_equal():
    """A layer our kinds do not cover (here for its dtype policy) stays a KerasLayer node;
    its outputs come nested all the same, and its code flattens them too."""
    x = keras.Input((6, 3), name="x")
    states = L.RNN([L.LSTMCell(4), L.GRUCell(3)], return_state=True, dtype="float64",
                   name="rnn")(x)
    model = keras.Model(x, keras.tree.flatten(states), name="kept")
    doc = import_model(model)
    assert doc.find("rnn").kind == "KerasLayer"
    assert_shapes_match_keras(doc, model)
    assert_rebuilds_equal(model, doc)
    assert_subclass_rebuild_equal(model, exec_generated(doc, style="subclass", model_name="kept"))


def test_the_generated_code_flattens_the_states_and_groups_the_initial_ones():
    code = generate(import_model(_encoder_decoder()), model_name="s2s")
    assert "enc, enc_out1, enc_out2, enc_out3 = keras.tree.flatten(layers.RNN(" in code
    assert "(tgt, initial_state=[[enc_out1, enc_out2], enc_out3])" in code


def test_the_direct_forward_pass_takes_the_states_flat():
    """The executor's Program zipped a layer's outputs with its ports: nested states
    failed there (3 items for 5 ports)."""
    model = _two_lstm()
    data = sample_inputs(model)[0]
    expected = [keras.ops.convert_to_numpy(t) for t in model(data, training=True)]
    got = Program(model)(keras.ops.convert_to_tensor(data))
    assert len(got) == len(expected) == 5
    for have, want in zip(got, expected, strict=True):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(have), want, atol=1e-6)


@pytest.mark.parametrize("make", [_two_lstm, _bidirectional], ids=["rnn", "bidirectional"])
def test_an_imported_archive_starts_from_its_weights(make, tmp_path):
    model = make()
    rng = np.random.default_rng(3)
    for weight in model.weights:
        weight.assign(rng.normal(size=weight.shape).astype("float32") * 0.4)
    model.save(tmp_path / "m.keras")
    parser = argparse.ArgumentParser()
    import_command.add_arguments(parser)
    args = parser.parse_args([str(tmp_path / "m.keras"), "-o", str(tmp_path / "p.json")])
    assert import_command.run(args) == 0
    doc = projectfile.load(tmp_path / "p.json")
    initial_weights.anchored(doc, tmp_path)
    rebuilt = build_model(doc)
    report = apply(rebuilt, doc)
    assert report.fresh == [] and report.loaded
    data = sample_inputs(model)
    data = data[0] if len(data) == 1 else data
    for have, want in zip(keras.tree.flatten(rebuilt(data)), keras.tree.flatten(model(data)),
                          strict=True):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(have),
                                   keras.ops.convert_to_numpy(want), rtol=0, atol=1e-6)
