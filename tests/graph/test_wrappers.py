"""Wrapper kinds in the core: the inner layer is validated by its own spec, and errors
name the wrapper's param and the inner one. (Shapes and counts are checked against
Keras with every other kind, in test_specs_keras.py.)"""

from __future__ import annotations

import doctest

import pytest

from kerascanvas.graph.errors import ParamError
from kerascanvas.graph.layers import wrappers
from kerascanvas.graph.spec import get_spec


def test_doctests():
    result = doctest.testmod(wrappers)
    assert result.failed == 0 and result.attempted > 0


def test_inner_params_are_checked_by_the_inner_spec():
    spec = get_spec("Bidirectional")
    with pytest.raises(ParamError, match=r"layer \(LSTM\): .*units.*Received: units=0"):
        spec.resolve({"layer": {"kind": "LSTM", "params": {"units": 0}}})
    with pytest.raises(ParamError, match="one of the kinds LSTM, GRU"):
        spec.resolve({"layer": {"kind": "Dense", "params": {"units": 3}}})
    with pytest.raises(ParamError, match="LSTM has no parameter 'filters'"):
        spec.resolve({"layer": {"kind": "LSTM", "params": {"units": 3, "filters": 2}}})


def test_inner_layer_normal_form_keeps_only_non_defaults():
    value = {"kind": "Dense", "params": {"units": 4, "use_bias": True, "activation": "relu"}}
    resolved = get_spec("TimeDistributed").resolve({"layer": value})
    assert resolved["layer"] == {"kind": "Dense", "params": {"units": 4, "activation": "relu"}}


def test_bidirectional_ports_follow_merge_mode_and_states():
    spec = get_spec("Bidirectional")
    lstm = {"kind": "LSTM", "params": {"units": 3, "return_state": True}}
    assert spec.outputs(spec.resolve({"layer": lstm})) == 5
    assert spec.outputs(spec.resolve({"layer": lstm, "merge_mode": None})) == 6


def test_time_distributed_offers_single_tensor_kinds_only():
    kinds = get_spec("TimeDistributed").param("layer").choices
    assert {"Dense", "Conv2D", "LSTM", "Dropout"} <= set(kinds)
    assert not {"Input", "Add", "MultiHeadAttention", "KerasLayer", "Bidirectional"} & set(kinds)
