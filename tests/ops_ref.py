"""The keras.ops call of an operation kind, written from Keras' documented signatures (not
from our call code), for the tests that check operation nodes against Keras."""

from __future__ import annotations

import keras

# The Python key of each key text the specs' samples and the tests use.
KEYS = {":, 0": (slice(None), 0), "..., None, 1:3": (Ellipsis, None, slice(1, 3)),
        "::2, ..., -1:": (slice(None, None, 2), Ellipsis, slice(-1, None)),
        "0, 0, 0, 0": (0, 0, 0, 0), ":, 7": (slice(None), 7), "..., None": (Ellipsis, None),
        "1": 1, "1:, ::-1": (slice(1, None), slice(None, None, -1))}


def keras_function(kind: str):
    """The keras.ops function of a kind (`ops.image.resize`: keras.ops.image.resize)."""
    op = keras.ops
    for part in kind.removeprefix("ops.").split("."):
        op = getattr(op, part)
    return op


def keras_call(kind: str, params: dict, tensors: list):
    """`keras.ops.<function>(...)` (or `x[key]`) with `params` on `tensors`."""
    function = kind.removeprefix("ops.")
    params = dict(params)
    if function == "get_item":
        return tensors[0][KEYS[params["key"]]]
    op = keras_function(kind)
    if "constant" in params:
        constant = params.pop("constant")
        first = params.pop("constant_first", False)
        return op(constant, *tensors) if first else op(*tensors, constant)
    if function in ("concatenate", "stack"):
        return op(list(tensors), **params)
    if function == "reshape":
        return op(tensors[0], params["newshape"])
    return _selecting(function, op, params, tensors)


def _selecting(function: str, op, params: dict, tensors: list):
    """where, take, split and one_hot: numbers may stand for tensor operands."""
    if function == "where":
        rest = iter(tensors[1:])
        x1, x2 = (params[n] if params.get(n) is not None else next(rest) for n in ("x1", "x2"))
        return op(tensors[0], x1, x2)
    if function == "take":
        indices = params.pop("indices", None)
        indices = tensors[1] if indices is None else (
            list(indices) if isinstance(indices, tuple) else indices)
        return op(tensors[0], indices, **params)
    if function == "split":
        cuts = params.pop("indices_or_sections")
        return op(tensors[0], list(cuts) if isinstance(cuts, tuple) else cuts, **params)
    if function == "einsum":
        return op(params["subscripts"], *tensors)
    if function == "average":  # the weights are a keyword, after axis
        return op(tensors[0], weights=tensors[1] if len(tensors) > 1 else None, **params)
    if function == "one_hot":
        return op(tensors[0], params.pop("num_classes"), **params)
    return op(*tensors, **params)
