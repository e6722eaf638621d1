"""Nested models: user blocks that build a Keras model of their own.

A block definition with a "model" entry is a nested model, as a data-augmentation
`keras.Sequential` inside a functional model, or an encoder and a decoder inside an
autoencoder. Each instance builds one model, named like the instance node, whose layers
keep the inner node names as they are (no instance prefix)::

    "blocks": {"augment": {
        "nodes": [...], "edges": [...], "inputs": [[...]], "output": {...},
        "model": {"class": "Sequential",
                  "inputs": [{"name": "input_layer", "batch_shape": [null, 32, 32, 3]}]}}}

A functional nested model may give several tensors: the definition's "outputs" lists
them, one instance output port each (`graph.blockcheck`); it may hold shared layers
(SharedCall nodes calling an inner node or an inner nested model) and keras.applications
bases (Application nodes).

`class` is "Sequential" (one input, a chain of single-output layers) or "Functional";
`inputs` has one entry per block input: the name, batch shape and dtype of the model's
own Input (all optional: the name defaults to f"{model}_input", or f"{model}_input_{port}"
for a model with several inputs, the shape to the instance's input shape, the dtype to
float32; an encoder taking token ids has "dtype": "int32"). An instance
has the extra param `trainable` (off freezes the whole model), and SharedCall nodes may
call it again with the same weights (a siamese tower).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from .errors import KerasCanvasError, ShapeError
from .index import topological_order
from .layers import shared
from .params import DTYPES
from .spec import LAYER_SPECS, TRAINABLE, USER_BLOCK, LayerSpec, frozen_count, no_weights

MODEL = "model"
INPUT_DTYPES = DTYPES  # those of an Input node
SEQUENTIAL, FUNCTIONAL = "Sequential", "Functional"


class NestedModelError(KerasCanvasError):
    """A nested-model entry is malformed; the message names the field."""


def model_of(definition: Any) -> dict | None:
    """The "model" entry of a definition, or None for a plain (inlined) block."""
    meta = definition.get(MODEL) if isinstance(definition, dict) else None
    return meta if isinstance(meta, dict) else None


def is_model_block(blocks: Mapping[str, Any], name: Any) -> bool:
    """Whether block `name` exists and builds a nested model."""
    return isinstance(name, str) and model_of(blocks.get(name)) is not None


def input_name(meta: Mapping[str, Any], model_name: str, port: int, count: int) -> str:
    """The Keras name of the nested model's Input on `port` of `count` inputs: the
    recorded name, else the model's name and `input_suffix`."""
    entries = meta.get("inputs") or []
    name = entries[port].get("name") if port < len(entries) else None
    return name or model_name + input_suffix(port, count)


def input_suffix(port: int, count: int) -> str:
    """The default Input name's ending: "_input" for a model with one input, else
    "_input_0", "_input_1", ... (Keras refuses two layers of one name)."""
    return "_input" if count <= 1 else f"_input_{port}"


def input_batch_shape(meta: Mapping[str, Any], port: int, fallback) -> tuple:
    """The nested model's Input batch shape on `port`: recorded, else the instance's."""
    entries = meta.get("inputs") or []
    shape = entries[port].get("batch_shape") if port < len(entries) else None
    return tuple(shape) if shape is not None else tuple(fallback)


def input_dtype(meta: Mapping[str, Any], port: int) -> str:
    """The nested model's Input dtype on `port`: recorded, else float32."""
    entries = meta.get("inputs") or []
    return (entries[port].get("dtype") if port < len(entries) else None) or "float32"


def check_model(data: dict, where: str, blocks: Mapping[str, Any] | None = None) -> None:
    """Raise NestedModelError naming the field when the "model" entry is malformed.
    `blocks` (the document's definitions) tell a nested model from a plain block inside."""
    if MODEL not in data:
        return
    meta, at = data[MODEL], f"{where}.{MODEL}"
    if not isinstance(meta, dict):
        raise NestedModelError(f"{at}: expected an object, received {meta!r}")
    if meta.get("class") not in (SEQUENTIAL, FUNCTIONAL):
        raise NestedModelError(f"{at}.class: expected 'Sequential' or 'Functional', "
                               f"received {meta.get('class')!r}")
    entries = meta.get("inputs", [])
    if not isinstance(entries, list) or len(entries) > len(data["inputs"]):
        raise NestedModelError(f"{at}.inputs: expected a list of at most "
                               f"{len(data['inputs'])} input entries, received {entries!r}")
    for i, entry in enumerate(entries):
        _check_input(entry, f"{at}.inputs[{i}]")
    if meta["class"] == SEQUENTIAL:
        _check_chain(data, at, blocks or {})


FUNCTIONAL_FIX = "make_nested_functional"


def functional_fix_applies(blocks: Mapping[str, Any], block: Any) -> bool:
    """Whether block `block` is a nested model its class refuses and 'Functional' takes:
    a Sequential one holding a block of several layers, or not one chain."""
    data = blocks.get(block) if isinstance(block, str) else None
    meta = model_of(data)
    if meta is None or meta.get("class") == FUNCTIONAL:
        return False
    try:
        check_model({**data, MODEL: {**meta, "class": FUNCTIONAL}}, block, blocks)
    except (NestedModelError, KeyError, TypeError):
        return False
    try:
        check_model(data, block, blocks)
    except (NestedModelError, KeyError, TypeError):
        return True
    return False


def _check_input(entry: Any, at: str) -> None:
    if not isinstance(entry, dict) or not set(entry) <= {"name", "batch_shape", "dtype"}:
        raise NestedModelError(f"{at}: expected {{'name', 'batch_shape', 'dtype'}}, "
                               f"received {entry!r}")
    name, shape = entry.get("name"), entry.get("batch_shape")
    if entry.get("dtype", "float32") not in INPUT_DTYPES:
        raise NestedModelError(f"{at}.dtype: expected one of {', '.join(INPUT_DTYPES)}, "
                               f"received {entry.get('dtype')!r}")
    if name is not None and (not isinstance(name, str) or not name or "/" in name):
        raise NestedModelError(f"{at}.name: expected a layer name, received {name!r}")
    if shape is not None and not (isinstance(shape, list) and len(shape) >= 2 and all(
            d is None or (isinstance(d, int) and not isinstance(d, bool) and d >= 0)
            for d in shape)):
        raise NestedModelError(f"{at}.batch_shape: expected [batch, dims...] with sizes >= 0 "
                               f"or null, received {shape!r}")


def _check_chain(data: dict, at: str, blocks: Mapping[str, Any]) -> None:
    """A Sequential model is one input feeding a chain of single-input layers, each node
    one Keras layer (or a nested model): it cannot list a block of several layers."""
    order = chain_order(data)
    if order is None:
        raise NestedModelError(f"{at}.class: a Sequential model must be one chain of layers "
                               "(one input, each layer feeding the next); use 'Functional'")
    nodes = {n["id"]: n for n in data["nodes"]}
    for nid in order:
        node = nodes[nid]
        several = LAYER_SPECS[node["kind"]].is_block or (
            node["kind"] == USER_BLOCK
            and not is_model_block(blocks, node.get("params", {}).get("block")))
        if several:
            raise NestedModelError(
                f"{at}.class: {node['name']!r} ({node['kind']}) is a block of several "
                "layers, which a Sequential model cannot list; make the nested model "
                "'Functional'")


def chain_order(data: Mapping[str, Any]) -> list[str] | None:
    """The inner node ids of a definition that is one chain, in order; else None."""
    ids = [n["id"] for n in data["nodes"]]
    edges = [(e["src"], e["dst"]) for e in data["edges"]]
    order = topological_order(ids, edges, stable=True)
    inputs = data["inputs"]
    if len(inputs) != 1 or len(inputs[0]) != 1 or inputs[0][0].get("port", 0) != 0 \
            or inputs[0][0]["node"] != order[0]:
        return None
    wanted = list(zip(order, order[1:], strict=False))
    ports_ok = all(e["src_port"] == 0 and e["dst_port"] == 0 for e in data["edges"])
    outs = data["outputs"] if "outputs" in data else [data["output"]]
    if sorted(edges) != sorted(wanted) or not ports_ok or len(outs) != 1 \
            or outs[0]["node"] != order[-1] or outs[0].get("port", 0) != 0:
        return None
    return order


def instance_spec(spec: LayerSpec) -> LayerSpec:
    """The bound spec of a nested-model block: `trainable` added, frozen counts applied."""
    return dataclasses.replace(spec, params=(*spec.params, TRAINABLE),
                               count=frozen_count(spec.count))


def shared_call_spec(blocks: Mapping[str, Any], owner, node, bound) -> LayerSpec:
    """The spec of a SharedCall node that calls a user block instance again.

    `bound(blocks, name)` is `userblocks.bound_spec`. Only a nested model is one object
    that can be called twice; a plain block makes new layers at each use.
    """
    block = owner.params.get("block")
    if not is_model_block(blocks, block):
        return dataclasses.replace(shared.SPEC, shape=_refuse(
            f"{node.name!r} (SharedCall) calls {owner.name!r}, a block that is not a nested "
            "model: its layers are made anew at each use. Expected a nested-model block "
            "(one model object, called again with the same weights)"))
    spec = bound(blocks, block)
    try:
        values = spec.resolve(owner.params)
    except KerasCanvasError:
        return dataclasses.replace(shared.SPEC, shape=_refuse(
            f"{node.name!r} (SharedCall) calls {owner.name!r}, whose params have errors; "
            "fix those first"))

    def shape(params, inputs):
        return spec.shape(values, inputs)

    return dataclasses.replace(shared.SPEC, shape=shape, count=no_weights,
                               min_inputs=spec.min_inputs, max_inputs=spec.max_inputs,
                               outputs=spec.outputs)


def _refuse(message: str):
    def shape(params, inputs):
        raise ShapeError(message)
    return shape


def owner_is_block(nodes: Mapping[str, Any], node) -> bool:
    """Whether a SharedCall node's owner is a user block instance."""
    owner = nodes.get(shared.owner_id(node)) if isinstance(shared.owner_id(node), str) \
        else None
    return owner is not None and owner.kind == USER_BLOCK
