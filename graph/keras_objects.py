"""The Keras initializer, regularizer and constraint classes a param may hold, configured.

One entry per class: its Keras name, its constructor arguments in signature order,
each with its type and Keras' own default. `graph/` never imports keras; a test checks
this table against the classes themselves (their signatures and `get_config()`).

Argument types:
    number: a finite int or float, kept as written (Keras keeps `MaxNorm(3)` an int).
    array: a number, or a (nested, rectangular) list of them: Constant's value, which
        Keras multiplies by ones of the weight's shape (so it broadcasts to it).
    positive: a number > 0.
    nonneg: a number >= 0 (Keras refuses a negative regularization factor).
    seed: an integer >= 0, or None.
    axes: an integer axis, a list of them, or None (when `allow_none`).
    bool, str: as named; choice: one of `choices`.

>>> find_class("regularizer", "l1_l2").name
'L1L2'
>>> [a.name for a in find_class("initializer", "VarianceScaling").args][:3]
['scale', 'mode', 'distribution']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# ParamSpec type -> the keras module that holds its classes.
KERAS_MODULES = {"initializer": "initializers", "regularizer": "regularizers",
                 "constraint": "constraints"}


@dataclass(frozen=True)
class Arg:
    """One constructor argument of an object class."""

    name: str
    type: str
    default: Any = None
    choices: tuple = ()
    allow_none: bool = False


@dataclass(frozen=True)
class ObjectClass:
    """A Keras class a param can hold, e.g. `keras.regularizers.L2`."""

    name: str
    args: tuple[Arg, ...] = ()

    def arg(self, name: str) -> Arg | None:
        return next((a for a in self.args if a.name == name), None)


def _seed() -> Arg:
    return Arg("seed", "seed", None, allow_none=True)


def _fan_axes() -> tuple[Arg, Arg]:
    return (Arg("input_axes", "axes", None, allow_none=True),
            Arg("output_axes", "axes", None, allow_none=True))


def _fan_based(name: str) -> ObjectClass:
    return ObjectClass(name, (_seed(), *_fan_axes()))


def _random(name: str, low: str, high: str, low_default: float,
            high_default: float) -> ObjectClass:
    return ObjectClass(name, (Arg(low, "number", low_default),
                              Arg(high, "number", high_default), _seed()))


_INITIALIZERS = (
    ObjectClass("Constant", (Arg("value", "array", 0.0),)),
    ObjectClass("Zeros"),
    ObjectClass("Ones"),
    _random("RandomNormal", "mean", "stddev", 0.0, 0.05),
    _random("RandomUniform", "minval", "maxval", -0.05, 0.05),
    _random("TruncatedNormal", "mean", "stddev", 0.0, 0.05),
    ObjectClass("VarianceScaling", (
        Arg("scale", "positive", 1.0),
        Arg("mode", "choice", "fan_in", choices=("fan_in", "fan_out", "fan_avg")),
        Arg("distribution", "choice", "truncated_normal",
            choices=("truncated_normal", "untruncated_normal", "uniform")),
        _seed(), *_fan_axes())),
    _fan_based("GlorotUniform"),
    _fan_based("GlorotNormal"),
    _fan_based("HeUniform"),
    _fan_based("HeNormal"),
    _fan_based("LecunUniform"),
    _fan_based("LecunNormal"),
    ObjectClass("Orthogonal", (Arg("gain", "number", 1.0), _seed())),
    ObjectClass("Identity", (Arg("gain", "number", 1.0),)),
    ObjectClass("STFT", (
        Arg("side", "choice", "real", choices=("real", "imag")),
        Arg("window", "str", "hann", allow_none=True),
        Arg("scaling", "choice", "density", choices=("density", "spectrum"), allow_none=True),
        Arg("periodic", "bool", False))),
)
_REGULARIZERS = (
    ObjectClass("L1", (Arg("l1", "nonneg", 0.01),)),
    ObjectClass("L2", (Arg("l2", "nonneg", 0.01),)),
    ObjectClass("L1L2", (Arg("l1", "nonneg", 0.0), Arg("l2", "nonneg", 0.0))),
    ObjectClass("OrthogonalRegularizer", (
        Arg("factor", "nonneg", 0.01),
        Arg("mode", "choice", "rows", choices=("rows", "columns")))),
)
_CONSTRAINTS = (
    ObjectClass("MaxNorm", (Arg("max_value", "number", 2), Arg("axis", "axes", 0))),
    ObjectClass("MinMaxNorm", (Arg("min_value", "number", 0.0), Arg("max_value", "number", 1.0),
                               Arg("rate", "number", 1.0), Arg("axis", "axes", 0))),
    ObjectClass("NonNeg"),
    ObjectClass("UnitNorm", (Arg("axis", "axes", 0),)),
)

OBJECT_CLASSES: dict[str, dict[str, ObjectClass]] = {
    "initializer": {c.name: c for c in _INITIALIZERS},
    "regularizer": {c.name: c for c in _REGULARIZERS},
    "constraint": {c.name: c for c in _CONSTRAINTS},
}


def folded(name: str) -> str:
    """A class or function name folded for lookup: `max_norm`, `MaxNorm`, `maxnorm` agree."""
    return name.replace("_", "").lower()


def find_class(ptype: str, name: str) -> ObjectClass | None:
    """The class of `ptype` that `name` names (its class name, or the snake_case name
    Keras also exports, such as `l1_l2` or `variance_scaling`), else None."""
    key = folded(name)
    return next((c for c in OBJECT_CLASSES[ptype].values() if folded(c.name) == key), None)


def class_names(ptype: str) -> tuple[str, ...]:
    return tuple(OBJECT_CLASSES[ptype])
