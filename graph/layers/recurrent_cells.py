"""Recurrent cells: the step an `RNN` layer runs over a sequence, held in its `cell` param.

A cell is a nested dict, as a wrapper's inner layer is: `{"kind": "LSTMCell", "params":
{"units": 32}}` (plus an optional "name"). The kinds are Keras' SimpleRNNCell, GRUCell
and LSTMCell, and StackedRNNCells, whose `cells` param lists cells of those kinds run one
above the other (each takes the previous one's output). The cells are no nodes of the
canvas: their specs live in `CELL_SPECS`, apart from the layer table, and share the
params of the matching recurrent layer (LSTMCell those of LSTM, less the sequence flags,
which belong to the RNN, and activity_regularizer, which a cell does not take).

A cell on (batch, features) outputs (batch, units) and keeps its states, each (batch,
units): LSTMCell two (h and c), the others one. A stack outputs its last cell's output
and keeps every cell's states, in order.

>>> cell = coerce_cell(RNN_CELL, [{"kind": "GRUCell", "params": {"units": 3}},
...                               {"kind": "SimpleRNNCell", "params": {"units": 4}}])
>>> cell["kind"], output_units(cell), state_units(cell), cell_count(cell, 2)
('StackedRNNCells', 4, [3, 4], (95, 0))
>>> stack = CELL_SPECS[STACK]
>>> stack.output_shapes(cell["params"], [(None, 2)]), stack.count(cell["params"], [(None, 2)])
([(None, 4)], (95, 0))
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ParamError
from ..params import REQUIRED, ParamSpec
from ..spec import LayerSpec, get_spec
from .recurrent_state import STATES

CELL_KINDS = ("SimpleRNNCell", "GRUCell", "LSTMCell")
STACK = "StackedRNNCells"
# The recurrent layer each cell is the step of: its params and count rule are the cell's.
_LAYER_OF = {"SimpleRNNCell": "SimpleRNN", "GRUCell": "GRU", "LSTMCell": "LSTM"}
# Params of the recurrent layers that are no keyword of their cell.
_LAYER_ONLY = {"return_sequences", "return_state", "go_backwards", "stateful", "unroll",
               "zero_output_for_mask", "activity_regularizer", "initial_state", "trainable"}
_DOCS = {
    "SimpleRNNCell": "Fully connected recurrent step: one state",
    "GRUCell": "Gated recurrent unit step: one state",
    "LSTMCell": "Long short-term memory step: two states, h and c",
    STACK: "Cells run one above the other at each step, each on the previous one's output",
}


def _cell_shape(params, inputs):
    return (inputs[0][0], params["units"])


def _cell_spec(kind: str) -> LayerSpec:
    layer = get_spec(_LAYER_OF[kind])
    return LayerSpec(kind=kind, category="Recurrent", doc=_DOCS[kind],
                     params=tuple(p for p in layer.params if p.name not in _LAYER_ONLY),
                     shape=_cell_shape, count=layer.count)


CELLS_PARAM = ParamSpec("cells", "cells", default=REQUIRED, choices=CELL_KINDS,
                        initial=[{"kind": "LSTMCell", "params": {"units": 32}}] * 2,
                        doc="The cells, lowest first; each takes the previous one's output")
CELL_SPECS: dict[str, LayerSpec] = {
    **{kind: _cell_spec(kind) for kind in CELL_KINDS},
    STACK: LayerSpec(
        kind=STACK, category="Recurrent", doc=_DOCS[STACK], params=(CELLS_PARAM,),
        shape=lambda params, inputs: (inputs[0][0], output_units(_stack(params))),
        count=lambda params, inputs: cell_count(_stack(params), inputs[0][-1])),
}
# The `cell` param of RNN; its choices are the kinds a cell may be.
RNN_CELL = ParamSpec("cell", "cell", default=REQUIRED, choices=(*CELL_KINDS, STACK),
                     initial={"kind": "LSTMCell", "params": {"units": 32}},
                     doc="The step run over the sequence: a cell, or a stack of cells")


def _stack(params: Mapping[str, Any]) -> dict:
    return {"kind": STACK, "params": dict(params)}


def cell_spec(kind: str) -> LayerSpec:
    """The spec of a cell kind; KeyError names the known ones."""
    try:
        return CELL_SPECS[kind]
    except KeyError:
        raise KeyError(f"Unknown cell kind {kind!r}; expected one of "
                       f"{', '.join(CELL_SPECS)}") from None


def coerce_cell(p: ParamSpec, value: Any) -> dict:
    """A cell in normal form (only non-default params kept), or ParamError. A list of
    cells is a stack of them, as Keras' RNN reads a list."""
    from .wrappers import coerce_inner  # imported after the recurrent kinds register

    if isinstance(value, list | tuple):
        value = {"kind": STACK, "params": {"cells": list(value)}}
    return coerce_inner(p, value, find=cell_spec)


def coerce_cells(p: ParamSpec, value: Any) -> list[dict]:
    """The cells of a stack: a non-empty list of cells, none of them a stack."""
    from .wrappers import coerce_inner_list

    return coerce_inner_list(p, value, find=cell_spec)


def cell_list(cell: Mapping[str, Any]) -> list[dict]:
    """The single cells of a cell value (normal form), lowest first."""
    return list(cell["params"]["cells"]) if cell["kind"] == STACK else [dict(cell)]


def _units(cell: Mapping[str, Any]) -> int:
    return cell_spec(cell["kind"]).resolve(cell.get("params", {}))["units"]


def output_units(cell: Mapping[str, Any]) -> int:
    """The size of the output: the (last) cell's units."""
    return _units(cell_list(cell)[-1])


def state_units(cell: Mapping[str, Any]) -> list[int]:
    """The size of each state the cell keeps, in Keras' order."""
    return [_units(c) for c in cell_list(cell) for _ in STATES[_LAYER_OF[c["kind"]]]]


def state_names(cell: Mapping[str, Any]) -> tuple[str, ...]:
    """Port labels of the states: `h`, `c` (LSTMCell), `state`; a stack's are numbered by
    cell (`state 0`, `state 1`)."""
    cells = cell_list(cell)
    names = [STATES[_LAYER_OF[c["kind"]]] for c in cells]
    if len(cells) == 1:
        return names[0]
    return tuple(f"{s} {i}" for i, states in enumerate(names) for s in states)


def grouped_states(cell: Mapping[str, Any], items: list) -> list:
    """The states `items` (flat, in Keras' order) as the cell's call reads them: a flat
    list for one cell; for a stack one entry per cell, a list for a cell of several
    states (an LSTMCell's `[h, c]`), the bare item for a cell of one.

    >>> stack = {"kind": STACK, "params": {"cells": [
    ...     {"kind": "LSTMCell", "params": {"units": 2}},
    ...     {"kind": "GRUCell", "params": {"units": 3}}]}}
    >>> grouped_states(stack, ["h0", "c0", "s1"])
    [['h0', 'c0'], 's1']
    """
    if cell["kind"] != STACK:
        return list(items)
    groups, start = [], 0
    for one in cell_list(cell):
        count = len(STATES[_LAYER_OF[one["kind"]]])
        part = list(items[start:start + count])
        groups.append(part if count > 1 else part[0])
        start += count
    return groups


def cell_count(cell: Mapping[str, Any], features: int) -> tuple[int, int]:
    """(trainable, non-trainable) weights of the cell on inputs of `features`."""
    trainable = 0
    for one in cell_list(cell):
        spec = cell_spec(one["kind"])
        params = spec.resolve(one.get("params", {}))
        trainable += spec.count(params, [(None, features)])[0]
        features = params["units"]
    return (trainable, 0)


def resized(cell: Mapping[str, Any], state: int, size: int) -> dict:
    """`cell` with the units of the cell that keeps state number `state` set to `size`."""
    cells = cell_list(cell)
    owners = [i for i, c in enumerate(cells) for _ in STATES[_LAYER_OF[c["kind"]]]]
    if not 0 <= state < len(owners):
        raise ParamError(f"The cell keeps {len(owners)} state(s). Received: state={state}")
    target = cells[owners[state]]
    cells[owners[state]] = {**target, "params": {**target.get("params", {}), "units": size}}
    if cell["kind"] != STACK:
        return cells[0]
    return {**cell, "params": {**cell["params"], "cells": cells}}
