"""SharedCall: one more call of a layer another node owns, so both calls share its weights.

In Keras one layer object may be called on several tensors: `embed(x1)` and
`embed(x2)` use the same weights. The document keeps such a layer as ONE node
(the owner, e.g. an Embedding named "embed") plus a SharedCall node per further
call, whose param "layer" holds the owner's node id:

    {"id": "n5", "kind": "SharedCall", "name": "embed_call1", "params": {"layer": "n2"}}

A call site has no weights of its own and no constructor params: its shape rule
is the owner's rule run on the call site's inputs with the owner's params, and it
counts 0 weights (the owner counts them once). The table entry cannot see the
owner, so inference asks `bound_spec(nodes, node)` for the spec bound to it.

The one thing a call site may set is its own value of each of the owner's call
keywords (`LayerSpec.call_params`): tied embeddings call a ReversibleEmbedding
as `emb(x, reverse=True)` after `emb(ids)`:

    {"id": "n5", "kind": "SharedCall", "name": "emb_call1",
     "params": {"layer": "n2", "reverse": true}}

A keyword the call site does not store takes the owner's value (files written
before call sites had keywords of their own called them the owner's way).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import KerasCanvasError, ShapeError
from ..params import ParamSpec
from ..spec import (
    INPUT,
    KIND_ALIASES,
    LAYER_SPECS,
    SHARED_CALL,
    LayerSpec,
    no_weights,
    register,
)

KIND = SHARED_CALL
OWNER_PARAM = "layer"
# Owners must be one Keras object: built-in blocks build several layers, and an Input or
# another call site owns none. A keras.applications base is one nested model, and a user
# block instance may be called again when it is a nested model (graph.nested checks it).
_NOT_SHAREABLE = frozenset({INPUT, KIND})


def _unbound_shape(params, inputs):
    raise ShapeError("A SharedCall is inferred from the node it shares; use "
                     "graph.layers.shared.bound_spec(doc.nodes, node)")


# Category "Blocks": like Application and UserBlock, its rules depend on the document,
# so it is tested on its own rather than against a keras.layers class.
SPEC = register(LayerSpec(
    kind=KIND, category="Blocks",
    doc="Calls the layer of another node again: one layer, shared weights",
    params=(ParamSpec(OWNER_PARAM, "str", initial="",
                      doc="The node whose layer this node calls (the file holds its id)"),),
    shape=_unbound_shape, min_inputs=1, max_inputs=8, keras_module="",
))


def owner_id(node) -> Any:
    """The id the call site names as its owner (whatever is stored)."""
    return node.params.get(OWNER_PARAM)


def can_own(owner) -> bool:
    """Whether a SharedCall may call `owner`'s layer again (`owner_problem` says why not):
    a single layer or a nested model, not an Input, a built-in block, an operation or
    another call site."""
    kind = KIND_ALIASES.get(owner.kind, owner.kind)
    spec = LAYER_SPECS.get(kind)
    return (spec is not None and not spec.is_block and kind not in _NOT_SHAREABLE
            and spec.category != "Operations")


def owner_problem(nodes: Mapping[str, Any], node) -> str | None:
    """Why the call site's owner cannot be called, or None when it can."""
    owner = nodes.get(owner_id(node)) if isinstance(owner_id(node), str) else None
    if owner is None:
        return (f"{node.name!r} (SharedCall) calls the layer of node {owner_id(node)!r}, "
                "which is not in the graph (was it removed?). Expected the id of the node "
                "that owns the layer")
    kind = KIND_ALIASES.get(owner.kind, owner.kind)
    spec = LAYER_SPECS.get(kind)
    if spec is None or spec.is_block or kind in _NOT_SHAREABLE:
        return (f"{node.name!r} (SharedCall) calls {owner.name!r} ({owner.kind}). Expected a "
                "single layer or a nested model: Inputs, built-in blocks and other "
                "SharedCall nodes cannot be shared")
    if spec.category == "Operations":
        return (f"{node.name!r} (SharedCall) calls {owner.name!r} ({owner.kind}), an "
                "operation: it has no layer object or weights to share. Place another "
                f"{owner.kind} node instead")
    return None


def bound_spec(nodes: Mapping[str, Any], node) -> LayerSpec:
    """The call site's spec: the owner's ports and shape rule (with the owner's params),
    no weights. A missing or unshareable owner gives a spec whose shape rule says why."""
    problem = owner_problem(nodes, node)
    if problem is not None:
        return dataclasses.replace(SPEC, shape=_refuse(problem))
    owner = nodes[owner_id(node)]
    owner_spec = LAYER_SPECS[KIND_ALIASES.get(owner.kind, owner.kind)]
    try:
        owner_params = owner_spec.resolve(owner.params)
    except KerasCanvasError:
        return dataclasses.replace(SPEC, shape=_refuse(
            f"{node.name!r} (SharedCall) calls {owner.name!r}, whose params have errors; "
            "fix those first"))

    keywords = _keyword_specs(owner_spec, owner_params)

    def shape(params, inputs):
        return owner_spec.shape(_with_keywords(owner_params, keywords, params), inputs)

    return dataclasses.replace(
        SPEC, params=(*SPEC.params, *keywords), shape=shape, count=no_weights,
        min_inputs=owner_spec.min_ports(owner_params),
        max_inputs=owner_spec.max_ports(owner_params),
        input_names=_port_names(owner_spec, owner_params),
        outputs=lambda params: owner_spec.outputs(
            _with_keywords(owner_params, keywords, params)))


def _keyword_specs(spec: LayerSpec, owner_params: Mapping[str, Any]) -> tuple[ParamSpec, ...]:
    """The owner's call keywords as params of the call site, defaulting to the owner's
    values (a call site that stores none is called the owner's way)."""
    return tuple(dataclasses.replace(p, default=owner_params[p.name], doc=(
        f"{p.doc} (this call; the owner's value unless set)"))
        for p in spec.params if p.name in spec.call_params and p.name in owner_params)


def _with_keywords(owner_params: Mapping[str, Any], keywords: tuple[ParamSpec, ...],
                   params: Mapping[str, Any] | None) -> dict[str, Any]:
    """The owner's params with this call's keyword values."""
    mine = params or {}
    return {**owner_params, **{p.name: mine[p.name] for p in keywords if p.name in mine}}


def call_params(nodes: Mapping[str, Any], node) -> dict[str, Any]:
    """The resolved params a call site calls its owner's layer with: the owner's, with the
    call site's own call keywords (raises ParamError on a bad value)."""
    owner, spec = owner_spec(nodes, node)
    owner_params = spec.resolve(owner.params)
    keywords = _keyword_specs(spec, owner_params)
    mine = dataclasses.replace(SPEC, params=(*SPEC.params, *keywords)).resolve(node.params)
    return _with_keywords(owner_params, keywords, mine)


def call_keyword(nodes: Mapping[str, Any], node, name: str) -> bool:
    """Whether `name` is a call keyword the call site may hold: one of its owner's, or
    one it holds already (so that it can be taken away again)."""
    owner = nodes.get(owner_id(node)) if isinstance(owner_id(node), str) else None
    spec = LAYER_SPECS.get(KIND_ALIASES.get(owner.kind, owner.kind)) if owner else None
    return name in node.params or (spec is not None and name in spec.call_params)


def own_keywords(spec: LayerSpec, owner_params: Mapping[str, Any],
                 call_values: Mapping[str, Any]) -> dict[str, Any]:
    """The call keywords a call site stores: those whose value differs from the owner's
    (both as stored: an absent keyword has Keras' default)."""
    out = {}
    for p in spec.params:
        if p.name in spec.call_params:
            mine = call_values.get(p.name, p.default)
            if mine != owner_params.get(p.name, p.default):
                out[p.name] = mine
    return out


def _port_names(spec: LayerSpec, params: Mapping[str, Any]) -> tuple[str, ...]:
    """The owner's input port labels, its keyword ports (initial states) included."""
    if spec.max_inputs is None or not (spec.input_names or spec.keyword_port_names(params)):
        return spec.input_names
    return tuple(spec.port_name(p, params) for p in range(spec.max_ports(params)))


def _refuse(message: str):
    def shape(params, inputs):
        raise ShapeError(message)
    return shape


def call_sites(nodes: Mapping[str, Any], owners: Iterable[str] | None = None) -> list[str]:
    """Ids of the SharedCall nodes calling one of `owners` (any owner, even a missing
    one, when None); a change of an owner's params must re-infer them."""
    wanted = None if owners is None else set(owners)
    return [nid for nid, n in nodes.items()
            if n.kind == KIND and (wanted is None or owner_id(n) in wanted
                                   or owner_id(n) not in nodes)]


def owner_spec(nodes: Mapping[str, Any], node) -> tuple[Any, LayerSpec]:
    """(owner node, owner's LayerSpec) of a call site whose owner is sound."""
    owner = nodes[owner_id(node)]
    return owner, LAYER_SPECS[KIND_ALIASES.get(owner.kind, owner.kind)]


def weights_problem(nodes: Mapping[str, Any], node, results: Mapping[str, Any]) -> str | None:
    """Why the owner's weights cannot serve the call site's inputs, or None.

    Keras builds a layer's weights at its first call, from that call's input
    shapes; a later call must fit them. Weight shapes follow from the input
    dimensions the count rule reads, so equal counts on both inputs mean they fit.
    """
    if owner_problem(nodes, node) is not None:
        return None
    owner, spec = owner_spec(nodes, node)
    mine, theirs = results.get(node.id), results.get(owner.id)
    if mine is None or theirs is None or theirs.params is None or not theirs.ok:
        return None
    if not mine.input_shapes or len(mine.input_shapes) != len(theirs.input_shapes):
        return None
    try:
        built = spec.count(theirs.params, list(theirs.input_shapes))
        wanted = spec.count(theirs.params, list(mine.input_shapes))
    except Exception:  # noqa: BLE001 - the shape rule reports unfit inputs itself
        return None
    if built == wanted:
        return None
    return (f"{node.name!r} (SharedCall) calls {owner.name!r}, whose weights were made for "
            f"inputs {list(theirs.input_shapes)} ({sum(built)} weights). Received inputs "
            f"{list(mine.input_shapes)}, which would need {sum(wanted)} weights. Expected "
            "inputs the same weights fit")
