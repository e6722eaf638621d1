"""Typed layer parameters: what a value may be, and its normal form.

A `ParamSpec` is named exactly as the Keras keyword argument and carries Keras'
own default. `coerce` turns a value read from a file or typed by a user into
its normal form (tuples for sequences) or raises `ParamError` with a message
that repeats what it received (each type's conversion is in `param_coercers`).

>>> p = ParamSpec("kernel_size", "ints", length=2, min=1, default=REQUIRED, initial=(3, 3))
>>> p.coerce(3)
(3, 3)
>>> p.coerce([5, 1])
(5, 1)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .errors import ParamError
from .object_params import (  # noqa: F401 - importable here as before
    ObjectValueError,
    UnknownClass,
    coerce_object,
)
from .param_coercers import COERCERS


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
        normal = COERCERS[self.type](self, value)
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


def to_json(value: Any) -> Any:
    """Normal form → JSON-friendly form (tuples become lists, recursively)."""
    if isinstance(value, tuple | list):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    return value
