"""An imported RNN's cell as the value of its `cell` param (see graph.layers.recurrent_cells).

A cell maps when its exact class is one of Keras' SimpleRNNCell, GRUCell, LSTMCell or
StackedRNNCells (of those) and its params rebuild its very config, checked as a layer's
are (`import_map`); a cell's name is kept where it is not the one our build gives it.
Any other cell (a custom class) leaves the RNN a generic KerasLayer node.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kerascanvas.graph.layers.recurrent_cells import CELL_SPECS, cell_spec
from kerascanvas.graph.layers.wrappers import inner_names
from kerascanvas.graph.names import default_name

from .keras_env import import_keras


def cell_value(ptype: str, owner, mapped: Callable) -> Any:
    """The `cell` param of an RNN (`ptype` "cell") or the `cells` param of a stack
    ("cells"), or None when a cell is of no kind of ours. `mapped(spec, layer, config)`
    gives a layer's non-default params (and refuses what they cannot rebuild)."""
    if ptype == "cells":
        cells = [_one(c, mapped) for c in owner.cells]
        if any(c is None for c in cells):
            return None
        defaults = inner_names([{"kind": c["kind"]} for c in cells])
        return [_unnamed(c, default) for c, default in zip(cells, defaults, strict=True)]
    cell = _one(owner.cell, mapped)
    return None if cell is None else _unnamed(cell, default_name(cell["kind"]))


def _one(cell, mapped: Callable) -> dict | None:
    kind = type(cell).__name__
    if kind not in CELL_SPECS or getattr(import_keras().layers, kind) is not type(cell):
        return None
    params = mapped(cell_spec(kind), cell, cell.get_config())
    return {"kind": kind, "params": params, "name": cell.name}


def _unnamed(cell: dict, default: str) -> dict:
    """`cell` without its name when that is the name the build gives it anyway."""
    return {k: v for k, v in cell.items() if k != "name" or v != default}
