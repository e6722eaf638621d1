"""Undoable edits of the `search` section, and "apply best". Pure.

`mark(doc, target, entry)` and `unmark(doc, target)` return the `SetSearch`
command that adds (or replaces) or removes one searched parameter; the window's
property editor pushes them. `SetSearchRun` sets one run setting (trials, sampler...).
`apply_values(stack, doc, values)` writes a trial's values into the graph and the
training settings as one undoable step.

>>> from kerascanvas.graph.commands import UndoStack
>>> doc, stack = Document(), UndoStack()
>>> dense = doc.add_node("Dense", params={"units": 4})
>>> stack.push(mark(doc, (dense.id, "units"), suggest_range(doc, (dense.id, "units"))))
>>> doc.search["params"][0]["low"], doc.search["params"][0]["high"]
(2, 8)
>>> apply_values(stack, doc, {"dense.units": 6}), doc.node(dense.id).params["units"]
([], 6)
>>> stack.undo(); doc.node(dense.id).params["units"]
4
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .commands import Command, SetParam, SetTraining, UndoStack
from .document import Document
from .object_params import is_object
from .search import SearchParam, current_value, search_params, set_training_value
from .search_objects import class_of, folded, object_spec
from .search_run import with_run_setting


class SetSearch(Command):
    """Replace the whole `search` section."""

    def __init__(self, doc: Document, search: dict, text: str = "Change search"):
        self.doc, self.search, self.text = doc, copy.deepcopy(search), text

    def do(self):
        self.old = copy.deepcopy(self.doc.search)
        self.doc.set_search(self.search)

    def undo(self):
        self.doc.set_search(self.old)


def entry_for(doc: Document, target: tuple[str, ...]) -> SearchParam | None:
    """The searched parameter with this target, or None."""
    return next((e for e in search_params(doc) if e.target == target), None)


def mark(doc: Document, target: tuple[str, ...], entry: Mapping[str, Any]) -> SetSearch:
    """The command that searches `target` with `entry` (its range), replacing any other
    range of the same target in place."""
    raw = {k: v for k, v in entry.items() if k not in ("node", "param", "argument", "training")}
    raw.update(_target_fields(target))
    section = copy.deepcopy(doc.search or {})
    params = section.setdefault("params", [])
    at = next((i for i, e in enumerate(search_params(doc)) if e.target == target), None)
    if at is None:
        params.append(raw)
    else:
        params[at] = raw
    return SetSearch(doc, section, f"Search {'.'.join(target[1:])}")


def _target_fields(target: tuple[str, ...]) -> dict[str, str]:
    if target[0] == "training":
        return {"training": target[1]}
    return dict(zip(("node", "param", "argument"), target, strict=False))


def unmark(doc: Document, target: tuple[str, ...]) -> SetSearch:
    """The command that stops searching `target` (it keeps its current value)."""
    section = copy.deepcopy(doc.search or {})
    section["params"] = [raw for raw, e in zip(section.get("params", []), search_params(doc),
                                               strict=True) if e.target != target]
    return SetSearch(doc, section, f"Stop searching {'.'.join(target[1:])}")


def suggest_range(doc: Document, target: tuple[str, ...]) -> dict[str, Any]:
    """A first range around the current value, within the parameter's limits: half to
    twice an integer, a tenth to ten times a positive float (log scale), every choice."""
    if len(target) == 3:
        return _argument_range(doc, target)
    first, second = target
    value = current_value(doc, SearchParam("choice", node=first, param=second)
                          if first != "training" else SearchParam("choice", training=second))
    spec = None if first == "training" else doc.node(first).spec.param(second)
    if spec is not None and spec.allowed:  # a configured object the param holds comes first
        held = [value] if is_object(value) else []
        return {"type": "choice", "choices": held + [c for c in spec.allowed if c is not None]}
    if spec is not None and spec.type == "bool":
        return {"type": "choice", "choices": [False, True]}
    if isinstance(value, bool) or not isinstance(value, int | float | tuple | list):
        return {"type": "choice", "choices": [value]}
    if isinstance(value, tuple | list):
        value = value[0] if value else 1
    if spec is not None and spec.type in ("int", "ints", "int_or_list") or \
            (spec is None and isinstance(value, int)):
        return _clamped(spec, {"type": "int", "low": max(1, value // 2), "high": max(2, value * 2)})
    if 0 <= value < 1 and spec is not None and spec.max is not None and spec.max <= 1:
        return {"type": "float", "low": 0.0, "high": min(0.5, spec.max)}  # rates
    if value > 0:
        return _clamped(spec, _decades(value))
    return _clamped(spec, {"type": "float", "low": value - 1.0, "high": value + 1.0})


def _decades(value: float) -> dict[str, Any]:
    """A log range a decade either side of `value`, rounded as typed: 0.003 gives
    0.0003 .. 0.03, not 0.00030000000000000003 (what the division gives), which the
    table, the file and the checks' messages would show."""
    return {"type": "float", "low": float(f"{value / 10:.12g}"),
            "high": float(f"{value * 10:.12g}"), "log": True}


# A regularizer's factor spans decades; 1e-6 .. 1e-2 is where useful ones lie.
_FACTOR_RANGE = {"type": "float", "low": 1e-6, "high": 1e-2, "log": True}


def _argument_range(doc: Document, target: tuple[str, str, str]) -> dict[str, Any]:
    """A first range of an object's argument: a regularizer's factor 1e-6 .. 1e-2 (log),
    a positive number a tenth to ten times its value (log), an integer half to twice,
    every choice of a choice or a flag, else the value it has."""
    node_id, param, name = target
    spec = object_spec(doc, node_id, param)
    held = doc.node(node_id).params.get(param, spec.start_value()) if spec else None
    cls = class_of(spec.type, held) if spec else None
    arg = cls.arg(name) if cls else None
    value = current_value(doc, SearchParam("choice", node=node_id, param=param,
                                           argument=name))
    if arg is None:
        return {"type": "choice", "choices": [value]}
    if arg.type in ("choice", "bool"):
        return {"type": "choice", "choices": list(arg.choices) or [False, True]}
    if spec.type == "regularizer" and arg.type in ("number", "nonneg"):
        return dict(_FACTOR_RANGE)
    if arg.type in ("number", "positive", "nonneg") and isinstance(value, int) and value > 0 \
            and not isinstance(value, bool):
        return {"type": "int", "low": max(1, value // 2), "high": max(2, value * 2)}
    if arg.type in ("number", "positive", "nonneg") and isinstance(value, float) and value > 0:
        return _decades(value)
    return {"type": "choice", "choices": [value]}


def _clamped(spec, entry: dict[str, Any]) -> dict[str, Any]:
    if spec is None:
        return entry
    if spec.min is not None:
        floor = spec.min + (1 if spec.min_exclusive and entry["type"] == "int" else 0)
        entry["low"] = max(entry["low"], floor)
    if spec.max is not None:
        entry["high"] = min(entry["high"], spec.max)
    if entry["type"] == "int":
        entry["low"], entry["high"] = int(entry["low"]), int(entry["high"])
    return entry


def apply_values(stack: UndoStack, doc: Document, values: Mapping[str, Any],
                 text: str = "Apply search values") -> list[str]:
    """Write the values of a trial (search key -> recorded value) into the document as
    one undoable step; returns the keys of the section that the values did not cover."""
    missing, targets = [], {}
    for entry in search_params(doc):
        key = entry.key(doc)
        if key not in values:
            missing.append(key)
        elif entry.training or entry.node in doc.nodes:
            targets[entry.target] = entry.value_of(values[key])
    with stack.macro(text):
        training = copy.deepcopy(doc.training or {})
        for (first, second), value in folded(doc, targets).items():
            if first == "training":
                training = set_training_value(training, second, value)
            else:
                stack.push(SetParam(doc, first, second, value))
        if training != (doc.training or {}):
            stack.push(SetTraining(doc, training))
    return missing


class SetSearchRun(SetSearch):
    """Set one run setting (`graph.search_run`; None: back to its default). The next
    change of the same setting is taken in (`merge`): a spin box stepped from 20 to 25
    undoes as one step."""

    def __init__(self, doc: Document, key: str, value: Any):
        super().__init__(doc, with_run_setting(doc.search or {}, key, value),
                         f"Set search {key}")
        self.key = key

    def merge(self, later: Command) -> bool:
        if not (isinstance(later, SetSearchRun) and later.key == self.key):
            return False
        self.search = later.search
        return True
