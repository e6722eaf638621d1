"""A user block definition bound to a LayerSpec, and the "UserBlock" table entry.

The table entry cannot know a document's definitions, so inference asks
`bound_spec(doc.blocks, name)` for a LayerSpec made from the definition: its params are
"block" plus the exposed params (typed like the inner params they set), and its shape
and count rules trace the inner nodes (`userblock_trace`). `bind_in` gives the spec of
any node among a document's or a definition's nodes: bound for UserBlock instances, the
owner's rules for SharedCall nodes.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from . import nested
from .blockcheck import BlockDefinitionError, check_definition, output_refs
from .errors import ParamError, ShapeError
from .layers import custom, shared
from .params import ParamSpec, to_json
from .spec import LAYER_SPECS, USER_BLOCK, LayerSpec, register
from .userblock_trace import InnerNode, shapes_key, trace, values_key

KIND = USER_BLOCK


@dataclass(frozen=True)
class UnboundSpec(LayerSpec):
    """The table entry: it accepts any exposed param; inference binds it to a definition."""

    def param(self, name: str) -> ParamSpec:
        try:
            return super().param(name)
        except KeyError:
            return ParamSpec(name, "json", default=None, allow_none=True)


def _unbound_shape(params, inputs):
    raise ShapeError("A UserBlock is inferred from the document's block definitions; "
                     "use graph.userblocks.bound_spec(doc.blocks, name)")


register(UnboundSpec(
    kind=KIND, category="Blocks", composite=True,
    doc="An instance of one of the document's own blocks",
    params=(ParamSpec("block", "str", initial="", doc="Name of the block definition"),),
    shape=_unbound_shape, min_inputs=1, max_inputs=8, keras_module="",
))


# ---- binding a definition to a LayerSpec ---------------------------------------
def blocks_key(blocks: Mapping[str, Any]) -> str:
    """A hashable snapshot of the definitions (what the caches are keyed by)."""
    return json.dumps(blocks, sort_keys=True, default=to_json)


def bound_spec(blocks: Mapping[str, Any], name: Any) -> LayerSpec:
    """The LayerSpec of instances of block `name`, made from its definition.

    An unknown or malformed definition gives a spec whose shape rule reports why.
    """
    return _bound(blocks_key(blocks), name if isinstance(name, str) else repr(name))


@lru_cache(maxsize=256)
def _bound(key: str, name: str) -> LayerSpec:
    blocks = json.loads(key)
    base = LAYER_SPECS[KIND]
    try:
        if name not in blocks:
            known = ", ".join(sorted(blocks)) or "none"
            raise BlockDefinitionError(f"no block definition named {name!r}. Known: {known}")
        check_definition(name, blocks[name], blocks)
        definition = blocks[name]
        params = (base.params[0], *_exposed_specs(blocks, definition))
    except (BlockDefinitionError, ParamError, KeyError) as exc:
        return dataclasses.replace(base, shape=_refuse(str(exc)))

    has_custom = name in custom.blocks_with_custom(blocks)  # its trace reads trust, answers

    def shape(resolved, inputs):
        return _trace(key, name, resolved, inputs, has_custom)[0]

    def count(resolved, inputs):
        return _trace(key, name, resolved, inputs, has_custom)[1]

    n_in, n_out = len(definition["inputs"]), len(output_refs(definition))
    spec = LayerSpec(kind=KIND, category="Blocks", composite=True,
                     doc=definition.get("doc") or f"Block {name}",
                     params=params, shape=shape, count=count, min_inputs=n_in, max_inputs=n_in,
                     outputs=lambda resolved: n_out, keras_module="")
    return nested.instance_spec(spec) if nested.model_of(definition) else spec


def _trace(key: str, name: str, resolved: Mapping[str, Any], inputs, has_custom: bool) -> tuple:
    return trace(_inner_spec, key, name, values_key(resolved), shapes_key(inputs),
                 custom.cache_token() if has_custom else None)


def inner_records(blocks: Mapping[str, Any], resolved: Mapping[str, Any],
                  inputs) -> tuple:
    """(inner node id, resolved params, input shapes, weight count) of each inner node of
    an instance whose bound params are `resolved` (its "block" among them), in call order.

    Raises:
        ShapeError, KerasCanvasError: the instance cannot be traced (inference says why).
    """
    name = resolved["block"]
    return _trace(blocks_key(blocks), name, resolved, inputs,
                  name in custom.blocks_with_custom(blocks))[2]


def _refuse(message: str):
    def shape(params, inputs):
        raise ShapeError(message)
    return shape


def _inner_spec(blocks: Mapping[str, Any], node: Mapping[str, Any],
                nodes: Mapping[str, InnerNode] | None = None) -> LayerSpec:
    """The spec an inner node of a definition follows."""
    if node["kind"] == KIND:
        return bound_spec(blocks, node.get("params", {}).get("block"))
    if node["kind"] == shared.KIND and nodes is not None:
        return bind_in(blocks, nodes, nodes[node["id"]])
    return LAYER_SPECS[node["kind"]]


def _exposed_specs(blocks: Mapping[str, Any], definition: Mapping[str, Any]) -> list[ParamSpec]:
    nodes = {n["id"]: n for n in definition["nodes"]}
    out = []
    for key, ref in definition.get("params", {}).items():
        inner = _inner_spec(blocks, nodes[ref["node"]]).param(ref["param"])
        default = inner.coerce(ref.get("default", inner.start_value()))
        out.append(dataclasses.replace(inner, name=key, default=default, initial=None))
    return out


def bind_in(blocks: Mapping[str, Any], nodes: Mapping[str, Any], node) -> LayerSpec:
    """`bind` for a node among `nodes` (a document's, or a definition's `inner_nodes`)."""
    if node.kind == KIND:
        return bound_spec(blocks, node.params.get("block"))
    if node.kind == shared.KIND and nested.owner_is_block(nodes, node):
        owner = nodes[shared.owner_id(node)]
        return nested.shared_call_spec(blocks, owner, node, bound_spec)
    if node.kind == shared.KIND:
        return shared.bound_spec(nodes, node)
    return node.spec
