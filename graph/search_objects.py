"""Searching configured Keras objects: one argument of an object, or a choice of objects.
Pure.

A node parameter of type initializer, regularizer or constraint holds a name (`"l2"`)
or a configured object (`{"class_name": "L2", "config": {"l2": 0.0001}}`, see
`object_params`). A search entry with an `argument` varies one argument of it:

    {"node": "n3", "param": "kernel_regularizer", "argument": "l2",
     "type": "float", "low": 1e-6, "high": 0.01, "log": true}

Its target is (node, param, argument) and its key `dense.kernel_regularizer.l2`. A
trial puts the value into the object the parameter holds in that trial: the
document's, or the one a choice entry of the same parameter picked (choices may be
objects: `["L2(1e-4)", {"class_name": "L1L2", "config": {"l1": 1e-5}}, null]`). A name
stands for its class with Keras' defaults (`"l2"` is `L2(l2=0.01)`).

The search library records a choice of objects by the call that builds it:

>>> choice_label({"class_name": "L2", "config": {"l2": 0.0001}})
'L2(l2=0.0001)'
>>> object_of("regularizer", "l2")
{'class_name': 'L2', 'config': {}}
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from typing import Any

from .errors import ParamError
from .keras_objects import KERAS_MODULES, Arg, ObjectClass, find_class
from .object_params import ObjectValueError, coerce_object, is_object, object_text

OBJECT_TYPES = tuple(KERAS_MODULES)  # the ParamSpec types that hold configured objects
# The Arg types a range can set; every other argument is searched as a choice.
_RANGED = {"int": ("number", "positive", "nonneg", "seed"),
           "float": ("number", "positive", "nonneg")}
_TAKES = {"number": "a number", "positive": "a number > 0", "nonneg": "a number >= 0",
          "seed": "an integer >= 0 or None",
          "axes": "an axis or a list of axes", "bool": "True or False", "str": "a string"}


def object_of(ptype: str, value: Any) -> dict | None:
    """A copy of the configured object `value` is, or the object its name stands for
    (its class with Keras' defaults); None for None or a name of no class."""
    cls = class_of(ptype, value)
    if cls is None:
        return None
    config = dict(value.get("config") or {}) if is_object(value) else {}
    return {"class_name": cls.name, "config": config}


def class_of(ptype: str, value: Any) -> ObjectClass | None:
    """The class of the object `value` is, or of the one its name stands for."""
    name = value["class_name"] if is_object(value) else value
    return _named_class(ptype, name) if isinstance(name, str) else None


@functools.lru_cache(maxsize=512)
def _named_class(ptype: str, name: str) -> ObjectClass | None:
    return find_class(ptype, name)  # a scan of the table: asked once per name


def argument_value(ptype: str, value: Any, name: str) -> Any:
    """The value argument `name` of the object `value` has (Keras' default when unset)."""
    cls = class_of(ptype, value)
    arg = None if cls is None else cls.arg(name)
    if arg is None:
        return None
    return object_of(ptype, value)["config"].get(name, arg.default)


def choice_label(value: Any) -> Any:
    """What the search library records for a choice: an object's call text, else itself."""
    return object_text(value) if is_object(value) else value


def object_spec(doc, node_id: str, param: str):
    """The ParamSpec of a node's object parameter, or None."""
    node = doc.nodes.get(node_id)
    try:
        spec = node.spec.param(param) if node is not None else None
    except KeyError:
        return None
    return spec if spec is not None and spec.type in OBJECT_TYPES else None


def folded(doc, values: Mapping[tuple, Any]) -> dict[tuple, Any]:
    """`values` (target -> value) with every argument put into its parameter's object:
    (node, param) and ("training", path) targets only. An object parameter's value is
    in normal form; an argument the parameter's object lacks is left out (the search's
    checks name it)."""
    out = {t: _normal(doc, t, v) for t, v in values.items() if len(t) == 2}
    for target, value in values.items():
        if len(target) != 3:
            continue
        node_id, param, name = target
        spec = object_spec(doc, node_id, param)
        if spec is None:
            continue
        held = out.get((node_id, param), doc.nodes[node_id].params.get(param,
                                                                     spec.start_value()))
        obj, cls = object_of(spec.type, held), class_of(spec.type, held)
        if cls is not None and cls.arg(name) is not None:
            obj["config"][name] = copy.deepcopy(value)
            out[(node_id, param)] = obj
    return out


def _normal(doc, target: tuple, value: Any) -> Any:
    spec = None if target[0] == "training" else object_spec(doc, *target)
    if spec is None:
        return value
    try:
        return spec.coerce(value)
    except ParamError:
        return value  # the search's checks refuse it


# ---- the checks of an argument entry (graph.search_check calls them) -------------------
def argument_target_problem(doc, entries: list, index: int) -> str | None:
    """Why entry `index` cannot search its argument: a training setting, a parameter that
    holds no object, a class without the argument, a type that does not fit it."""
    entry = entries[index]
    if entry.training:
        return (f"'argument' ({entry.argument!r}) goes with a node's initializer, regularizer "
                "or constraint; a training setting has none")
    spec = object_spec(doc, entry.node, entry.param)
    if spec is None:
        kind = doc.nodes[entry.node].spec.param(entry.param).type
        return (f"{entry.param} is a parameter of type {kind}: only an initializer, "
                f"regularizer or constraint has arguments to search (received argument "
                f"{entry.argument!r})")
    for where, value in held_values(doc, entries, index):
        problem = _class_problem(spec.type, entry, where, value)
        if problem:
            return problem
    return None


def argument_limits_problem(doc, entries: list, index: int) -> str | None:
    """Why a value of entry `index` (an end of its range, or a choice) does not fit the
    argument of a class its parameter may hold."""
    entry = entries[index]
    spec = object_spec(doc, entry.node, entry.param)
    values = list(entry.choices) if entry.type == "choice" else [entry.low, entry.high]
    for _, held in held_values(doc, entries, index):
        cls = class_of(spec.type, held)
        for value in values:
            value = int(value) if entry.type == "int" else value
            try:
                coerce_object(spec.type, (), {"class_name": cls.name,
                                              "config": {entry.argument: value}})
            except ObjectValueError as exc:
                return f"{value!r} does not fit: expected {exc}"
    return None


def held_values(doc, entries: list, index: int) -> list[tuple[str, Any]]:
    """(how, value) of what the parameter of argument entry `index` may hold in a trial:
    each choice of an entry that chooses the parameter (those its `when` allows), else
    the document's value."""
    entry = entries[index]
    param_target = (entry.node, entry.param)
    chooser = next((e for e in entries if e.target == param_target and e.type == "choice"),
                   None)
    if chooser is None:
        node = doc.nodes[entry.node]
        value = node.params.get(entry.param, node.spec.param(entry.param).start_value())
        return [("holds", _normal(doc, param_target, value))]
    allowed = entry.when[1] if entry.when is not None and entry.when[0] == param_target \
        else None
    return [("may take the choice", _normal(doc, param_target, c)) for c in chooser.choices
            if allowed is None or c in allowed or choice_label(c) in allowed]


def _class_problem(ptype: str, entry, where: str, value: Any) -> str | None:
    cls = class_of(ptype, value)
    shown = repr(choice_label(value))
    if cls is None:
        fix = ("give this entry a 'when' on that choice that leaves it out" if "choice" in where
               else f"set it to one such as {_example(ptype)} first")
        return (f"{entry.param} {where} {shown}, not a {ptype} object whose "
                f"{entry.argument!r} could be searched; {fix}")
    arg = cls.arg(entry.argument)
    if arg is None:
        names = ", ".join(a.name for a in cls.args) or "none: it takes no argument"
        return (f"{entry.param} {where} {shown}, and {cls.name} has no argument "
                f"{entry.argument!r}. Expected one of: {names}")
    if entry.type != "choice" and arg.type not in _RANGED[entry.type]:
        return (f"{'an integer' if entry.type == 'int' else 'a float'} range cannot set "
                f"{cls.name}'s {arg.name}, which takes {_takes(arg)}: use a choice")
    return None


def _takes(arg: Arg) -> str:
    if arg.type == "choice":
        return "one of " + ", ".join(map(repr, arg.choices))
    return _TAKES[arg.type]


def _example(ptype: str) -> str:
    return {"initializer": "VarianceScaling(scale=2.0)", "regularizer": "L2(1e-4)",
            "constraint": "MaxNorm(3)"}[ptype]
