"""Keras objects made from a node's params: its layer (a wrapper's inner layers and an
RNN's cells too), its configured initializers and the like, its `keras.Input`, and
the call of a layer on its input tensors the way generated code calls it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kerascanvas.graph.document import Node
from kerascanvas.graph.keras_objects import KERAS_MODULES
from kerascanvas.graph.layers import custom
from kerascanvas.graph.layers.generic import PLACEHOLDER, Constant, decode_marker, serialized
from kerascanvas.graph.layers.operations import is_operation
from kerascanvas.graph.layers.recurrent_cells import cell_spec
from kerascanvas.graph.layers.wrappers import inner_name, inner_names
from kerascanvas.graph.object_params import array_shape, broadcasts, is_object
from kerascanvas.graph.spec import GENERIC, LayerSpec, get_spec

from .build_checks import BuildError
from .keras_env import import_keras


def make_layer(kind: str, name: str, params: Mapping[str, Any], dtype: str | None = None):
    """A Keras layer of `kind` named `name`, given only the non-default params.

    A `KerasLayer` node is deserialized from its recorded class and config, in
    safe mode (nothing from a file is executed). `dtype` (e.g. "float32" for an
    output layer under mixed precision) is passed as the layer's `dtype` keyword.

    >>> make_layer("Dense", "head", {"units": 10}).get_config()["units"]  # doctest: +SKIP
    10
    """
    keras = import_keras()
    spec = get_spec(kind)
    extra = {"dtype": dtype} if dtype else {}
    if spec.kind == GENERIC:
        config = serialized(spec.resolve(params), name)
        config["config"].update(extra)
        try:
            return keras.saving.deserialize_keras_object(config, safe_mode=True)
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            raise BuildError(f"{name!r} (KerasLayer): Keras cannot make "
                             f"{config['module']}.{config['class_name']} from its config: "
                             f"{exc}") from None
    if is_operation(spec):  # a keras.ops call: no layer object; its operation is named
        from .operations import OperationCall

        return OperationCall(spec.kind, params, dtype, name)
    kwargs = keras_kwargs(spec, spec.non_default(params))
    return getattr(keras.layers, spec.kind)(**kwargs, name=name, **extra)


def keras_kwargs(spec: LayerSpec, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Constructor keywords for Keras: a wrapper's inner layer (a `layer` param, the
    nested dict of the document) becomes the Keras layer object it describes, and a
    configured initializer, regularizer or constraint the object of its class."""
    out = spec.constructor_kwargs(kwargs)  # call keywords go to the call (call_layer)
    for p in spec.params:
        if p.name in out and is_object(out[p.name]):
            out[p.name] = make_object(p.type, out[p.name])
        elif p.type == "layer" and p.name in out:
            inner = p.coerce(out[p.name])
            out[p.name] = make_layer(inner["kind"], inner_name(inner), inner["params"])
        elif p.type == "layers" and p.name in out:  # Pipeline: a list of layers
            inner = p.coerce(out[p.name])
            out[p.name] = [make_layer(layer["kind"], name, layer["params"])
                           for layer, name in zip(inner, inner_names(inner), strict=True)]
        elif p.type == "cell" and p.name in out:  # an RNN's cell, or a stack of cells
            inner = p.coerce(out[p.name])
            out[p.name] = make_cell(inner, inner_name(inner))
        elif p.type == "cells" and p.name in out:  # the cells of a stack
            inner = p.coerce(out[p.name])
            out[p.name] = [make_cell(cell, name)
                           for cell, name in zip(inner, inner_names(inner), strict=True)]
    return out


def make_cell(cell: Mapping[str, Any], name: str):
    """The Keras cell (`keras.layers.LSTMCell`...) of a cell value in normal form."""
    spec = cell_spec(cell["kind"])
    kwargs = keras_kwargs(spec, spec.non_default(cell["params"]))
    return getattr(import_keras().layers, spec.kind)(**kwargs, name=name)


def make_object(ptype: str, value: Mapping[str, Any]):
    """`keras.regularizers.L2(l2=0.0001)` for `{"class_name": "L2", "config": {...}}`:
    the class is one of the table's (`graph.keras_objects`), checked by the ParamSpec."""
    module = getattr(import_keras(), KERAS_MODULES[ptype])
    return getattr(module, value["class_name"])(**value.get("config", {}))


def make_input(node: Node):
    """`keras.Input` for an Input node; dtype and batch_size only when not the default."""
    keras = import_keras()
    spec = node.spec
    kwargs = spec.non_default(node.params)
    shape = spec.resolve(node.params)["shape"]
    kwargs.pop("shape", None)
    return keras.Input(shape=shape, name=node.name, **kwargs)


def call_layer(spec: LayerSpec, layer, tensors: list,
               params: Mapping[str, Any] | None = None) -> list:
    """Call a layer the way generated code does, and return its outputs as a flat list,
    in the order Keras numbers them (an RNN over a stack of cells gives a list of states
    per cell).

    Merges take one list; other kinds (MultiHeadAttention: query, value[, key])
    take their inputs positionally, and the tensors of keyword ports as one list
    (a recurrent layer's initial_state=[h, c]); a `KerasLayer` follows its call template.
    """
    if spec.kind == GENERIC:
        out = _call_generic(layer, tensors, (params or {}).get("call"))
    elif spec.kind == custom.KIND:
        out = layer(tensors[0] if len(tensors) == 1 else list(tensors))
    elif is_operation(spec):
        out = layer(*tensors)
    elif spec.is_merge:  # Attention also takes its call keywords
        out = layer(list(tensors), **spec.call_kwargs(params or {}))
    else:
        positional, listed = spec.split_inputs(list(tensors), params or {})
        check_constants(spec, layer, positional, listed, params or {})
        out = layer(*positional, **spec.call_kwargs(params or {}), **listed)
    return import_keras().tree.flatten(out)


def check_constants(spec: LayerSpec, layer, positional: list, listed: dict,
                    params: Mapping[str, Any]) -> None:
    """BuildError naming the node and the field when a Constant initializer's array value
    does not broadcast to its weight (Keras fails with a bare tensor-size message, or
    makes a weight of another shape). The weight is the one named like the field (`bias`
    for bias_initializer), found on a copy of the layer built with zeros for every
    initializer (it draws no random numbers); a weight not found so is not checked."""
    arrays = {p.name: params[p.name]["config"]["value"] for p in spec.params
              if p.type == "initializer" and is_object(params.get(p.name))
              and params[p.name]["class_name"] == "Constant"
              and isinstance(params[p.name].get("config", {}).get("value"), list)}
    if not arrays:
        return
    keras = import_keras()
    zeros = [p.name for p in spec.params if p.type == "initializer"]
    config = {**layer.get_config(), **dict.fromkeys(zeros, "zeros"), "name": "probe"}
    probe = type(layer).from_config(config)

    def symbolic(value):
        if isinstance(value, list):
            return [symbolic(v) for v in value]
        return keras.KerasTensor(value.shape, value.dtype)

    try:
        probe(*symbolic(positional), **{k: symbolic(v) for k, v in listed.items()})
    except Exception:  # noqa: BLE001 - the error is not the value's: Keras' own stands
        return
    weights = {w.name: tuple(w.shape) for w in probe.weights}
    for name, value in arrays.items():
        shape = weights.get(name.removesuffix("_initializer"))
        if shape is not None and not broadcasts(value, shape):
            raise BuildError(
                f"{layer.name!r} ({spec.kind}): {name} is Constant with a value of shape "
                f"{array_shape(value)}, which does not fill the "
                f"{name.removesuffix('_initializer')} weight of shape {shape}: its dims, "
                "aligned on the right, must each be 1 or the weight's. Received: "
                f"{_short(value)}") from None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _call_generic(layer, tensors: list, call: Mapping[str, Any] | None):
    if call is None:
        return layer(tensors[0] if len(tensors) == 1 else list(tensors))

    def fill(value):
        if isinstance(value, dict) and set(value) == {PLACEHOLDER}:
            return tensors[value[PLACEHOLDER]]
        marked, decoded = decode_marker(value, fill)
        if isinstance(decoded, Constant):
            return import_keras().ops.convert_to_tensor(decoded.value, dtype=decoded.dtype)
        if marked:
            return decoded
        if isinstance(value, list):
            return [fill(v) for v in value]
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        return value

    kwargs = {k: fill(v) for k, v in call.get("kwargs", {}).items()}
    return layer(*[fill(v) for v in call.get("args", [])], **kwargs)
