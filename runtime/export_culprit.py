"""Which layer an ONNX export failed at, when the exporter does not say.

The torch exporter traces the model, then converts each traced op. A failure while
tracing leaves the layer's `call` in the traceback; a failure while converting (an
operator ONNX lacks: "Exporting the operator 'aten::cummax' ... is not supported")
names only the op. Then each layer call is exported alone, as a one-call model on
the shapes the model gives it, in the model's order, and the first that fails is the
layer; inside a nested model that fails, its own layers are tried the same way.
"""

from __future__ import annotations

import tempfile
import time
import traceback
from pathlib import Path

from .export_inputs import random_inputs
from .keras_env import import_keras

PROBE_SECONDS = 120.0  # the search gives up (naming no layer) after this long


def describe(layer) -> str:
    return f"{layer.name} ({type(layer).__name__})"


def layer_in_traceback(model, exc: BaseException):
    """The innermost layer of `model` (at any depth) whose code is on the traceback."""
    ids = {id(layer) for layer in _all_layers(model)}
    found = None
    for frame, _ in traceback.walk_tb(exc.__traceback__):
        owner = frame.f_locals.get("self")
        if id(owner) in ids and not _is_model(owner):
            found = owner
    return found


def failing_layer(model, deadline: float | None = None):
    """The first layer whose call, exported alone, fails (None when each exports or the
    search runs out of time)."""
    deadline = deadline if deadline is not None else time.monotonic() + PROBE_SECONDS
    graph = getattr(model, "_functional", None) or model
    for depth in sorted(getattr(graph, "_nodes_by_depth", {}), reverse=True):
        for node in graph._nodes_by_depth[depth]:
            if node.is_input or time.monotonic() > deadline:
                continue
            if not _exports_alone(node):
                inner = failing_layer(node.operation, deadline) \
                    if _is_model(node.operation) else None
                return inner or node.operation
    return None


def _exports_alone(node) -> bool:
    keras = import_keras()
    tensors = node.arguments.keras_tensors
    try:
        inputs = [keras.Input(batch_shape=t.shape, dtype=t.dtype) for t in tensors]
        args, kwargs = node.arguments.fill_in({id(t): i for t, i in zip(tensors, inputs,
                                                                        strict=True)})
        alone = keras.Model(inputs, node.operation(*args, **kwargs))
        sample = random_inputs(alone)
        alone(sample if len(sample) > 1 else sample[0])
    except Exception:  # noqa: BLE001 - a call that cannot stand alone is not the culprit
        return True
    with tempfile.TemporaryDirectory() as folder:
        try:
            alone.export(str(Path(folder) / "probe.onnx"), format="onnx", verbose=False)
        except Exception:  # noqa: BLE001 - the exporter raises many types
            return False
    return True


def _all_layers(model):
    for layer in getattr(model, "layers", ()):
        yield layer
        yield from _all_layers(layer)


def _is_model(layer) -> bool:
    return isinstance(layer, import_keras().Model)
