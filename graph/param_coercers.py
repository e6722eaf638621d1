"""How each parameter type turns a value into its normal form.

`COERCERS` maps every type of `params.PARAM_TYPES` to a function
`(spec, value) -> normal form` that refuses a bad value through `spec._fail`,
whose message repeats what it received.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .object_params import ObjectValueError, UnknownClass, coerce_object

if TYPE_CHECKING:
    from .params import ParamSpec


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _bounded(p: ParamSpec, x: float) -> bool:
    if p.min is not None and (x < p.min or (p.min_exclusive and x == p.min)):
        return False
    return p.max is None or x <= p.max


def _range_text(p: ParamSpec, what: str) -> str:
    if p.min is not None and p.max is not None:
        low = "(" if p.min_exclusive else "["
        return f"{what} in {low}{p.min}, {p.max}]"
    if p.min is not None:
        return f"{what} {'>' if p.min_exclusive else '>='} {p.min}"
    if p.max is not None:
        return f"{what} <= {p.max}"
    return what


def _int(p: ParamSpec, value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not _is_int(value) or not _bounded(p, value):
        p._fail(_range_text(p, "an integer"), value)
    return value


def _float(p: ParamSpec, value: Any) -> float:
    ok = (_is_int(value) or isinstance(value, float)) and math.isfinite(value)
    if not ok or not _bounded(p, float(value)):
        p._fail(_range_text(p, "a finite number"), value)
    return float(value)


def _bool(p: ParamSpec, value: Any) -> bool:
    if not isinstance(value, bool):
        p._fail("true or false", value)
    return value


def _choice(p: ParamSpec, value: Any) -> Any:
    if isinstance(value, list):
        value = tuple(value)
    try:
        if value in p.allowed:
            return value
    except TypeError:
        pass
    p._fail("one of " + ", ".join(repr(c) for c in p.allowed), value)


def _named_object(p: ParamSpec, value: Any) -> Any:
    """A name from `p.allowed`, or a configured object (see `object_params`)."""
    try:
        return coerce_object(p.type, p.allowed, value)
    except UnknownClass as exc:
        names = ", ".join(repr(c) for c in p.allowed)
        p._fail(f"one of {names}, or a {p.type} class with arguments: {exc}", value)
    except ObjectValueError as exc:
        p._fail(str(exc), value)


def _str(p: ParamSpec, value: Any) -> str:
    if not isinstance(value, str):
        p._fail("a string", value)
    return value


def _int_seq(p: ParamSpec, value: Any, what: str) -> tuple:
    if not isinstance(value, Sequence) or isinstance(value, str):
        p._fail(what, value)
    if not all(_is_int(v) and _bounded(p, v) for v in value):
        p._fail(what, value)
    return tuple(value)


def _integers(count: int | None) -> str:
    """'one integer', '2 integers': how many a list takes, as a sentence says it."""
    return "one integer" if count == 1 else f"{count} integers"


def _ints(p: ParamSpec, value: Any) -> tuple:
    what = _range_text(p, f"an integer or a list of {_integers(p.length)}")
    if _is_int(value):
        value = (value,) * p.length
    seq = _int_seq(p, value, what)
    if p.length is not None and len(seq) != p.length:
        p._fail(what, value)
    return seq


def _int_list(p: ParamSpec, value: Any) -> tuple:
    what = _range_text(p, "a list of integers")
    if p.length is not None:
        what = _range_text(p, f"a list of {_integers(p.length)}")
    seq = _int_seq(p, value, what)
    if p.length is not None and len(seq) != p.length:
        p._fail(what, value)
    return seq


def _int_or_list(p: ParamSpec, value: Any) -> int | tuple:
    """An integer kept as written, or a list of integers (Keras takes either)."""
    what = _range_text(p, "an integer or a list of integers")
    if _is_int(value):
        if not _bounded(p, value):
            p._fail(what, value)
        return value
    return _int_seq(p, value, what)


def _number_seq(p: ParamSpec, value: Any, what: str) -> tuple:
    if not isinstance(value, Sequence) or isinstance(value, str):
        p._fail(what, value)
    numbers = []
    for v in value:
        if not (_is_int(v) or isinstance(v, float)) or not math.isfinite(v) or not _bounded(p, v):
            p._fail(what, value)
        numbers.append(v)
    if p.length is not None and len(numbers) != p.length:
        p._fail(what, value)
    return tuple(numbers)


def _floats(p: ParamSpec, value: Any) -> tuple:
    """A list of numbers (e.g. a value range), `length` of them when set."""
    count = f"{p.length} numbers" if p.length is not None else "numbers"
    return _number_seq(p, value, _range_text(p, f"a list of {count}"))


def _float_or_list(p: ParamSpec, value: Any) -> float | tuple:
    """A number kept as written, or a list of numbers (e.g. a factor or a (low, high) range)."""
    count = f"{p.length} numbers" if p.length is not None else "numbers"
    what = _range_text(p, f"a number or a list of {count}")
    if _is_int(value) or isinstance(value, float):
        if not math.isfinite(value) or not _bounded(p, value):
            p._fail(what, value)
        return value
    return _number_seq(p, value, what)


def _pairs(p: ParamSpec, value: Any) -> tuple:
    """Cropping/padding style: int, `length` ints, or `length` pairs of ints."""
    what = f"a non-negative integer, {p.length} of them, or {p.length} pairs"
    if _is_int(value):
        value = (value,) * p.length
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != p.length:
        p._fail(what, value)
    out = []
    for item in value:
        pair = (item, item) if _is_int(item) else item
        if isinstance(pair, str) or not isinstance(pair, Sequence) or len(pair) != 2:
            p._fail(what, value)
        if not all(_is_int(v) and v >= 0 for v in pair):
            p._fail(what, value)
        out.append(tuple(pair))
    return tuple(out)


def _shape(p: ParamSpec, value: Any) -> tuple:
    what = "a list of positive integers or null (unknown)"
    if _is_int(value) and value > 0:  # `100` typed for a vector means (100,)
        value = (value,)
    if not isinstance(value, Sequence) or isinstance(value, str):
        p._fail(what, value)
    if not all(v is None or (_is_int(v) and v > 0) for v in value):
        p._fail(what, value)
    return tuple(value)


def _axis(p: ParamSpec, value: Any) -> int | tuple:
    if _is_int(value):
        return value
    return _int_seq(p, value, "an integer axis or a list of axes")


def _json(p: ParamSpec, value: Any) -> Any:
    """Any JSON value (dicts, lists, str, numbers, bool, None); lists stay lists."""
    import json

    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError):
        p._fail("a JSON value", value)


def _layer(p: ParamSpec, value: Any) -> dict:
    """A wrapper's inner layer: `{"kind": ..., "params": {...}}` (and an optional "name"),
    its kind one of `p.choices`, its params valid for that kind's own spec."""
    from .layers.wrappers import coerce_inner  # the table is filled after this module

    return coerce_inner(p, value)


def _layers(p: ParamSpec, value: Any) -> list:
    """A list of inner layers (Pipeline's), each as for `layer`."""
    from .layers.wrappers import coerce_inner_list

    return coerce_inner_list(p, value)


def _cell(p: ParamSpec, value: Any) -> dict:
    """An RNN's cell, `{"kind": "LSTMCell", "params": {...}}`, or a stack of cells."""
    from .layers.recurrent_cells import coerce_cell

    return coerce_cell(p, value)


def _cells(p: ParamSpec, value: Any) -> list:
    """The cells of a stack, each as for `cell` (no stack within a stack)."""
    from .layers.recurrent_cells import coerce_cells

    return coerce_cells(p, value)


COERCERS: dict[str, Callable[[ParamSpec, Any], Any]] = {
    "int": _int,
    "float": _float,
    "bool": _bool,
    "choice": _choice,
    "activation": _choice,
    "initializer": _named_object,
    "regularizer": _named_object,
    "constraint": _named_object,
    "str": _str,
    "ints": _ints,
    "int_list": _int_list,
    "int_or_list": _int_or_list,
    "float_or_list": _float_or_list,
    "floats": _floats,
    "pairs": _pairs,
    "shape": _shape,
    "axis": _axis,
    "json": _json,
    "layer": _layer,
    "layers": _layers,
    "cell": _cell,
    "cells": _cells,
}
