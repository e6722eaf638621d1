"""Shared layers in generated code: one layer object, named once, called at each site.

A node whose layer other nodes call again (SharedCall nodes, see
`graph.layers.shared`) is written as a layer variable, then one call per use:

    embed_layer = layers.Embedding(input_dim=100, output_dim=8, name='embed')
    embed = embed_layer(first)
    embed_call1 = embed_layer(second)

Each call passes its own call keywords (`emb_layer(x, reverse=True)` for tied
embeddings), which a call site may set apart from its owner.

The subclass style keeps the layer in one attribute and calls it in `call()` at
each site. A Sequential model cannot call a layer twice, so that style refuses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kerascanvas.graph.document import Document
from kerascanvas.graph.layers.shared import KIND, OWNER_PARAM
from kerascanvas.graph.spec import APPLICATION, USER_BLOCK, LayerSpec, get_spec
from kerascanvas.graph.userblocks import returns_list

from . import application, nested
from .emit import call_suffix, constructor, flat_call, pack, targets
from .naming import Namer


@dataclass(frozen=True)
class SharedLayer:
    """The owner of a layer called at several places: what its constructor needs.

    Attributes:
        name: the owner node's name (the Keras layer name).
        spec: the owner's LayerSpec.
        kwargs: its non-default params (what the constructor passes).
        params: its resolved params.
        var: the variable (or attribute stem) holding the layer object.
        make: for a nested model (a nested-model block or a keras.applications base), the
            statements that make it: (indent, target) -> lines.
    """

    name: str
    spec: LayerSpec
    kwargs: dict[str, Any]
    params: dict[str, Any]
    var: str
    make: Callable[[str, str], list[str]] | None = None
    listed: bool = False  # a nested model giving a list of one tensor


def shared_layers(doc: Document, steps, results, namer: Namer, helpers: dict[str, str],
                  float32: frozenset[str] = frozenset()) -> dict[str, SharedLayer]:
    """Owner id -> SharedLayer for every owner a call site among `steps` calls.

    An owner named in `float32` (an output layer under mixed precision) gets dtype='float32'.
    """
    owners = dict.fromkeys(s.node.params[OWNER_PARAM] for s in steps if s.node.kind == KIND)
    out = {}
    for owner_id in owners:
        node = doc.nodes[owner_id]
        if node.kind in (USER_BLOCK, APPLICATION):  # a nested model, made once
            out[owner_id] = _shared_model(doc, steps, node, namer, helpers)
            continue
        spec = get_spec(node.kind)
        kwargs = spec.non_default(node.params)
        if node.name in float32:
            kwargs["dtype"] = "float32"
        out[owner_id] = SharedLayer(node.name, spec, kwargs,
                                    dict(results[owner_id].params),
                                    namer.take(f"{node.name}_layer"))
    return out


def _shared_model(doc: Document, steps, node, namer: Namer, helpers) -> SharedLayer:
    step = next(s for s in steps if s.node.id == node.id)
    kwargs = {k: v for k, v in step.kwargs.items() if k != "block"}
    if node.kind == APPLICATION:
        def make(indent: str, target: str) -> list[str]:
            return application.construct_lines(target, step, indent)
    else:
        helper = helpers[node.params["block"]]

        def make(indent: str, target: str) -> list[str]:
            return nested.construct_lines(helper, kwargs, node.name, indent, target)
    listed = node.kind != APPLICATION and returns_list(doc.blocks[node.params["block"]])
    return SharedLayer(node.name, step.spec, kwargs, dict(step.params),
                       namer.take(f"{node.name}_model"), make, listed)


def owner_of(shared: dict[str, SharedLayer], step) -> SharedLayer | None:
    """The shared layer a step calls: its own when it is an owner, else its owner's."""
    if step.node.kind == KIND:
        return shared[step.node.params[OWNER_PARAM]]
    return shared.get(step.node.id)


def construct_line(layer: SharedLayer, indent: str, target: str) -> str:
    """`target = layers.Kind(..., name=...)`: the one constructor of a shared layer."""
    if layer.make is not None:
        return "\n".join(layer.make(indent, target))
    return constructor(layer.spec, layer.kwargs, layer.name, indent, f"{target} = ",
                       params=layer.params)


def call_line(layer: SharedLayer, step, indent: str, callee: str, eager: bool = False) -> str:
    """`outputs = callee(inputs)` for one use of a shared layer. `eager`: in a subclassed
    model's call(), where a nested model giving a list of one tensor gives the tensor
    alone (Keras unpacks it outside symbolic calls), so the result is flattened first."""
    suffix = f"({pack(list(step.inputs))})" if layer.make is not None \
        else call_suffix(layer.spec, step.inputs, _this_call(layer, step))
    if layer.listed and eager:
        return f"{indent}{targets(step.outputs, True)}keras.tree.flatten({callee}{suffix})"
    head, tail = flat_call(layer.spec, _this_call(layer, step), "", suffix)
    return f"{indent}{targets(step.outputs, layer.listed)}{head}{callee}{tail}"


def _this_call(layer: SharedLayer, step) -> dict[str, Any]:
    """The owner's params with this use's own call keywords (`emb(x, reverse=True)`)."""
    mine = step.params or {}
    return {**layer.params, **{k: mine[k] for k in layer.spec.call_params if k in mine}}


def functional_lines(layer: SharedLayer, step, indent: str, created: set[str]) -> list[str]:
    """The constructor (first use only), then this use's call, for the functional style."""
    lines = [] if layer.var in created else [construct_line(layer, indent, layer.var)]
    created.add(layer.var)
    return [*lines, call_line(layer, step, indent, layer.var)]
