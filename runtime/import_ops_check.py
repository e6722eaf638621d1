"""Whether an operation mapped to a node computes what the model's operation does.

`import_ops` maps a keras.ops call to an operation node (or a merge layer); the
mapping holds only when the node, rebuilt on fresh symbolic inputs of the same
shapes and dtypes, gives the outputs the model has, and our shape rule gives the
same shapes. Otherwise NotMapped says why, and the operation stays a KerasLayer node.
"""

from __future__ import annotations

from kerascanvas.graph.errors import KerasCanvasError
from kerascanvas.graph.layers.operations import PREFIX
from kerascanvas.graph.spec import get_spec

from .keras_env import import_keras
from .operations import OperationCall

# The merge layer that computes an op on equal-rank float32 tensors exactly as it does.
_LAYERS = {"add": "Add", "subtract": "Subtract", "multiply": "Multiply", "maximum": "Maximum",
           "minimum": "Minimum", "concatenate": "Concatenate"}


class NotMapped(Exception):
    """The operation cannot be a node of its own kind; the message says why."""


def as_layer(function: str, params: dict, inputs: list, node):
    """The merge-layer Call that computes this op exactly, or None."""
    from .import_map import Call

    kind = _LAYERS.get(function)
    if kind is None or "constant" in params or len(inputs) < 2 \
            or len({len(t.shape) for t in inputs}) != 1 \
            or any(t.dtype != "float32" for t in inputs):
        return None
    axis = params.get("axis", 0)
    layer_params = {} if kind != "Concatenate" or axis == -1 else {"axis": axis}
    keras = import_keras()
    try:
        layer = getattr(keras.layers, kind)(**layer_params)
        out = layer([_fresh(t) for t in inputs])
    except Exception:  # noqa: BLE001 - the layer refuses these inputs: keep the op
        return None
    return Call(kind, layer_params, inputs) if _same([out], node.outputs) else None


def _fresh(tensor):
    return import_keras().KerasTensor(tensor.shape, dtype=tensor.dtype)


def _same(outputs, expected) -> bool:
    return [(tuple(o.shape), o.dtype) for o in outputs] == \
        [(tuple(o.shape), o.dtype) for o in expected]


def check(call, node) -> None:
    """NotMapped unless the node rebuilds the model's outputs (shapes and dtypes) and our
    shape rule agrees with Keras on its shapes."""
    spec = get_spec(call.kind)
    if call.kind.startswith(PREFIX):
        try:
            out = OperationCall(call.kind, call.params)(*[_fresh(t) for t in call.inputs])
        except Exception as exc:  # noqa: BLE001 - Keras refuses the rebuilt call
            raise NotMapped(f"Keras refuses it rebuilt as {call.kind}: {exc}") from None
        out = list(out) if isinstance(out, list | tuple) else [out]
        made = type(out[0]._keras_history.operation)
        if made is not type(node.operation) or not _same(out, node.outputs):
            raise NotMapped(f"rebuilt as {call.kind} it gives a {made.__name__} of "
                            f"{[(o.shape, o.dtype) for o in out]}")
    try:
        ours = spec.output_shapes(spec.resolve(call.params),
                                  [tuple(t.shape) for t in call.inputs])
    except KerasCanvasError as exc:
        raise NotMapped(f"the {call.kind} shape rule refuses it: {exc}") from None
    if ours != [tuple(o.shape) for o in node.outputs]:
        raise NotMapped(f"the {call.kind} shape rule gives {ours}, Keras "
                        f"{[tuple(o.shape) for o in node.outputs]}")
