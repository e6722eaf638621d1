"""Importing a model whose custom layer classes were not given: placeholders, run nothing.

Keras cannot rebuild a model whose config names a class it does not know. When
the user gives no source for such a class, each of its layers stands in as a
`SourceMissing` layer (our own class, which executes nothing from the file):
it keeps the layer's full config, and answers its calls with the output shapes
Keras recorded in the model's config (the input shapes of the layers that
consume it, or the next layer's `build_config` in a Sequential). The importer
turns each one into a CustomLayer node without source, holding the registered
name, the class name, the constructor arguments and those recorded shapes, so
the layers after it are analysed. Validation pins "has no source" to the node;
once its class is attached (`attach-code`), trust applies as for any other code.

The model is deserialized from its config alone (weights are not read): the
import keeps structure, not weights.
"""

from __future__ import annotations

import copy
from typing import Any

from .keras_env import import_keras

RECORDED = "__kerascanvas_recorded__"  # config key of the shapes we put in (and take out)

_CLASSES: dict[str, type] = {}  # registered name -> placeholder class


def prepare_config(config: dict, registered: set[str]) -> dict:
    """A copy of a model config whose layers of the `registered` classes carry the output
    shapes recorded for each of their calls (under `RECORDED`, read back by the layer)."""
    config = copy.deepcopy(config)
    _visit(config, registered)
    return config


def _visit(value: Any, registered: set[str]) -> None:
    if isinstance(value, list):
        for item in value:
            _visit(item, registered)
        return
    if not isinstance(value, dict):
        return
    inner = value.get("config")
    layers = inner.get("layers") if isinstance(inner, dict) else None
    if isinstance(layers, list) and all(isinstance(x, dict) for x in layers):
        _mark_scope(inner, layers, registered)
    for item in value.values():
        _visit(item, registered)


def _mark_scope(model: dict, layers: list[dict], registered: set[str]) -> None:
    """Record, in one functional or Sequential config, the outputs of each placeholder."""
    outputs = _functional_outputs(model, layers) if any(
        "inbound_nodes" in x for x in layers) else _sequential_outputs(layers)
    for entry in layers:
        if entry.get("registered_name") in registered and isinstance(entry.get("config"), dict):
            name = entry["config"].get("name", entry.get("name"))
            calls = outputs.get(name, {})
            entry["config"][RECORDED] = {
                "class": entry.get("class_name"),  # the name its weights are saved under
                "inputs": _call_inputs(entry),
                "outputs": {str(k): [calls[k].get(i) for i in range(max(calls[k]) + 1)]
                            for k in calls}}


def _functional_outputs(model: dict, layers: list[dict]) -> dict:
    """layer name -> call index -> tensor index -> (shape, dtype) or None, as consumed."""
    found: dict = {}
    for entry in layers:
        for tensor in _keras_tensors(entry.get("inbound_nodes")):
            layer, node, index = tensor["keras_history"]
            found.setdefault(layer, {}).setdefault(node, {})[index] = (
                tensor.get("shape"), tensor.get("dtype"))
    for ref in model.get("output_layers") or []:
        if isinstance(ref, list) and len(ref) == 3:
            found.setdefault(ref[0], {}).setdefault(ref[1], {}).setdefault(ref[2], None)
    return found


def _sequential_outputs(layers: list[dict]) -> dict:
    found = {}
    for entry, after in zip(layers, layers[1:], strict=False):
        shape = (after.get("build_config") or {}).get("input_shape")
        name = (entry.get("config") or {}).get("name")
        found[name] = {0: {0: (shape, None) if isinstance(shape, list) else None}}
    if layers:
        found.setdefault((layers[-1].get("config") or {}).get("name"), {0: {0: None}})
    return found


def _call_inputs(entry: dict) -> list:
    """Per call, the input shapes recorded for it (None where they are not)."""
    calls = entry.get("inbound_nodes")
    if not isinstance(calls, list):
        shape = (entry.get("build_config") or {}).get("input_shape")
        return [[shape] if isinstance(shape, list) else None]
    return [[t.get("shape") for t in _keras_tensors(call)] for call in calls]


def _keras_tensors(value: Any) -> list[dict]:
    if isinstance(value, list):
        return [t for item in value for t in _keras_tensors(item)]
    if not isinstance(value, dict):
        return []
    if value.get("class_name") == "__keras_tensor__" and isinstance(value.get("config"), dict):
        history = value["config"].get("keras_history")
        return [value["config"]] if isinstance(history, list) and len(history) == 3 else []
    return [t for item in value.values() for t in _keras_tensors(item)]


def placeholder_class(registered: str) -> type:
    """The stand-in class for `registered` (made once per process; never registered with
    Keras, only passed to the loader as a custom object)."""
    if registered not in _CLASSES:
        keras = import_keras()
        base = _base(keras)
        name = registered.rpartition(">")[2]
        _CLASSES[registered] = type(name, (base,), {"registered": registered})
    return _CLASSES[registered]


def is_placeholder(layer) -> bool:
    return type(layer) in _CLASSES.values()


_BASE: list[type] = []


def _base(keras) -> type:
    if _BASE:
        return _BASE[0]

    class SourceMissing(keras.layers.Layer):
        """A custom layer whose class is unknown: its config and recorded shapes only."""

        registered = ""

        def __init__(self, original: dict, recorded: dict):
            keep = {k: original[k] for k in ("name", "trainable", "dtype") if k in original}
            super().__init__(**keep)
            self.original = original
            self.recorded = recorded

        @classmethod
        def from_config(cls, config):
            config = dict(config)
            recorded = config.pop(RECORDED, {"inputs": [], "outputs": {}})
            return cls(config, recorded)

        def get_config(self):
            return dict(self.original)

        def build(self, *args, **kwargs):
            self.built = True

        def build_from_config(self, config):
            self.built = True

        def compute_output_spec(self, *args, **kwargs):
            tensors = _tensors(args)
            call = _matching_call(self.recorded, [list(t.shape) for t in tensors])
            outputs = self.recorded["outputs"].get(str(call)) or [None]
            first = next(iter(tensors), None)
            made = [keras.KerasTensor(tuple(o[0]) if o and o[0] is not None else
                                      first.shape if first is not None else (None,),
                                      dtype=(o[1] if o and o[1] else "float32"))
                    for o in outputs]
            return made[0] if len(made) == 1 else made

        def call(self, *args, **kwargs):
            raise RuntimeError(f"{self.registered}: the source of this custom layer is "
                               "missing; attach its class")

    _BASE.append(SourceMissing)
    return SourceMissing


def _matching_call(recorded: dict, shapes: list) -> int:
    """The recorded call whose input shapes are `shapes` (Keras may call a layer again
    while it rebuilds a model), else the first."""
    return next((k for k, inputs in enumerate(recorded["inputs"]) if inputs == shapes), 0)


def _tensors(value) -> list:
    if isinstance(value, list | tuple):
        return [t for item in value for t in _tensors(item)]
    return [value] if hasattr(value, "shape") else []


def recorded_call(layer, input_shapes: list) -> list:
    """`output_shapes` records of a placeholder's call on `input_shapes`: [] when Keras
    recorded no output shape for it (a model output nothing else consumes)."""
    wanted = [list(s) for s in input_shapes]
    for k, inputs in enumerate(layer.recorded["inputs"]):
        outputs = layer.recorded["outputs"].get(str(k)) or []
        if inputs == wanted and outputs and all(o is not None and o[0] is not None
                                                for o in outputs):
            return [{"inputs": wanted, "outputs": [list(o[0]) for o in outputs]}]
    return []
