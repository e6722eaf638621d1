"""Initializer, regularizer and constraint values: a name, or a configured object.

A value is either a name Keras' `get(name)` takes (`"l2"`, `"he_normal"`) or a class
with arguments, `{"class_name": "L2", "config": {"l2": 0.0001}}`. Users type the
object as a call, `L2(1e-4)`, `l2(l2=1e-4)` or `VarianceScaling(scale=2.0,
mode="fan_out")`: the text is parsed, never evaluated, and its arguments are checked
against the class's entry in `keras_objects`. The normal form keeps only the
arguments that differ from Keras' defaults, and is the name when none do and the class
has one (`L2()` is `"l2"`).

>>> coerce_object("regularizer", ("l2",), "L2(1e-4)")
{'class_name': 'L2', 'config': {'l2': 0.0001}}
>>> object_text({'class_name': 'VarianceScaling', 'config': {'mode': 'fan_out'}})
"VarianceScaling(mode='fan_out')"
>>> coerce_object("initializer", ("glorot_uniform",), "GlorotUniform(seed=None)")
'glorot_uniform'
"""

from __future__ import annotations

import ast
import math
from typing import Any

from . import pysource
from .keras_objects import KERAS_MODULES, Arg, ObjectClass, class_names, find_class, folded


class ObjectValueError(ValueError):
    """Why a value is no initializer/regularizer/constraint; the caller adds where."""


class UnknownClass(ObjectValueError):
    """The value names no class of the table; the message lists them."""


def is_object(value: Any) -> bool:
    """Whether `value` is a configured object (not a name)."""
    return (isinstance(value, dict) and "class_name" in value
            and isinstance(value.get("config", {}), dict))


def coerce_object(ptype: str, names: tuple, value: Any) -> Any:
    """`value` (a name, the dict form, or the typed call text) in normal form, or
    ObjectValueError saying what is wrong."""
    if isinstance(value, str):
        if value in names:
            return value
        cls, config = _parse(ptype, value)
    elif isinstance(value, dict):
        cls, config = _from_dict(ptype, value)
    else:
        raise ObjectValueError(f"a name or a {ptype} class with arguments")
    return _normal(cls, config, names)


def object_text(value: dict, module: str = "") -> str:
    """The call that builds a configured object: `L2(l2=0.0001)`, with `module`
    (e.g. `keras.regularizers.`) before the class name. Strings are written with repr."""
    args = ", ".join(f"{k}={_arg_text(v)}" for k, v in value.get("config", {}).items())
    return f"{module}{value['class_name']}({args})"


def keras_path(ptype: str) -> str:
    """`keras.regularizers.` for a regularizer, and so on."""
    return f"keras.{KERAS_MODULES[ptype]}."


def _arg_text(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_arg_text(v) for v in value) + "]"
    return repr(value)


def _normal(cls: ObjectClass, config: dict, names: tuple) -> Any:
    kept = {a.name: config[a.name] for a in cls.args
            if a.name in config and not _same(config[a.name], a.default)}
    if not kept:
        name = next((n for n in names if isinstance(n, str) and folded(n) == folded(cls.name)),
                    None)
        if name is not None:
            return name
    return {"class_name": cls.name, "config": kept}


def _same(a: Any, b: Any) -> bool:
    """Equal, and alike in kind (a seed of 0 is not False; 1 is the default 1.0)."""
    if _is_number(a) and _is_number(b):
        return a == b
    return type(a) is type(b) and a == b


def _from_dict(ptype: str, value: dict) -> tuple[ObjectClass, dict]:
    extra = set(value) - {"class_name", "config"}
    if extra:
        raise ObjectValueError(f"a dict with class_name and config only (not {sorted(extra)})")
    cls = _class(ptype, value.get("class_name"))
    config = value.get("config", {})
    if not isinstance(config, dict):
        raise ObjectValueError(f"config of {cls.name} to be a dict of its arguments")
    return cls, _checked(cls, dict(config))


def _class(ptype: str, name: Any) -> ObjectClass:
    cls = find_class(ptype, name) if isinstance(name, str) else None
    if cls is None:
        raise UnknownClass(", ".join(class_names(ptype)))
    return cls


def _parse(ptype: str, text: str) -> tuple[ObjectClass, dict]:
    try:
        tree = pysource.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        raise ObjectValueError(f"a name or a call such as {_example(ptype)}") from None
    call = tree if isinstance(tree, ast.Call) else ast.Call(tree, [], [])
    cls = _class(ptype, _dotted(ptype, call.func))
    config: dict[str, Any] = {}
    if len(call.args) > len(cls.args):
        raise ObjectValueError(f"at most {len(cls.args)} positional argument(s) for {cls.name}")
    for arg, node in zip(cls.args, call.args, strict=False):
        config[arg.name] = _literal(cls, arg.name, node)
    for keyword in call.keywords:
        if keyword.arg is None:
            raise ObjectValueError(f"named arguments for {cls.name}, not **")
        if keyword.arg in config:
            raise ObjectValueError(f"{keyword.arg} given once to {cls.name}")
        config[keyword.arg] = _literal(cls, keyword.arg, keyword.value)
    return cls, _checked(cls, config)


def _example(ptype: str) -> str:
    return {"initializer": "VarianceScaling(scale=2.0, mode='fan_out')",
            "regularizer": "L2(1e-4)", "constraint": "MaxNorm(3)"}[ptype]


def _dotted(ptype: str, node: ast.AST) -> str:
    """The class name of `keras.regularizers.L2`, `regularizers.L2` or `L2`."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        raise ObjectValueError(f"a name or a call such as {_example(ptype)}")
    parts.append(node.id)
    *prefix, name = reversed(parts)
    if prefix not in ([], [KERAS_MODULES[ptype]], ["keras", KERAS_MODULES[ptype]]):
        raise ObjectValueError(f"a class of keras.{KERAS_MODULES[ptype]}, "
                               f"not {'.'.join(prefix)}.{name}")
    return name


def _literal(cls: ObjectClass, name: str, node: ast.AST) -> Any:
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        try:
            value = pysource.arithmetic_node(node)  # 1/255, as a value is shown and often written
        except ValueError:
            raise ObjectValueError(f"a plain value for {cls.name}'s {name}") from None
    return _json(value)


def _checked(cls: ObjectClass, config: dict) -> dict:
    unknown = [k for k in config if cls.arg(k) is None]
    if unknown:
        known = ", ".join(a.name for a in cls.args) or "none"
        raise ObjectValueError(f"arguments of {cls.name} ({known}), not {unknown[0]!r}")
    for arg in cls.args:
        if arg.name in config:
            problem = _arg_problem(arg, config[arg.name])
            if problem:
                raise ObjectValueError(f"{cls.name}'s {arg.name} to be {problem}, "
                                       f"not {config[arg.name]!r}")
    return {a.name: _json(config[a.name]) for a in cls.args if a.name in config}


def _json(value: Any) -> Any:
    return [_json(v) for v in value] if isinstance(value, list | tuple) else value


def array_shape(value: Any) -> tuple[int, ...] | None:
    """The shape of a number (()) or a rectangular nested list of finite numbers, else
    None: `[[1, 2], [3, 4]]` is (2, 2)."""
    if _is_number(value):
        return ()
    if not isinstance(value, list | tuple) or not value:
        return None
    shapes = {array_shape(v) for v in value}
    if len(shapes) != 1 or None in shapes:
        return None
    return (len(value), *shapes.pop())


def broadcasts(value: Any, shape: tuple) -> bool:
    """Whether Constant(value) fills a weight of `shape` (value * ones(shape) has that
    shape): the value's dims, aligned on the right, each 1 or the weight's (None: any)."""
    own = array_shape(value)
    if own is None or len(own) > len(shape):
        return False
    return all(a == 1 or b is None or a == b for a, b in zip(own[::-1], shape[::-1], strict=False))


def _is_number(value: Any) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _arg_problem(arg: Arg, value: Any) -> str | None:
    """What `value` should have been for `arg`, or None when it fits."""
    if value is None and arg.allow_none:
        return None
    checks = {
        "number": (_is_number, "a finite number"),
        "array": (lambda v: array_shape(v) is not None,
                  "a finite number or a (nested) list of them, all rows of one length"),
        "positive": (lambda v: _is_number(v) and v > 0, "a number > 0"),
        "nonneg": (lambda v: _is_number(v) and v >= 0, "a number >= 0"),
        "seed": (lambda v: _is_int(v) and v >= 0, "an integer >= 0 or None"),
        "axes": (lambda v: _is_int(v) or (isinstance(v, list | tuple) and bool(v)
                                          and all(_is_int(x) for x in v)),
                 "an integer axis or a list of them"),
        "bool": (lambda v: isinstance(v, bool), "True or False"),
        "str": (lambda v: isinstance(v, str), "a string"),
        "choice": (lambda v: v in arg.choices, "one of " + ", ".join(map(repr, arg.choices))),
    }
    ok, expected = checks[arg.type]
    return None if ok(value) else expected
