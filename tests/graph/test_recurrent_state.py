"""Initial-state input ports of the recurrent kinds, without Keras: ports, validation
issues pinned to the state port, and the code each style writes (tests/runtime/
test_recurrent_state.py checks the same graphs against Keras)."""

from __future__ import annotations

import doctest

import pytest

from kerascanvas.codegen import generate
from kerascanvas.codegen.errors import CodegenError
from kerascanvas.graph import LAYER_SPECS, layer_spec, spec
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.errors import DocumentError
from kerascanvas.graph.layers import recurrent_state
from kerascanvas.graph.validate import analyze
from tests.codegen.helpers import add, add_input

STATEFUL = sorted(k for k, s in LAYER_SPECS.items()
                  if s.keyword_ports is not None and s.keyword_ports.param == "initial_state")
STATE_NAMES = {"LSTM": ["initial h", "initial c"], "GRU": ["initial state"],
               "SimpleRNN": ["initial state"], "RNN": ["initial h", "initial c"],
               **{f"ConvLSTM{r}D": ["initial h", "initial c"] for r in (1, 2, 3)}}


@pytest.mark.parametrize("module", [spec, layer_spec, recurrent_state])
def test_doctests(module):
    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0


def test_the_recurrent_kinds_and_bidirectional_take_initial_states():
    assert STATEFUL == sorted([*STATE_NAMES, "Bidirectional"])


@pytest.mark.parametrize("kind", STATEFUL)
def test_the_switch_adds_named_ports_after_the_sequence(kind):
    kind_spec = LAYER_SPECS[kind]
    params = dict(kind_spec.initial_params())
    assert kind_spec.max_ports(params) == 1 and kind_spec.keyword_port_names(params) == ()
    params["initial_state"] = True
    names = STATE_NAMES.get(kind) or ["forward h", "forward c", "backward h", "backward c"]
    assert [kind_spec.port_name(p, params) for p in range(1, 1 + len(names))] == names
    assert kind_spec.max_ports(params) == kind_spec.min_ports(params) == 1 + len(names)
    assert kind_spec.constructor_kwargs({"initial_state": True}) == {}


def test_bidirectional_takes_each_direction_s_states():
    bi = LAYER_SPECS["Bidirectional"]
    params = {"layer": {"kind": "GRU", "params": {"units": 3}}, "initial_state": True}
    assert [bi.port_name(p, params) for p in (1, 2)] == ["forward state", "backward state"]


def seq2seq(decoder_units=16, kind="LSTM"):
    """Encoder LSTM giving its states to a decoder that starts from them."""
    doc = Document()
    src, tgt = add_input(doc, "src", (None, 7, 5)), add_input(doc, "tgt", (None, 6, 4))
    enc = add(doc, "LSTM", "enc", {"units": 16, "return_state": True}, [src])
    states = [(enc, 1), (enc, 2)][:len(STATE_NAMES[kind])]
    dec = add(doc, kind, "dec", {"units": decoder_units, "return_sequences": True,
                                 "initial_state": True}, [tgt, *states])
    doc.outputs = [add(doc, "Dense", "out", {"units": 4}, [dec])]
    return doc, doc.find("dec").id


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "SimpleRNN"])
def test_a_decoder_started_from_the_encoder_states_is_valid(kind):
    doc, dec = seq2seq(kind=kind)
    analysis = analyze(doc)
    assert analysis.errors == []
    assert analysis.results[dec].output_shapes == [(None, 6, 16)]


def test_a_state_of_another_size_is_an_error_on_its_port_with_a_fix():
    doc, dec = seq2seq(decoder_units=12)
    (issue,) = analyze(doc).errors
    assert (issue.node, issue.port) == (dec, 1)
    assert "input port initial h" in issue.message
    assert "(None, 12)" in issue.message and "Received: (None, 16)" in issue.message
    assert issue.fixes == ("set_state_size",)


def test_a_missing_state_is_an_error_naming_the_port():
    doc, dec = seq2seq()
    doc.disconnect(next(e for e in doc.in_edges(dec) if e.dst_port == 2))
    (issue,) = analyze(doc).errors
    assert (issue.node, issue.port, issue.code) == (dec, 2, "unconnected_input")
    assert "initial c" in issue.message and "initial_state" in issue.message


def test_states_left_wired_after_the_switch_is_off_are_errors_that_say_so():
    doc, dec = seq2seq()
    doc.set_param(dec, "initial_state", False)
    issues = analyze(doc).errors
    assert [(i.port, i.code) for i in issues] == [(1, "extra_input"), (2, "extra_input")]
    assert "turning initial_state on adds input ports" in issues[0].message


def test_without_the_switch_a_state_port_cannot_be_wired():
    doc = Document()
    x = add_input(doc, "x", (None, 5, 3))
    rnn = add(doc, "GRU", "rnn", {"units": 4}, [x])
    with pytest.raises(DocumentError, match="no input port 1"):
        doc.connect(Edge(x, 0, rnn, 1))


def test_an_inner_layer_cannot_take_states_itself():
    doc = Document()
    x = add_input(doc, "x", (None, 5, 3))
    doc.outputs = [add(doc, "Bidirectional", "bi", {"layer": {"kind": "LSTM", "params": {
        "units": 4, "initial_state": True}}}, [x])]
    (issue,) = analyze(doc).errors
    assert "Bidirectional takes initial states itself" in issue.message


@pytest.mark.parametrize("style", ["functional", "subclass"])
def test_code_passes_the_states_as_initial_state(style):
    doc, _ = seq2seq()
    code = generate(doc, style=style)
    compile(code, "<generated>", "exec")
    assert "(tgt, initial_state=[enc_out1, enc_out2])" in code.replace("self.", "")


def test_the_sequential_style_refuses_states_saying_why():
    doc = Document()
    x = add_input(doc, "x", (None, 5, 4))
    pooled = add(doc, "GlobalAveragePooling1D", "pool", {}, [x])
    state = add(doc, "Dense", "state", {"units": 4}, [pooled])
    doc.outputs = [add(doc, "LSTM", "rnn", {"units": 4, "initial_state": True},
                       [x, state, state])]
    assert analyze(doc).errors == []
    with pytest.raises(CodegenError, match="initial_state ports.*functional or subclass"):
        generate(doc, style="sequential")
