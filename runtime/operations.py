"""Operation nodes at run time: the keras.ops call their params describe.

An operation has no weights and no state, so its node's "layer" is a callable that
makes the call on the node's input tensors, exactly as the generated code does
(`graph.layers.operations.call_parts` gives both the same arguments). keras.ops
functions take no `name`: the call names the operation Keras made after the node
(`name_operation`), so a model built, saved and imported again keeps its names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kerascanvas.graph.layers.operations import GET_ITEM, call_parts

from .keras_env import import_keras


def name_operation(outputs, name: str):
    """Give the operation that made `outputs` (a symbolic tensor, or the list a split
    makes) the name `name`; eager tensors, which no operation records, are left alone.
    `Operation.name` is a plain attribute, read when the model's config is written."""
    first = outputs[0] if isinstance(outputs, list | tuple) else outputs
    history = getattr(first, "_keras_history", None)
    if history is not None:
        history.operation.name = name
    return outputs


def ops_function(function: str):
    """The keras.ops function of a name, dotted for a submodule's (`image.resize`)."""
    found = import_keras().ops
    for part in function.split("."):
        found = getattr(found, part)
    return found


class OperationCall:
    """The call of one operation node; `OperationCall(kind, params)(x, y)` runs it. With
    `dtype` (a model output under mixed precision) the result is cast to it, as output
    layers compute in float32 there, or, given one per output (top_k's `("float32",
    None)`), each output with one; with `name` the operation gets that name (and the
    cast `<name>_<dtype>`, `<name>_<dtype>_<i>` for output i of several)."""

    def __init__(self, kind: str, params: Mapping[str, Any], dtype: str | tuple | None = None,
                 name: str | None = None):
        self.kind = kind
        self.params = dict(params)
        self.dtype = dtype
        self.name = name

    def __call__(self, *tensors):
        function, args, kwargs = call_parts(self.kind, self.params, list(tensors))
        out = args[0][args[1]] if function == GET_ITEM else ops_function(function)(*args,
                                                                                   **kwargs)
        out = list(out) if isinstance(out, tuple) else out  # top_k: (values, indices)
        if self.name is not None:
            name_operation(out, self.name)
        if self.dtype is None:
            return out
        if isinstance(out, list):  # a split: each output is cast, `<name>_<dtype>_<i>`
            dtypes = self.dtype if isinstance(self.dtype, tuple) else (self.dtype,) * len(out)
            return [o if d is None else self._cast(o, d, f"_{i}")
                    for i, (o, d) in enumerate(zip(out, dtypes, strict=True))]
        return self._cast(out, self.dtype)

    def _cast(self, tensor, dtype: str, suffix: str = ""):
        """`tensor` cast to `dtype`, the cast named `<name>_<dtype>` (Keras' own name,
        `cast_3`, could be another node's)."""
        out = import_keras().ops.cast(tensor, dtype)
        if self.name is None:
            return out
        return name_operation(out, f"{self.name}_{dtype}{suffix}")
