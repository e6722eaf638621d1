"""Typed layer parameters: what a value may be, and its normal form.

A `ParamSpec` is named exactly as the Keras keyword argument and carries Keras'
own default. `coerce` turns a value read from a file or typed by a user into
its normal form (tuples for sequences) or raises `ParamError` with a message
that repeats what it received.

>>> p = ParamSpec("kernel_size", "ints", length=2, min=1, default=REQUIRED, initial=(3, 3))
>>> p.coerce(3)
(3, 3)
>>> p.coerce([5, 1])
(5, 1)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .errors import ParamError
from .object_params import ObjectValueError, UnknownClass, coerce_object


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()

ACTIVATIONS = (
    None, "linear", "relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "silu", "swish",
    "mish", "sigmoid", "hard_sigmoid", "hard_silu", "softmax", "log_softmax", "softplus",
    "softsign", "tanh", "exponential",
)
INITIALIZERS = (
    "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform",
    "lecun_normal", "orthogonal", "zeros", "ones", "random_uniform", "random_normal",
    "truncated_normal",
)
# The names keras.regularizers.get() accepts as strings; "l1_l2" is not one of them.
REGULARIZERS = (None, "l1", "l2", "orthogonal_regularizer")
CONSTRAINTS = (None, "max_norm", "min_max_norm", "non_neg", "unit_norm")
DTYPES = ("float32", "float16", "bfloat16", "float64", "int32", "int64", "uint8", "bool")
DATA_FORMATS = ("channels_last", "channels_first")

PARAM_TYPES = (
    "int", "float", "bool", "choice", "ints", "int_list", "int_or_list", "float_or_list",
    "floats", "pairs", "shape", "activation", "initializer", "regularizer", "constraint", "str",
    "axis", "json", "layer", "layers", "cell", "cells",
)
_NAMED_CHOICES = {
    "activation": ACTIVATIONS,
    "initializer": INITIALIZERS,
    "regularizer": REGULARIZERS,
    "constraint": CONSTRAINTS,
}


@dataclass(frozen=True)
class ParamSpec:
    """One constructor argument of a layer kind.

    Attributes:
        name: the Keras keyword argument.
        type: one of `PARAM_TYPES`.
        default: Keras' default, or `REQUIRED` when Keras has none.
        initial: value given to a new node when the default is `REQUIRED`.
        choices: allowed values for `choice` (other named types have their own list);
            for `layer` and `layers`, the kinds the wrapper may hold; for `cell` and
            `cells`, the recurrent cell kinds an RNN may hold.
        min, max: inclusive numeric bounds (for tuples, per element).
        min_exclusive: when true, `min` itself is refused.
        length: element count for `ints` and `pairs`.
        allow_none: `None` is an accepted value.
        doc: one line for the properties panel.
    """

    name: str
    type: str
    default: Any = REQUIRED
    initial: Any = None
    choices: tuple = ()
    min: float | None = None
    max: float | None = None
    min_exclusive: bool = False
    length: int | None = None
    allow_none: bool = False
    doc: str = ""
    check: Callable[[Any], str | None] | None = field(default=None, compare=False)

    def __post_init__(self):
        if self.type not in PARAM_TYPES:
            raise ValueError(f"Unknown param type {self.type!r} for {self.name}")

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @property
    def allowed(self) -> tuple:
        """The closed list of values for choice-like types, else ()."""
        return _NAMED_CHOICES.get(self.type, self.choices)

    def start_value(self) -> Any:
        """The value a freshly placed node gets."""
        return self.initial if self.required else self.default

    def coerce(self, value: Any) -> Any:
        """Return `value` in normal form, or raise `ParamError` saying why not."""
        if value is None and (self.allow_none or None in self.allowed):
            return None
        normal = _COERCERS[self.type](self, value)
        if self.check is not None:
            problem = self.check(normal)
            if problem:
                self._fail(problem, value)
        return normal

    def normal_default(self) -> Any:
        """`coerce(default)`: converted once where the result cannot be changed in place
        (numbers, strings, tuples of them...), else converted afresh on each call, so
        that no caller shares a list or dict with the spec or with another caller."""
        kept = self._kept_default
        return self.coerce(self.default) if kept is _FRESH else kept

    @cached_property
    def _kept_default(self) -> Any:
        normal = self.coerce(self.default)
        return normal if _immutable(normal) else _FRESH

    def is_default(self, value: Any) -> bool:
        if self.required:
            return False
        try:
            return self.coerce(value) == self.normal_default()
        except ParamError:
            return False

    def _fail(self, expected: str, value: Any):
        raise ParamError(
            f"Received an invalid value for {self.name}, expected {expected}. "
            f"Received: {self.name}={value!r}",
            param=self.name,
        )


_FRESH: Any = object()  # a default whose normal form is mutable: not kept


def _immutable(value: Any) -> bool:
    """Whether `value` (a normal form) cannot be changed in place."""
    if value is None or isinstance(value, bool | int | float | str):
        return True
    return isinstance(value, tuple | frozenset) and all(_immutable(v) for v in value)


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


def _ints(p: ParamSpec, value: Any) -> tuple:
    what = _range_text(p, f"an integer or a list of {p.length} integers")
    if _is_int(value):
        value = (value,) * p.length
    seq = _int_seq(p, value, what)
    if p.length is not None and len(seq) != p.length:
        p._fail(what, value)
    return seq


def _int_list(p: ParamSpec, value: Any) -> tuple:
    what = _range_text(p, "a list of integers")
    if p.length is not None:
        what = _range_text(p, f"a list of {p.length} integers")
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


_COERCERS: dict[str, Callable[[ParamSpec, Any], Any]] = {
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


def to_json(value: Any) -> Any:
    """Normal form → JSON-friendly form (tuples become lists, recursively)."""
    if isinstance(value, tuple | list):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    return value
