"""RNN: Keras' recurrent layer around a cell given as a param (see `recurrent_cells`).

`RNN(LSTMCell(32))` computes what `LSTM(32)` does; the cell form also runs a stack of
cells in one layer (`StackedRNNCells`), with the sequence flags of the RNN itself
(return_sequences, return_state, go_backwards, stateful, unroll, zero_output_for_mask).
With return_state the final states follow the output on more ports, in Keras' order
(h then c for an LSTMCell, a stack's cells lowest first); with initial_state the layer
starts from states given on more input ports.

A stack gives its states nested, a list per cell (`[[h0, c0], s1]`), and takes its
initial states so: the ports stay one tensor each, in Keras' flat order, and the build
and the generated code flatten the outputs (`nested_outputs`) and group the initial
states (`grouped_states`).

>>> from ..spec import get_spec
>>> spec = get_spec("RNN")
>>> cell = [{"kind": "GRUCell", "params": {"units": 3}},
...         {"kind": "SimpleRNNCell", "params": {"units": 4}}]
>>> params = spec.resolve({"cell": cell, "return_state": True})
>>> spec.output_shapes(params, [(None, 5, 2)]), spec.count(params, [(None, 5, 2)])
([(None, 4), (None, 3), (None, 4)], (95, 0))
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..spec import KeywordPorts, LayerSpec, Sample, register
from .recurrent import sequence_flags, sequence_output
from .recurrent_cells import (
    RNN_CELL,
    STACK,
    cell_count,
    grouped_states,
    output_units,
    resized,
    state_names,
    state_units,
)
from .recurrent_state import PARAM, check_states, initial_state_param


def _cell(params: Mapping[str, Any]) -> dict:
    return RNN_CELL.coerce(params.get("cell", RNN_CELL.initial))


def _port_names(params: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(f"initial {s}" for s in state_names(_cell(params)))


def _resize(params: Mapping[str, Any], inputs: list, port: int):
    """Size the cell that keeps the state on `port` like the tensor there."""
    if not 1 <= port < len(inputs) or not inputs[port]:
        return None
    size = inputs[port][-1]
    if not isinstance(size, int) or size < 1:
        return None
    return "cell", resized(params["cell"], port - 1, size)


def _shape(params, inputs):
    cell = params["cell"]
    batch = inputs[0][0]
    out = sequence_output("RNN", params, inputs[0], output_units(cell))
    states = [(batch, units) for units in state_units(cell)]
    if params[PARAM]:
        check_states("RNN", params, inputs, states)
    return [out, *states] if params["return_state"] else out


def _count(params, inputs):
    return cell_count(params["cell"], inputs[0][-1])


def _outputs(params) -> int:
    return 1 + len(state_units(params["cell"])) if params["return_state"] else 1


def _group(params: Mapping[str, Any], items: list) -> list:
    return grouped_states(_cell(params), items)


def nests_states(params: Mapping[str, Any]) -> bool:
    """Whether the call gives nested outputs: a stack's states, a list per cell."""
    return bool(params.get("return_state")) and _cell(params)["kind"] == STACK


def _stack(*cells: tuple[str, int]) -> list[dict]:
    return [{"kind": kind, "params": {"units": units}} for kind, units in cells]


def _samples() -> tuple[Sample, ...]:
    lstm = {"kind": "LSTMCell", "params": {"units": 8}}
    gru_rnn = _stack(("GRUCell", 3), ("SimpleRNNCell", 4))
    return (
        Sample({"cell": lstm}, ((None, 10, 6),)),
        Sample({"cell": {"kind": "GRUCell", "params": {"units": 4, "reset_after": False}},
                "return_sequences": True, "return_state": True}, ((None, None, 3),)),
        Sample({"cell": {"kind": "SimpleRNNCell", "params": {"units": 5, "use_bias": False},
                         "name": "step"}, "return_state": True}, ((2, 7, 3),)),
        Sample({"cell": gru_rnn, "return_state": True, "return_sequences": True},
               ((None, 5, 2),)),
        Sample({"cell": {"kind": "StackedRNNCells", "name": "deep",
                         "params": {"cells": _stack(("LSTMCell", 3), ("LSTMCell", 4))}},
                "go_backwards": True}, ((None, 5, 2),)),
        Sample({"cell": {"kind": "LSTMCell", "params": {
            "units": 3, "dropout": 0.2, "recurrent_dropout": 0.1, "seed": 1,
            "unit_forget_bias": False}}, "stateful": True}, ((4, 6, 2),)),
        Sample({"cell": lstm}, ((None, 5, None),)),
        Sample({"cell": lstm}, ((None, 5),)),
        Sample({"cell": lstm, "initial_state": True, "return_state": True},
               ((None, 5, 3), (None, 8), (None, 8))),
        Sample({"cell": gru_rnn, "initial_state": True, "return_sequences": True},
               ((2, 5, 3), (2, 3), (2, 4))),
        Sample({"cell": gru_rnn, "initial_state": True}, ((2, 5, 3), (2, 4), (2, 3))),
        Sample({"cell": lstm, "initial_state": True}, ((None, 5, 3), (None, 8), (None, 8, 1))),
        Sample({"cell": _stack(("LSTMCell", 3), ("GRUCell", 4)), "return_state": True,
                "return_sequences": True}, ((None, 5, 2),)),
        Sample({"cell": _stack(("LSTMCell", 3), ("LSTMCell", 2)), "initial_state": True,
                "return_state": True}, ((None, 5, 2), (None, 3), (None, 3), (None, 2), (None, 2))),
    )


register(LayerSpec(
    kind="RNN",
    category="Recurrent",
    doc="Runs a recurrent cell, or a stack of cells, over (batch, timesteps, features)",
    params=(RNN_CELL, *sequence_flags(), initial_state_param()),
    shape=_shape,
    count=_count,
    outputs=_outputs,
    nested_outputs=nests_states,
    keyword_ports=KeywordPorts(PARAM, _port_names, _resize, group=_group),
    samples=_samples(),
))
