"""Which layer an ONNX export failed at, when the exporter does not say.

The torch exporter traces the model, then converts each traced op. A failure while
tracing leaves the layer's `call` in the traceback; a failure while converting (an
operator ONNX lacks: "Exporting the operator 'aten::cummax' ... is not supported")
names only the op. Then each layer call is exported alone, as a one-call model on
the shapes the model gives it, in the model's order, and the first that fails is the
layer; inside a nested model that fails, its own layers are tried the same way. When
each exports alone, the model is cut after a layer call and exported, bisecting over
the calls for the first at which the cut fails while the cuts at its inputs export.
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


def failing_with_what_precedes(model, deadline: float | None = None):
    """The first layer call, in the model's order, at which the model cut there fails to
    export though it exports cut at that call's inputs (found by bisection, and checked):
    torch's exporter can fail on ops of several layers together (a Resizing, then a
    BatchNormalization) that each export alone. None when none is found in time."""
    deadline = deadline if deadline is not None else time.monotonic() + PROBE_SECONDS
    graph = getattr(model, "_functional", None) or model
    order = [node for depth in sorted(getattr(graph, "_nodes_by_depth", {}), reverse=True)
             for node in graph._nodes_by_depth[depth] if not node.is_input]
    low, high = 0, len(order) - 1
    if not order or _exports_cut(model, order[high]):
        return None
    while low < high and time.monotonic() < deadline:
        middle = (low + high) // 2
        low, high = (middle + 1, high) if _exports_cut(model, order[middle]) else (low, middle)
    found = order[high]
    parents = [n for n in found.parent_nodes if not n.is_input]
    if low != high or not all(_exports_cut(model, parent) for parent in parents):
        return None
    return found.operation


def _exports_alone(node) -> bool:
    return _exports(lambda: _calls_model([node]))


def _exports_cut(model, node) -> bool:
    """Whether `model` cut at the outputs of the call `node` exports."""
    def cut():
        wanted = {id(t) for t in _inputs_reaching(node)}
        inputs = [t for t in model.inputs if id(t) in wanted]
        return import_keras().Model(inputs, node.outputs)
    return _exports(cut)


def _inputs_reaching(node) -> list:
    seen, stack, found = set(), [node], []
    while stack:
        current = stack.pop()
        if id(current) not in seen:
            seen.add(id(current))
            found += current.outputs if current.is_input else []
            stack += current.parent_nodes
    return found


def _exports(build) -> bool:
    """Whether the model `build()` makes exports; True also when it cannot be made or
    called apart from the whole model (then it is not what fails)."""
    try:
        probe = build()
        sample = random_inputs(probe)
        probe(sample if len(sample) > 1 else sample[0])
    except Exception:  # noqa: BLE001 - a call that cannot stand alone is not the culprit
        return True
    with tempfile.TemporaryDirectory() as folder:
        try:
            probe.export(str(Path(folder) / "probe.onnx"), format="onnx", verbose=False)
        except Exception:  # noqa: BLE001 - the exporter raises many types
            return False
    return True


def _calls_model(nodes):
    """A model of the layer calls `nodes` alone, on the shapes the model gives them."""
    keras = import_keras()
    made, inputs, outputs = {}, [], None
    for node in nodes:
        for tensor in node.arguments.keras_tensors:
            if id(tensor) not in made:
                made[id(tensor)] = keras.Input(batch_shape=tensor.shape, dtype=tensor.dtype)
                inputs.append(made[id(tensor)])
        args, kwargs = node.arguments.fill_in(made)
        outputs = node.operation(*args, **kwargs)
        made.update(zip(map(id, keras.tree.flatten(node.outputs)),
                        keras.tree.flatten(outputs), strict=True))
    return keras.Model(inputs, outputs)


def _all_layers(model):
    for layer in getattr(model, "layers", ()):
        yield layer
        yield from _all_layers(layer)


def _is_model(layer) -> bool:
    return isinstance(layer, import_keras().Model)
