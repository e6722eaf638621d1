"""RNN's cell param against Keras: each cell kind's names and defaults, the stack's state
layout (flat on the ports, nested in Keras' calls), and the refusals (a bad cell, a stack
in a stack)."""

from __future__ import annotations

import doctest
import inspect

import pytest

keras = pytest.importorskip("keras")

from kerascanvas.graph.errors import ParamError  # noqa: E402
from kerascanvas.graph.layers import recurrent_cells, recurrent_rnn  # noqa: E402
from kerascanvas.graph.layers.recurrent_cells import CELL_SPECS, STACK  # noqa: E402
from kerascanvas.graph.spec import get_spec  # noqa: E402
from tests.keras_ref import keras_layer  # noqa: E402

RNN = get_spec("RNN")
# Keys of a cell's get_config() that no cell param covers: every layer has them.
COMMON = {"name", "trainable", "dtype"}


@pytest.mark.parametrize("module", [recurrent_cells, recurrent_rnn])
def test_doctests(module):
    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0


@pytest.mark.parametrize("kind", sorted(CELL_SPECS))
def test_cell_params_are_keras_keywords_with_keras_defaults(kind):
    spec = CELL_SPECS[kind]
    required = spec.initial_params()
    plain = keras_layer(spec, required, name="probe").get_config()
    names = {p.name for p in spec.params}
    assert set(plain) - COMMON == names
    assert names <= set(inspect.signature(getattr(keras.layers, kind).__init__).parameters)
    explicit = {p.name: p.default for p in spec.params if not p.required}
    assert keras_layer(spec, {**explicit, **required}, name="probe").get_config() == plain


@pytest.mark.parametrize("units", [(3,), (2, 5), (4, 1, 6)])
@pytest.mark.parametrize("kind", ["SimpleRNNCell", "GRUCell", "LSTMCell"])
def test_stack_weights_and_states_match_keras(kind, units):
    cells = [{"kind": kind, "params": {"units": u, "use_bias": u != 1}} for u in units]
    params = RNN.resolve({"cell": cells, "return_state": True})
    layer = keras_layer(RNN, params, name="probe")
    out = layer(keras.Input(batch_shape=(None, 5, 7)))
    assert RNN.count(params, [(None, 5, 7)]) == (layer.count_params(), 0)
    flat = [tuple(t.shape) for t in keras.tree.flatten(out)]
    assert RNN.output_shapes(params, [(None, 5, 7)]) == flat


def test_a_stack_nests_its_states_and_the_ports_take_them_flat():
    """Keras gives (y, [h, c], h_gru) and takes initial states so; the node's ports hold
    one tensor each, in that flat order, and its call groups them again."""
    cells = [{"kind": "LSTMCell", "params": {"units": 3}},
             {"kind": "GRUCell", "params": {"units": 4}}]
    params = RNN.resolve({"cell": cells, "return_state": True, "initial_state": True})
    out = keras_layer(RNN, {**params, "initial_state": False})(keras.Input((5, 2)))
    assert isinstance(out[1], list) and len(out[1]) == 2
    assert RNN.nests_outputs(params) and not RNN.nests_outputs({"cell": cells})
    assert RNN.output_shapes(params, [(None, 5, 2), (None, 3), (None, 3), (None, 4)]) == [
        tuple(t.shape) for t in keras.tree.flatten(out)]
    assert RNN.split_inputs(["x", "h", "c", "s"], params) == (
        ["x"], {"initial_state": [["h", "c"], "s"]})
    assert RNN.port_name(3, params) == "initial state 1"


@pytest.mark.parametrize("cell,message", [
    ({"kind": "LSTM", "params": {"units": 3}}, "one of the kinds SimpleRNNCell"),
    ({"kind": "LSTMCell", "params": {"units": 0}}, r"cell \(LSTMCell\).*units=0"),
    ({"kind": "LSTMCell", "params": {"units": 3, "return_sequences": True}},
     "no parameter 'return_sequences'"),
    ({"kind": STACK, "params": {"cells": []}}, "a non-empty list"),
    ({"kind": STACK, "params": {"cells": [{"kind": STACK, "params": {"cells": [
        {"kind": "GRUCell", "params": {"units": 2}}]}}]}}, r"cells\[0\]"),
    ([{"kind": "GRUCell", "params": {"units": 2}}, {"kind": "GRUCell", "params": {}}],
     r"cells\[1\] \(GRUCell\): GRUCell needs a value for units"),
])
def test_a_bad_cell_is_refused_saying_where(cell, message):
    with pytest.raises(ParamError, match=message):
        RNN.resolve({"cell": cell})


def test_a_list_of_cells_is_a_stack_and_defaults_are_dropped():
    cell = RNN.resolve({"cell": [{"kind": "GRUCell", "params": {"units": 2,
                                                                "activation": "tanh"}}]})["cell"]
    assert cell == {"kind": STACK, "params": {"cells": [
        {"kind": "GRUCell", "params": {"units": 2}}]}}


def test_state_ports_are_named_per_cell_and_a_wrong_state_resizes_its_cell():
    cells = [{"kind": "GRUCell", "params": {"units": 3}},
             {"kind": "SimpleRNNCell", "params": {"units": 4}}]
    params = RNN.resolve({"cell": cells, "initial_state": True})
    assert [RNN.port_name(p, params) for p in (1, 2)] == ["initial state 0", "initial state 1"]
    change = RNN.keyword_ports.resize(params, [(None, 5, 2), (None, 3), (None, 9)], 2)
    assert change[0] == "cell" and change[1]["params"]["cells"][1]["params"]["units"] == 9
    assert RNN.output_shapes(RNN.resolve({**params, "cell": change[1]}),
                             [(None, 5, 2), (None, 3), (None, 9)]) == [(None, 9)]


def test_bidirectional_names_and_resizes_the_states_of_its_rnn_cells():
    bi = get_spec("Bidirectional")
    cells = [{"kind": "GRUCell", "params": {"units": 3}},
             {"kind": "SimpleRNNCell", "params": {"units": 4}}]
    params = bi.resolve({"layer": {"kind": "RNN", "params": {"cell": cells}},
                         "initial_state": True})
    assert [bi.port_name(p, params) for p in range(1, 5)] == [
        "forward state 0", "forward state 1", "backward state 0", "backward state 1"]
    shapes = [(None, 5, 2), (None, 3), (None, 4), (None, 3), (None, 7)]
    name, layer = bi.keyword_ports.resize(params, shapes, 4)  # backward state 1: cell 1
    assert name == "layer" and layer["params"]["cell"]["params"]["cells"][1]["params"] == {
        "units": 7}


def test_bidirectional_groups_the_states_of_a_stack_per_direction_and_cell():
    cells = [{"kind": "LSTMCell", "params": {"units": 3}},
             {"kind": "GRUCell", "params": {"units": 4}}]
    layer = {"kind": "RNN", "params": {"cell": cells, "return_state": True}}
    bi = get_spec("Bidirectional")
    params = bi.resolve({"layer": layer, "initial_state": True})
    out = keras_layer(bi, {**params, "initial_state": False})(keras.Input((5, 2)))
    inputs = [(None, 5, 2), *[(None, 3), (None, 3), (None, 4)] * 2]
    assert bi.output_shapes(params, inputs) == [tuple(t.shape) for t in keras.tree.flatten(out)]
    assert bi.nests_outputs(params)
    assert bi.split_inputs(["x", "h", "c", "s", "hb", "cb", "sb"], params)[1] == {
        "initial_state": [["h", "c"], "s", ["hb", "cb"], "sb"]}


@pytest.mark.parametrize("features", [1, 4])
@pytest.mark.parametrize("kind,params", [
    ("SimpleRNNCell", {"units": 3, "use_bias": False}), ("GRUCell", {"units": 2}),
    ("GRUCell", {"units": 2, "reset_after": False}), ("LSTMCell", {"units": 5}),
    (STACK, {"cells": [{"kind": "LSTMCell", "params": {"units": 2}},
                       {"kind": "GRUCell", "params": {"units": 3}}]}),
])
def test_each_cell_spec_counts_the_weights_keras_builds(kind, params, features):
    spec = CELL_SPECS[kind]
    resolved = spec.resolve(params)
    cell = keras_layer(spec, resolved, name="probe")
    cell.build((None, features))
    assert spec.count(resolved, [(None, features)]) == (cell.count_params(), 0)
    assert spec.output_shapes(resolved, [(None, features)]) == [(None, cell.output_size)]
