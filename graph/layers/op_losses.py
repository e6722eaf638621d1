"""Losses computed inside a model: `ops.binary_crossentropy`,
`ops.categorical_crossentropy` and `ops.sparse_categorical_crossentropy`, the target on
port 0 and the output (probabilities, or logits with `from_logits`) on port 1. Each is a
kind of `graph.layers.operations`, its params the function's keywords with Keras'
defaults; its shape rule is the op's `compute_output_spec` in Keras'
`keras/src/ops/nn.py`, which wants the target's shape exactly (an unknown dim against a
known one differs).

>>> from ..spec import get_spec
>>> spec = get_spec("ops.sparse_categorical_crossentropy")
>>> spec.output_shapes(spec.resolve({}), [(None, 4), (None, 4, 6)])
[(None, 4)]
"""

from __future__ import annotations

from typing import Any

from ..errors import ShapeError
from ..params import ParamSpec
from ..shapes import fmt
from ..spec import Sample
from .common import checked_axes
from .operations import register_operations

_FROM_LOGITS = ParamSpec("from_logits", "bool", default=False,
                         doc="The output holds logits, not probabilities")
_AXIS = ParamSpec("axis", "int", default=-1, doc="The axis of the classes")
_PAIR = ((None, 4, 6), (None, 4, 6))


def _same_shapes(kind: str, target, output) -> None:
    if tuple(target) != tuple(output):
        raise ShapeError(f"{kind}: the target needs the output's shape exactly. Received: "
                         f"target {fmt(target)}, output {fmt(output)}", port=0)


def binary_shape(params, inputs):
    """One loss per entry: the output's shape."""
    _same_shapes(params["__kind__"], *inputs)
    return tuple(inputs[1])


def categorical_shape(params, inputs):
    """One loss per one-hot vector: the output without its last axis (the classes)."""
    kind, (target, output) = params["__kind__"], inputs
    _same_shapes(kind, target, output)
    if len(output) < 1:
        raise ShapeError(f"{kind} needs a rank of 1 or more. Received: output {fmt(output)}",
                         port=1)
    return tuple(output[:-1])


def sparse_shape(params, inputs):
    """One loss per class id: the output without its class axis, which must be the
    target's shape (a last axis of size 1 in the target aside)."""
    kind, (target, output) = params["__kind__"], (tuple(s) for s in inputs)
    axis = checked_axes(params["axis"], output, kind, port=1)[0]
    rest = output[:axis] + output[axis + 1:]
    if len(target) == len(output) and target[-1] == 1:
        target = target[:-1]
    if target != rest:
        raise ShapeError(f"{kind}: the target needs the output's shape without its class "
                         f"axis, {fmt(rest)}. Received: target {fmt(target)}, output "
                         f"{fmt(output)}", port=0)
    return rest


def _loss(what: str, shape, params: tuple, *samples: Sample) -> dict:
    return dict(params=params, shape=shape, min_inputs=2, max_inputs=2,
                input_names=("target", "output"), doc=f"keras.ops.{what}",
                samples=samples)


_FAMILIES: dict[str, dict[str, Any]] = {
    "binary_crossentropy": _loss(
        "binary_crossentropy: the loss of each entry", binary_shape, (_FROM_LOGITS,),
        Sample({}, _PAIR), Sample({"from_logits": True}, _PAIR)),
    "categorical_crossentropy": _loss(
        "categorical_crossentropy: the loss of each one-hot target", categorical_shape,
        (_FROM_LOGITS, _AXIS), Sample({}, _PAIR), Sample({"from_logits": True}, _PAIR)),
    "sparse_categorical_crossentropy": _loss(
        "sparse_categorical_crossentropy: the loss of each int class id (port 0)",
        sparse_shape, (_FROM_LOGITS, _AXIS), Sample({}, ((None, 4), (None, 4, 6))),
        Sample({"from_logits": True}, ((None, 4, 1), (None, 4, 6)))),
}

register_operations(_FAMILIES)
