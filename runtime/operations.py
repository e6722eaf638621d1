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
    """The call of one operation node; `OperationCall(kind, params)(x, y)` runs it."""

    def __init__(self, kind: str, params: Mapping[str, Any]):
        self.kind = kind
        self.params = dict(params)

    def __call__(self, *tensors):
        function, args, kwargs = call_parts(self.kind, self.params, list(tensors))
        if function == GET_ITEM:
            return args[0][args[1]]
        return getattr(import_keras().ops, function)(*args, **kwargs)
