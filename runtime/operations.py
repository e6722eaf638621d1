"""Operation nodes at run time: the keras.ops call their params describe.

An operation has no weights and no state, so its node's "layer" is a callable that
makes the call on the node's input tensors, exactly as the generated code does
(`graph.layers.operations.call_parts` gives both the same arguments).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kerascanvas.graph.layers.operations import GET_ITEM, call_parts

from .keras_env import import_keras


class OperationCall:
    """The call of one operation node; `OperationCall(kind, params)(x, y)` runs it. With
    `dtype` (a model output under mixed precision) the result is cast to it, as output
    layers compute in float32 there."""

    def __init__(self, kind: str, params: Mapping[str, Any], dtype: str | None = None):
        self.kind = kind
        self.params = dict(params)
        self.dtype = dtype

    def __call__(self, *tensors):
        ops = import_keras().ops
        function, args, kwargs = call_parts(self.kind, self.params, list(tensors))
        out = args[0][args[1]] if function == GET_ITEM else getattr(ops, function)(*args,
                                                                                    **kwargs)
        return out if self.dtype is None else ops.cast(out, self.dtype)
