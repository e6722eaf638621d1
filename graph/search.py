"""The project file's `search` section: which knobs a design-space search may turn. Pure.

Codegen and `run` ignore this section and use each node's current value; only a
search reads it. Contract:

    {"metric": "val_accuracy",          # optional: the objective, as Keras logs it
     "direction": "maximize",           # optional: inferred from the metric's name
     "run": {"trials": 30, "sampler": {"name": "tpe"}},  # optional: `graph.search_run`
     "params": [
        {"node": "n3", "param": "filters", "type": "int", "low": 8, "high": 64, "step": 8},
        {"node": "n7", "param": "rate", "type": "float", "low": 0.0, "high": 0.5},
        {"training": "optimizer.learning_rate", "type": "float",
         "low": 1e-4, "high": 0.1, "log": true},
        {"node": "n3", "param": "activation", "type": "choice", "choices": ["relu", "gelu"]},
        {"node": "n4", "param": "filters", "type": "int", "low": 8, "high": 32,
         "when": {"node": "n3", "param": "activation", "in": ["relu"]}},
        {"node": "n5", "param": "kernel_regularizer", "type": "choice",
         "choices": ["L2(1e-4)", {"class_name": "L1L2", "config": {"l1": 1e-5}}, null]},
        {"node": "n5", "param": "kernel_regularizer", "argument": "l2", "type": "float",
         "low": 1e-6, "high": 0.01, "log": true}]}

A parameter is a node's parameter (its stable id and the Keras keyword), an
argument of the initializer, regularizer or constraint object a node's parameter
holds (`argument`, see `graph.search_objects`), or a training setting (a dotted
path in the `training` section). `when` makes a parameter conditional: it is
searched only when an earlier parameter took one of the listed values; otherwise
the node keeps its current value.

Each searched parameter has a `key`, the name the search library records it
under: `conv1.filters` for a node (its name), `dense.kernel_regularizer.l2` for an
argument, `training.optimizer.learning_rate` for a setting. `check_search(doc)`
never raises: its issues name the entry, the node and the parameter (see
`graph.search_check`).

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
from .search_objects import OBJECT_TYPES, argument_value, choice_label, folded
from .search_run import SCHEMA as RUN_SCHEMA

TYPES = ("int", "float", "choice")
DIRECTIONS = ("minimize", "maximize")
DEFAULT_METRIC = "val_loss"
# Logged names that grow as the model gets better; every other metric is minimized.
_HIGHER_IS_BETTER = ("accuracy", "auc", "precision", "recall", "f1", "r2", "iou")

_NUMBER = {"type": "number"}
_NAME = {"type": "string", "minLength": 1}
_TARGET = {"node": _NAME, "param": _NAME, "argument": _NAME, "training": _NAME}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "metric": {"type": "string", "minLength": 1},
        "direction": {"enum": list(DIRECTIONS)},
        "run": RUN_SCHEMA,  # how a study runs: trials, jobs, sampler... (graph.search_run)
        "params": {"type": "array", "items": {
            "type": "object",
            "required": ["type"],
            "additionalProperties": False,  # a misspelt field is refused, not ignored
            "properties": {
                **_TARGET,
                "type": {"enum": list(TYPES)},
                "low": _NUMBER, "high": _NUMBER, "step": _NUMBER, "log": {"type": "boolean"},
                "choices": {"type": "array", "minItems": 1},
                "when": {"type": "object", "required": ["in"], "additionalProperties": False,
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
        argument: an argument of the object the node's parameter holds (`L2`'s `l2`).
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
    argument: str | None = None

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> SearchParam:
        when = raw.get("when")
        if when is not None:
            when = (_target_of(when), tuple(when["in"]))
        return cls(raw["type"], raw.get("node"), raw.get("param"), raw.get("training"),
                   raw.get("low"), raw.get("high"), raw.get("step"), bool(raw.get("log")),
                   tuple(raw.get("choices") or ()), when, raw.get("argument"))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, **_target_json(self.target)}
        if self.type == "choice":
            out["choices"] = list(self.choices)
        else:
            out.update(low=self.low, high=self.high)
            if self.step is not None:
                out["step"] = self.step
            if self.log:
                out["log"] = True
        if self.when is not None:
            target, values = self.when
            out["when"] = {**_target_json(target), "in": list(values)}
        return out

    @property
    def target(self) -> tuple[str, ...]:
        """(node id, param), (node id, param, argument) or ("training", dotted path)."""
        if self.training:
            return ("training", self.training)
        return (self.node, self.param) if self.argument is None else \
            (self.node, self.param, self.argument)

    @property
    def name(self) -> str:
        """`units`, `kernel_regularizer.l2` or `optimizer.learning_rate`."""
        return ".".join(self.target[1:])

    def value_of(self, recorded: Any) -> Any:
        """The value a trial puts in for `recorded`, the value the search library recorded
        (a choice of objects is recorded as the call that builds it)."""
        if self.type != "choice":
            return recorded
        return next((c for c in self.choices if c == recorded or choice_label(c) == recorded),
                    recorded)

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
            step = max(int(self.step or 1), 1)
            count = max(0, (int(high) - int(low)) // step + 1)  # never listed: may be huge
            if count <= 17:
                return list(range(int(low), int(high) + 1, step))
            return [int(low) + i * step for i in (0, count // 2, count - 1)]
        middle = math.sqrt(low * high) if self.log and low > 0 else (low + high) / 2
        return list(dict.fromkeys([low, middle, high]))


def _target_of(raw: Mapping[str, Any]) -> tuple[str, ...]:
    if "training" in raw:
        return ("training", raw["training"])
    return (raw["node"], raw["param"], *([raw["argument"]] if "argument" in raw else []))


def _target_json(target: tuple[str, ...]) -> dict[str, str]:
    if target[0] == "training":
        return {"training": target[1]}
    return dict(zip(("node", "param", "argument"), target, strict=False))


def key_of(doc: Document, target: tuple[str, ...]) -> str:
    first, *rest = target
    if first == "training":
        return f"training.{rest[0]}"
    node = doc.nodes.get(first)
    return ".".join((node.name if node is not None else first, *rest))


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
    """The value the document holds now (a node's default when it sets none; an
    argument's Keras default when its object sets none)."""
    if entry.training:
        return training_value(doc.training or {}, entry.training)
    node = doc.nodes.get(entry.node)
    try:
        spec = node.spec.param(entry.param) if node is not None else None
    except KeyError:
        return None
    if spec is None:
        return None
    value = node.params.get(entry.param, spec.start_value())
    if entry.argument is None:
        return value
    return argument_value(spec.type, value, entry.argument) if spec.type in OBJECT_TYPES \
        else None


def with_values(doc: Document, values: Mapping[tuple, Any]) -> Document:
    """A copy of `doc` with each target set to its value (the section itself is kept);
    an argument goes into the object its parameter holds with these values."""
    from .projectfile import from_dict, to_dict  # the file format reads this module's schema

    copied = from_dict(copy.deepcopy(to_dict(doc)))
    for (first, second), value in folded(doc, values).items():
        if first == "training":
            copied.training = set_training_value(copied.training or {}, second, value)
        elif first in copied.nodes:
            copied.nodes[first].params[second] = copy.deepcopy(value)
    return copied
