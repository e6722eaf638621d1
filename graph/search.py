"""The project file's `search` section: which knobs a design-space search may turn. Pure.

Codegen and `run` ignore this section and use each node's current value; only a
search reads it. Contract:

    {"metric": "val_accuracy",          # optional: the objective, as Keras logs it
     "direction": "maximize",           # optional: inferred from the metric's name
     "params": [
        {"node": "n3", "param": "filters", "type": "int", "low": 8, "high": 64, "step": 8},
        {"node": "n7", "param": "rate", "type": "float", "low": 0.0, "high": 0.5},
        {"training": "optimizer.learning_rate", "type": "float",
         "low": 1e-4, "high": 0.1, "log": true},
        {"node": "n3", "param": "activation", "type": "choice", "choices": ["relu", "gelu"]},
        {"node": "n4", "param": "filters", "type": "int", "low": 8, "high": 32,
         "when": {"node": "n3", "param": "activation", "in": ["relu"]}}]}

A parameter is a node's parameter (its stable id and the Keras keyword) or a
training setting (a dotted path in the `training` section). `when` makes a
parameter conditional: it is searched only when an earlier parameter took one
of the listed values; otherwise the node keeps its current value.

Each searched parameter has a `key`, the name the search library records it
under: `conv1.filters` for a node (its name), `training.optimizer.learning_rate`
for a setting. `check_search(doc)` never raises: its issues name the entry, the
node and the parameter (see `graph.search_check`).

>>> entry = SearchParam.from_json({"training": "batch_size", "type": "choice",
...                                "choices": [16, 32]})
>>> entry.values_to_check()
[16, 32]
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .document import Document

TYPES = ("int", "float", "choice")
DIRECTIONS = ("minimize", "maximize")
DEFAULT_METRIC = "val_loss"
# Logged names that grow as the model gets better; every other metric is minimized.
_HIGHER_IS_BETTER = ("accuracy", "auc", "precision", "recall", "f1", "r2", "iou")

_NUMBER = {"type": "number"}
_TARGET = {"node": {"type": "string", "minLength": 1},
           "param": {"type": "string", "minLength": 1},
           "training": {"type": "string", "minLength": 1}}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "metric": {"type": "string", "minLength": 1},
        "direction": {"enum": list(DIRECTIONS)},
        "params": {"type": "array", "items": {
            "type": "object",
            "required": ["type"],
            "properties": {
                **_TARGET,
                "type": {"enum": list(TYPES)},
                "low": _NUMBER, "high": _NUMBER, "step": _NUMBER, "log": {"type": "boolean"},
                "choices": {"type": "array", "minItems": 1},
                "when": {"type": "object", "required": ["in"],
                         "properties": {**_TARGET, "in": {"type": "array", "minItems": 1}}},
            },
            "oneOf": [{"required": ["node", "param"], "not": {"required": ["training"]}},
                      {"required": ["training"], "not": {"required": ["node"]}}],
        }},
    },
}


@dataclass(frozen=True)
class SearchParam:
    """One searched parameter of the `search` section.

    Attributes:
        type: "int", "float" or "choice".
        node, param: the node id and the Keras keyword (node parameters).
        training: a dotted path in the training section (training settings).
        low, high: the inclusive range of "int" and "float".
        step: the grid step (None: any value); log: sample on a log scale.
        choices: the values of "choice".
        when: ((node, param) or ("training", path), allowed values) or None.
    """

    type: str
    node: str | None = None
    param: str | None = None
    training: str | None = None
    low: float | None = None
    high: float | None = None
    step: float | None = None
    log: bool = False
    choices: tuple = ()
    when: tuple | None = None

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> SearchParam:
        when = raw.get("when")
        if when is not None:
            when = (_target_of(when), tuple(when["in"]))
        return cls(raw["type"], raw.get("node"), raw.get("param"), raw.get("training"),
                   raw.get("low"), raw.get("high"), raw.get("step"), bool(raw.get("log")),
                   tuple(raw.get("choices") or ()), when)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        out.update({"training": self.training} if self.training else
                   {"node": self.node, "param": self.param})
        if self.type == "choice":
            out["choices"] = list(self.choices)
        else:
            out.update(low=self.low, high=self.high)
            if self.step is not None:
                out["step"] = self.step
            if self.log:
                out["log"] = True
        if self.when is not None:
            (first, second), values = self.when
            out["when"] = {**({"training": second} if first == "training" else
                              {"node": first, "param": second}), "in": list(values)}
        return out

    @property
    def target(self) -> tuple[str, str]:
        """(node id, param) or ("training", dotted path)."""
        return ("training", self.training) if self.training else (self.node, self.param)

    def key(self, doc: Document) -> str:
        """The name the search records: `conv1.filters` or `training.optimizer.learning_rate`."""
        return key_of(doc, self.target)

    def values_to_check(self) -> list[Any]:
        """The values validation tries: every choice; a range's ends and middle (or its
        whole grid when that is short)."""
        if self.type == "choice":
            return list(self.choices)
        low, high = self.low, self.high
        if self.type == "int":
            step = int(self.step or 1)
            grid = list(range(int(low), int(high) + 1, max(step, 1)))
            if len(grid) <= 17:
                return grid
            return [grid[0], grid[len(grid) // 2], grid[-1]]
        middle = math.sqrt(low * high) if self.log and low > 0 else (low + high) / 2
        return list(dict.fromkeys([low, middle, high]))


def _target_of(raw: Mapping[str, Any]) -> tuple[str, str]:
    return ("training", raw["training"]) if "training" in raw else (raw["node"], raw["param"])


def key_of(doc: Document, target: tuple[str, str]) -> str:
    first, second = target
    if first == "training":
        return f"training.{second}"
    node = doc.nodes.get(first)
    return f"{node.name if node is not None else first}.{second}"


def search_params(doc: Document) -> list[SearchParam]:
    """The searched parameters of `doc`, in file order."""
    return [SearchParam.from_json(raw) for raw in (doc.search or {}).get("params", [])]


def objective(doc: Document) -> tuple[str, str]:
    """(metric, direction): the section's, with the direction inferred when left out.

    >>> doc = Document(); doc.search = {"metric": "val_accuracy"}
    >>> objective(doc)
    ('val_accuracy', 'maximize')
    """
    section = doc.search or {}
    metric = section.get("metric") or DEFAULT_METRIC
    return metric, section.get("direction") or default_direction(metric)


def default_direction(metric: str) -> str:
    name = metric.removeprefix("val_")
    return "maximize" if any(word in name for word in _HIGHER_IS_BETTER) else "minimize"


# ---- reading and writing the values ---------------------------------------------------
def training_value(training: Mapping[str, Any], path: str, default: Any = None) -> Any:
    """The value at dotted `path` of a training section (`optimizer` may be a bare name)."""
    value: Any = training
    for part in path.split("."):
        if isinstance(value, str) and part != "name":
            return default  # `"optimizer": "adam"` has no further options written
        if isinstance(value, str):
            return value
        if not isinstance(value, Mapping) or part not in value:
            return default
        value = value[part]
    return value


def set_training_value(training: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `training` with `value` at dotted `path` (a bare optimizer name becomes
    `{"name": ...}` first)."""
    out = copy.deepcopy(training)
    parts = path.split(".")
    holder = out
    for part in parts[:-1]:
        inner = holder.get(part)
        if isinstance(inner, str):
            inner = {"name": inner}
        holder[part] = inner = dict(inner) if isinstance(inner, Mapping) else {}
        holder = inner
    holder[parts[-1]] = value
    return out


def current_value(doc: Document, entry: SearchParam) -> Any:
    """The value the document holds now (a node's default when it sets none)."""
    first, second = entry.target
    if first == "training":
        return training_value(doc.training or {}, second)
    node = doc.nodes.get(first)
    if node is None:
        return None
    if second in node.params:
        return node.params[second]
    try:
        return node.spec.param(second).start_value()
    except KeyError:
        return None


def with_values(doc: Document, values: Mapping[tuple[str, str], Any]) -> Document:
    """A copy of `doc` with each target set to its value (the section itself is kept)."""
    from .projectfile import from_dict, to_dict  # the file format reads this module's schema

    copied = from_dict(copy.deepcopy(to_dict(doc)))
    for (first, second), value in values.items():
        if first == "training":
            copied.training = set_training_value(copied.training or {}, second, value)
        elif first in copied.nodes:
            copied.nodes[first].params[second] = copy.deepcopy(value)
    return copied
