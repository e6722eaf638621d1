"""One Keras layer call -> one node: its kind, its params and its call arguments.

A layer maps to our kind when `keras.layers.<Kind>` is its exact class, every
param value fits our ParamSpec, and the layer rebuilt from our params has the
very same `get_config()` as the original. Anything else becomes a KerasLayer
node with the full serialization, so an import never loses a setting. The call's
arguments are read as a JSON template (`import_call`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from kerascanvas.graph.errors import KerasCanvasError, ParamError
from kerascanvas.graph.keras_objects import KERAS_MODULES
from kerascanvas.graph.layers.generic import PLACEHOLDER, TUPLE
from kerascanvas.graph.layers.wrappers import inner_names
from kerascanvas.graph.params import to_json
from kerascanvas.graph.spec import AS_LISTS, GENERIC, INPUT, LAYER_SPECS, LayerSpec

from .build import keras_kwargs
from .import_call import (
    call_params,
    call_template,
    keyword_ports,
    normal_json,
    standard_inputs,
)
from .import_cells import cell_value
from .import_generic import shape_record, weight_count
from .import_ops import map_operation
from .keras_env import import_keras

# Kinds that never map from a layer object: Input comes from the model's inputs.
_NOT_MAPPED = {INPUT, GENERIC}


class ModelImportError(KerasCanvasError):
    """A Keras model cannot be turned into a document; the message says which layer and why."""


class _Fallback(Exception):
    """This layer cannot be a node of its own kind; keep it as a KerasLayer."""


@dataclass
class Call:
    """One layer call event, ready to become a node."""

    kind: str
    params: dict[str, Any]
    inputs: list = field(default_factory=list)  # KerasTensors, in input-port order


def plain_arrays(value: Any) -> Any:
    """`value` with each numpy array Keras serialized (`{"class_name": "__numpy__",
    "config": {"value": [...], "dtype": ...}}`, a Constant initializer's value) as its
    nested list: the initializer casts it to the weight's dtype, so its own dtype
    changes no weight, and a param holds the list."""
    if isinstance(value, dict):
        if value.get("class_name") == "__numpy__" and isinstance(value.get("config"), dict):
            return value["config"].get("value")
        return {k: plain_arrays(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_arrays(v) for v in value]
    return value


def _settings(config: Any) -> Any:
    """A config without the build state Keras records for the built inner layer of a
    wrapper ("build_config": the input shape it was built on), which no setting decides."""
    if isinstance(config, dict):
        return {k: _settings(v) for k, v in config.items() if k != "build_config"}
    if isinstance(config, list):
        return [_settings(v) for v in config]
    return config


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _param_value(ptype: str, value: Any) -> Any:
    """A serialized initializer/regularizer/constraint as our value: its name when it is
    default-configured, else `{"class_name": ..., "config": {...}}` with the arguments
    that differ from Keras' defaults (the ParamSpec then checks class and arguments)."""
    if ptype in KERAS_MODULES and isinstance(value, dict):
        module = value.get("module")
        if value.get("registered_name") not in (None, value.get("class_name")) or (
                module not in (None, f"keras.{KERAS_MODULES[ptype]}")):
            raise _Fallback(f"its {ptype} is no class of keras.{KERAS_MODULES[ptype]}")
        return {"class_name": value.get("class_name"),
                "config": plain_arrays(value.get("config", {}))}
    return value


def _mapped_params(spec: LayerSpec, layer, config: dict) -> dict[str, Any]:
    """Our non-default params for a layer, or _Fallback when they would lose something."""
    dtype = config.get("dtype")
    policy = dtype.get("config", {}).get("name") if isinstance(dtype, dict) else dtype
    if policy not in (None, "float32"):
        raise _Fallback(f"its dtype policy is {policy!r}")
    params = {}
    for p in spec.params:
        if p.name in config:
            value = (_inner_value(p, layer) if p.type == "layer"
                     else _inner_list(p, layer) if p.type == "layers"
                     else _cells(p, layer) if p.type in ("cell", "cells")
                     else _param_value(p.type, config[p.name]))
            if p.type == "activation" and value == "linear" and p.default is None:
                value = None  # Keras writes "linear" for no activation
            try:
                if not p.is_default(value):
                    params[p.name] = to_json(p.coerce(value))
            except ParamError as exc:
                raise _Fallback(str(exc)) from None
    try:
        resolved = spec.resolve(params)
        kwargs = keras_kwargs(spec, spec.non_default(resolved))
        rebuilt = type(layer)(**kwargs, name=layer.name).get_config()
    except Exception as exc:  # noqa: BLE001 - our params or Keras refused
        raise _Fallback(str(exc)) from None
    ours = _settings(plain_arrays(normal_json(rebuilt)))
    theirs = _settings(plain_arrays(normal_json(config)))
    if ours != theirs:
        keys = sorted(k for k in {*ours, *theirs} if ours.get(k) != theirs.get(k))
        held = ", ".join(f"{k}={_short(theirs.get(k))}" for k in keys)
        raise _Fallback(f"its config holds settings our parameters do not cover: {held}")
    return _note_lists(spec, params, config, rebuilt)


def _note_lists(spec: LayerSpec, params: dict, config: dict, rebuilt: dict) -> dict:
    """`params` with the `AS_LISTS` note naming each param Keras held as a list where
    the layer rebuilt from our params holds a tuple (each such param then kept, even
    at its default), so that both builds give the list again."""
    lists = [p.name for p in spec.params if isinstance(config.get(p.name), list)
             and isinstance(rebuilt.get(p.name), tuple)]
    if not lists:
        return params
    kept = {p.name: params.get(p.name, to_json(p.coerce(config[p.name])))
            for p in spec.params if p.name in params or p.name in lists}
    return {**kept, AS_LISTS: lists}


def _cells(p, layer) -> Any:
    """An RNN's cell, or a stack's cells, as their param's value, or _Fallback."""
    value = cell_value(p.type, layer, _mapped_params)
    if value is None:
        raise _Fallback("it holds a cell of a class that is no cell kind of ours")
    return value


def _inner_list(p, pipeline) -> list[dict[str, Any]]:
    """A Pipeline's layers as the nested dicts of a `layers` param, or _Fallback."""
    layers = [_inner_layer(p, layer, layer.name) for layer in pipeline.layers]
    names = inner_names([{k: v for k, v in layer.items() if k != "name"} for layer in layers])
    for layer, default in zip(layers, names, strict=True):
        if layer.get("name") == default:
            del layer["name"]
    return layers


def _inner_layer(p, layer, name: str) -> dict[str, Any]:
    kind = mapped_kind(layer)
    if kind not in p.choices:
        raise _Fallback(f"it holds a {type(layer).__name__}, which is no kind it holds here")
    params = _mapped_params(LAYER_SPECS[kind], layer, layer.get_config())
    return {"kind": kind, "params": params, "name": name}


def _inner_value(p, wrapper) -> dict[str, Any]:
    """A wrapper's inner layer as the nested dict of a `layer` param, or _Fallback."""
    from kerascanvas.graph.document import default_name

    forward = getattr(wrapper, "forward_layer", None)  # Bidirectional keeps two copies
    layer = forward if forward is not None else wrapper.layer
    value = _inner_layer(p, layer, layer.name)
    if forward is not None:  # Keras sets both copies' zero_output_for_mask itself
        value["params"].pop("zero_output_for_mask", None)
        value["name"] = value["name"].removeprefix("forward_")
    if value["name"] == default_name(value["kind"]):
        del value["name"]
    return value


@functools.cache
def _kinds_by_class() -> dict[type, str]:
    """keras.layers class -> our kind (a kind is the class's public name in keras.layers,
    which is not always its `__name__`: GroupQueryAttention is GroupedQueryAttention)."""
    keras = import_keras()
    table = {}
    for kind, spec in LAYER_SPECS.items():
        cls = getattr(keras.layers, kind, None)
        if isinstance(cls, type) and not spec.is_block and kind not in _NOT_MAPPED:
            table[cls] = kind
    return table


def mapped_kind(layer) -> str | None:
    """Our kind for the exact class of `layer`, or None when the table has none."""
    return _kinds_by_class().get(type(layer))


def _marked_tuples(value: Any) -> Any:
    """`value` with every tuple marked (see `graph.layers.generic.config_tuples`)."""
    if isinstance(value, tuple):
        return {TUPLE: [_marked_tuples(v) for v in value]}
    if isinstance(value, list):
        return [_marked_tuples(v) for v in value]
    if isinstance(value, dict):
        return {k: _marked_tuples(v) for k, v in value.items()}
    return value


def _generic(layer, template: dict, tensors: list, node) -> Call:
    keras = import_keras()
    data = keras.saving.serialize_keras_object(layer)
    if not isinstance(layer, keras.layers.Layer):  # an operation keeps its tuples as given
        data = {**data, "config": _marked_tuples(data.get("config", {}))}
    data = normal_json(data)
    # A wrapper records its built inner layer's build state; the rebuilt one records its own.
    config = {k: _settings(v) for k, v in data.get("config", {}).items() if k != "name"}
    as_list = {"args": [[{PLACEHOLDER: i} for i in range(len(tensors))]]}
    standard = template == {"args": [{PLACEHOLDER: 0}]} or (
        len(tensors) > 1 and template == as_list)
    params = {
        "class_name": data["class_name"],
        "module": data.get("module") or "keras.layers",
        "registered_name": data.get("registered_name"),
        "config": config,
        "call": None if standard else template,
        "output_shapes": [shape_record([t.shape for t in tensors],
                                       [t.shape for t in node.outputs])],
        "count": weight_count(layer),
    }
    if params["module"] == "keras.layers":
        del params["module"]  # the default
    inner = custom_class_inside(config)
    if inner is not None:
        raise ModelImportError(wrapped_message("", layer.name, data["class_name"], inner))
    return Call(GENERIC, {k: v for k, v in params.items() if v is not None}, tensors)


def wrapped_message(head: str, layer: str, class_name: str, held: str) -> str:
    """Why a Keras layer holding a custom class (TimeDistributed(custom)) cannot come in."""
    return (f"{head}layer {layer!r} ({class_name}) holds the custom class {held!r}; a "
            f"KerasLayer node rebuilds Keras' own classes only. Make the {class_name} part "
            "of a custom layer class instead")


def custom_class_inside(value: Any) -> str | None:
    """The registered name of the first class from outside keras that a serialized config
    holds (a custom layer inside a wrapper), else None."""
    if isinstance(value, list):
        return next(filter(None, map(custom_class_inside, value)), None)
    if not isinstance(value, dict):
        return None
    registered, module = value.get("registered_name"), str(value.get("module") or "keras")
    if isinstance(registered, str) and value.get("class_name") != "function" \
            and module != "keras" and not module.startswith("keras."):  # not kerascanvas_*
        return registered
    return next(filter(None, map(custom_class_inside, value.values())), None)


def _coerced(spec: LayerSpec, values: dict) -> dict:
    """Call params in JSON form, the default ones left out; _Fallback if one does not fit."""
    try:
        return {k: to_json(v) for k, v in spec.non_default(values).items()}
    except ParamError as exc:
        raise _Fallback(str(exc)) from None


def map_call(node) -> tuple[Call, str | None]:
    """The node to create for one Keras call event, and why it is generic (None if not)."""
    layer = node.operation
    template, tensors = call_template(node)
    kind = mapped_kind(layer)
    if kind is None:
        call, why = map_operation(node, template, tensors)
        if call is not None:
            return call, None
        return _generic(layer, template, tensors, node), why or (
            f"no node kind for its class {type(layer).__name__} ({type(layer).__module__})")
    spec = LAYER_SPECS[kind]
    plain, call_values = call_params(spec, template)
    plain, ordered, switched = keyword_ports(spec, plain, tensors)
    inputs = standard_inputs(spec, plain, ordered)
    try:
        if inputs is None:
            extra = sorted(set(plain.get("kwargs", {})) - set(spec.input_names))
            raise _Fallback("it is called with extra arguments"
                            + (f" ({', '.join(extra)})" if extra else ""))
        params = {**_mapped_params(spec, layer, layer.get_config()), **switched}
        if switched and spec.max_ports(params) != len(inputs):
            raise _Fallback(f"it is given {len(inputs) - 1} initial state(s) where "
                            f"{spec.max_ports(params) - 1} are expected")
        return Call(kind, {**params, **_coerced(spec, call_values)}, inputs), None
    except _Fallback as why:
        return _generic(layer, template, tensors, node), str(why)
