"""RNN layers with cells round-trip: a Keras model written by hand imports onto RNN nodes
holding their cells, survives the project file, and rebuilds by the runtime build and by
the generated code of every style that applies, with Keras' config, counts and outputs."""

from __future__ import annotations

import pytest

keras = pytest.importorskip("keras")

from kerascanvas.graph.projectfile import from_dict, to_dict  # noqa: E402
from kerascanvas.runtime.build import build_model  # noqa: E402
from kerascanvas.runtime.import_map import ModelImportError  # noqa: E402
from kerascanvas.runtime.importer import import_model  # noqa: E402
from tests.roundtrip import (  # noqa: E402
    assert_rebuild_equal,
    assert_rebuilds_equal,
    assert_same_model,
    assert_same_outputs,
    assert_shapes_match_keras,
    assert_subclass_rebuild_equal,
    exec_generated,
)

L = keras.layers


def cells_model():
    """A stack of cells, a configured LSTMCell read backwards, then a cell with states."""
    x = keras.Input((6, 3), name="x")
    y = L.RNN(L.StackedRNNCells([L.GRUCell(4, reset_after=False, name="g"), L.LSTMCell(5)],
                                name="stack"), return_sequences=True, name="deep")(x)
    y = L.RNN(L.LSTMCell(3, recurrent_dropout=0.1, unit_forget_bias=False,
                         kernel_regularizer=keras.regularizers.L2(0.02)),
              go_backwards=True, name="back")(y)
    out, h = L.RNN(L.SimpleRNNCell(2, activation="relu"), return_state=True,
                   name="last")(L.RepeatVector(4, name="rep")(y))
    return keras.Model(x, [out, h], name="cells")


def chain_model():
    """A Sequential model, its stack of cells given as a plain list."""
    return keras.Sequential([keras.Input((5, 2), name="x"),
                             L.RNN([L.SimpleRNNCell(3), L.GRUCell(2)], name="rnn"),
                             L.Dense(1, name="out")], name="chain")


def test_cells_import_onto_rnn_nodes_and_rebuild_equal():
    model = cells_model()
    doc = import_model(model)
    kinds = {n.name: n.kind for n in doc.nodes.values()}
    assert kinds["deep"] == kinds["back"] == kinds["last"] == "RNN"
    cell = doc.find("deep").params["cell"]
    assert cell["name"] == "stack" and cell["params"]["cells"][0]["name"] == "g"
    assert_shapes_match_keras(doc, model)
    doc = from_dict(to_dict(doc))
    assert_rebuilds_equal(model, doc)
    assert_subclass_rebuild_equal(model, exec_generated(doc, style="subclass",
                                                        model_name="cells"))


def test_a_chain_of_cells_rebuilds_in_the_sequential_style():
    model = chain_model()
    doc = import_model(model)
    assert doc.find("rnn").kind == "RNN"
    assert_rebuild_equal(model, exec_generated(doc, style="sequential", model_name="chain"))
    rebuilt = build_model(doc, name="chain")
    assert_same_model(model, rebuilt)
    assert_same_outputs(model, rebuilt)


def test_an_rnn_with_states_from_an_encoder_rebuilds_equal():
    src, tgt = keras.Input((7, 4), name="src"), keras.Input((5, 3), name="tgt")
    _, h, c = L.LSTM(6, return_state=True, name="enc")(src)
    dec = L.RNN(L.LSTMCell(6), return_sequences=True, name="dec")(tgt, initial_state=[h, c])
    model = keras.Model([src, tgt], dec, name="s2s")
    doc = import_model(model)
    assert doc.find("dec").kind == "RNN" and doc.find("dec").params["initial_state"] is True
    assert_rebuilds_equal(model, doc)


def test_a_cell_of_a_user_class_is_refused_naming_the_rnn_and_the_class():
    """It came in as a KerasLayer node, which validated but which neither the build nor
    the generated code could make: a KerasLayer node rebuilds Keras' own classes only."""
    class Minimal(L.SimpleRNNCell):
        pass

    x = keras.Input((4, 2), name="x")
    model = keras.Model(x, L.RNN(Minimal(3), name="odd")(x))
    with pytest.raises(ModelImportError, match="layer 'odd' \\(RNN\\) holds the custom class "
                       "'Minimal'"):
        import_model(model)


def test_a_bidirectional_rnn_of_cells_rebuilds_equal():
    x = keras.Input((6, 3), name="x")
    seq, *states = L.Bidirectional(
        L.RNN([L.GRUCell(3), L.SimpleRNNCell(4)], return_sequences=True, return_state=True),
        name="bi")(x)
    model = keras.Model(x, [seq, *states], name="bidi")
    doc = import_model(model)
    node = doc.find("bi")
    assert node.kind == "Bidirectional" and node.params["layer"]["kind"] == "RNN"
    assert_rebuilds_equal(model, doc)
