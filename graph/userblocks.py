"""User-defined blocks: a sub-graph saved once in `doc.blocks`, placed as instance nodes.

A definition is plain JSON in the project file's "blocks" section::

    "blocks": {"conv_bn": {
        "nodes":  [{"id": "n2", "kind": "Conv2D", "name": "conv", "params": {...}}, ...],
        "edges":  [{"src": "n2", "src_port": 0, "dst": "n3", "dst_port": 0}, ...],
        "inputs": [[{"node": "n2", "port": 0}]],      # per block input: inner ports it feeds
        "output": {"node": "n4", "port": 0},          # the inner output that leaves the block
                                # (or "outputs": [{...}, ...], one per instance output port)
        "params": {"filters": {"node": "n2", "param": "filters", "default": 32}},
        "doc": "Conv, batch norm, ReLU"}}

An instance is a node of kind "UserBlock" with params {"block": "conv_bn", "filters": 64}
(exposed params left out take the definition's default). Instances share the
definition, so editing it (`userblock_commands.SetBlockDefinition`) changes every instance.

The table entry "UserBlock" cannot know a document's definitions, so inference
asks `bound_spec(doc.blocks, name)` for a LayerSpec made from the definition: its
params are "block" plus the exposed params (typed like the inner params they
set), and its shape and count rules run the inner nodes' own rules in order.
Runtime and codegen inline instances the same way: inner layers are named
f"{instance}_{inner}" (`flatten`), nested blocks give f"{outer}_{inner}_{leaf}".

Shared layers (SharedCall nodes calling an inner node) and keras.applications bases may
sit inside nested-model blocks; `graph.blockcheck` holds the checks of a definition.

Making a block from a selection, editing definitions and the block library are
undoable commands in `graph.userblock_commands`.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from . import nested
from .blockcheck import (  # noqa: F401 - the checks' public names, kept importable here
    BlockDefinitionError,
    call_order,
    check_definition,
    output_refs,
    returns_list,
    with_outputs,
)
from .document import Document, Edge, output_entry
from .errors import KerasCanvasError, ParamError, ShapeError
from .layers import custom, shared
from .params import ParamSpec, to_json
from .spec import LAYER_SPECS, USER_BLOCK, LayerSpec, Shape, register

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
        return _trace(key, name, _values_key(resolved), _shapes_key(inputs),
                      custom.cache_token() if has_custom else None)[0]

    def count(resolved, inputs):
        return _trace(key, name, _values_key(resolved), _shapes_key(inputs),
                      custom.cache_token() if has_custom else None)[1]

    n_in, n_out = len(definition["inputs"]), len(output_refs(definition))
    spec = LayerSpec(kind=KIND, category="Blocks", composite=True,
                     doc=definition.get("doc") or f"Block {name}",
                     params=params, shape=shape, count=count, min_inputs=n_in, max_inputs=n_in,
                     outputs=lambda resolved: n_out, keras_module="")
    return nested.instance_spec(spec) if nested.model_of(definition) else spec


def _refuse(message: str):
    def shape(params, inputs):
        raise ShapeError(message)
    return shape


@dataclass(frozen=True)
class InnerNode:
    """A definition's node seen as a document node (what the binding functions read)."""

    id: str
    kind: str
    name: str
    params: dict

    @property
    def spec(self) -> LayerSpec:
        return LAYER_SPECS[self.kind]


def inner_nodes(definition: Mapping[str, Any],
                params: Mapping[str, dict] | None = None) -> dict[str, InnerNode]:
    """The definition's nodes by id, with `params` (by id) in place of the stored ones."""
    return {n["id"]: InnerNode(n["id"], n["kind"], n["name"],
                               dict(params[n["id"]] if params else n.get("params", {})))
            for n in definition["nodes"]}


def _inner_spec(blocks: Mapping[str, Any], node: Mapping[str, Any],
                nodes: Mapping[str, InnerNode] | None = None) -> LayerSpec:
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


def _values_key(resolved: Mapping[str, Any]) -> str:
    return json.dumps({k: to_json(v) for k, v in resolved.items()}, sort_keys=True)


def _shapes_key(inputs: Sequence[Shape]) -> tuple:
    return tuple(tuple(s) for s in inputs)


def inner_params(definition: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, dict]:
    """The params of each inner node (by id) once the instance's exposed values are applied."""
    out = {n["id"]: dict(n.get("params", {})) for n in definition["nodes"]}
    for key, ref in definition.get("params", {}).items():
        if key in values:
            out[ref["node"]][ref["param"]] = to_json(values[key])
    return out


@lru_cache(maxsize=1024)
def _trace(key: str, name: str, values: str, inputs: tuple, custom_token=None):
    """(output shape, (trainable, non_trainable)) of one instance; ShapeError names the node.

    `custom_token` (`custom.cache_token`) keys a block with custom code inside by the trust
    and Keras' answers it was traced with."""
    blocks = json.loads(key)
    definition = blocks[name]
    params = inner_params(definition, json.loads(values))
    nodes = {n["id"]: n for n in definition["nodes"]}
    if len(inputs) != len(definition["inputs"]):
        raise ShapeError(f"Block {name} takes {len(definition['inputs'])} input(s). "
                         f"Received {len(inputs)}")
    feeds: dict[tuple[str, int], Shape] = {}
    for shape, targets in zip(inputs, definition["inputs"], strict=True):
        for ref in targets:
            feeds[(ref["node"], ref.get("port", 0))] = shape
    outputs: dict[str, list[Shape]] = {}
    total = [0, 0]
    bound = inner_nodes(definition, params)
    stopped: custom.CustomShapeError | None = None  # code that cannot run, shapes recorded
    for nid in call_order(definition):
        for e in definition["edges"]:
            if e["dst"] == nid:
                feeds[(nid, e["dst_port"])] = outputs[e["src"]][e["src_port"]]
        node = nodes[nid]
        ports = sorted(p for (n, p) in feeds if n == nid)
        ins = [feeds[(nid, p)] for p in ports]
        spec = _inner_spec(blocks, node, bound)
        try:
            resolved = spec.resolve(params[nid])
            outputs[nid] = spec.output_shapes(resolved, ins)
            trainable, frozen = spec.count(resolved, ins)
        except custom.CustomShapeError as exc:  # trust, Keras' answer: the code stays
            error = custom.CustomShapeError(f"{node['name']}: {exc}", exc.code)
            outputs[nid] = _recorded_inner(node, resolved, ins, exc)
            if outputs[nid] is None:
                raise error from None
            stopped, (trainable, frozen) = stopped or error, _inner_count(node, resolved, exc)
        except (KerasCanvasError, IndexError) as exc:
            raise ShapeError(f"{node['name']}: {exc}", port=0) from None
        total = None if total is None or trainable is None else \
            [total[0] + trainable, total[1] + frozen]
    shapes = [_output_shape(definition, i, nodes, outputs) for i in
              range(len(output_refs(definition)))]
    if stopped is not None:  # the issue stays; the shapes after the block are known
        stopped.recorded, stopped.count = shapes, None if total is None else tuple(total)
        raise stopped
    return (shapes[0] if len(shapes) == 1 else shapes), (total[0], total[1])


def _inner_count(node: Mapping[str, Any], resolved, exc: custom.CustomShapeError) -> tuple:
    """(trainable, non_trainable) of an inner node whose code cannot run; (None, None)
    when unknown."""
    found = exc.count if node["kind"] == KIND else custom.recorded_count(resolved)
    return found if found is not None else (None, None)


def _recorded_inner(node: Mapping[str, Any], resolved, inputs: list,
                    exc: custom.CustomShapeError) -> list | None:
    """The output shapes Keras recorded for an inner node whose code cannot run (a
    CustomLayer's `output_shapes`, or an inner block's), else None."""
    if exc.code not in custom.CODE_ISSUES:
        return None
    if exc.recorded is not None:
        return list(exc.recorded)
    return custom.recorded_outputs(resolved, inputs) if node["kind"] == custom.KIND else None


def _output_shape(definition, i: int, nodes, outputs) -> Shape:
    ref = output_refs(definition)[i]
    made, port = outputs[ref["node"]], ref.get("port", 0)
    if port >= len(made):
        field = f"outputs[{i}]" if "outputs" in definition else "output"
        raise ShapeError(f"{field} reads port {port} of {nodes[ref['node']]['name']!r}, which "
                         f"has {len(made)} output port(s) (0 to {len(made) - 1})", port=0)
    return made[port]


def definition_of(doc: Document, name: str) -> dict:
    """A deep copy of a definition (editors change the copy, then `SetBlockDefinition`)."""
    return copy.deepcopy(doc.blocks[name])


def instances(doc: Document, name: str) -> list[str]:
    """Ids of the document's nodes that are instances of block `name`."""
    return [n.id for n in doc.nodes.values()
            if n.kind == KIND and n.params.get("block") == name]


def bind(doc: Document, node) -> LayerSpec:
    """The spec inference uses for `node`: bound to a definition for UserBlock nodes, to
    the owner's rules for SharedCall nodes."""
    return bind_in(doc.blocks, doc.nodes, node)


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


def spec_for_display(doc: Document, node) -> LayerSpec:
    """`bind`, or the plain table entry when the definition or owner is missing or broken
    (views still need ports and editors for a node whose definition fails validation)."""
    try:
        return bind(doc, node)
    except Exception:  # noqa: BLE001 - the issue itself is reported by validation
        return node.spec


def flatten(doc: Document, keep_models: bool = False) -> Document:
    """A copy of `doc` where every UserBlock instance is replaced by its inner nodes.

    Inner nodes are named f"{instance}_{inner}" and carry the instance's values,
    nested blocks are inlined in turn, so building the copy gives exactly the
    layers the generated helper functions make. Other nodes keep their ids.
    With `keep_models`, instances of nested-model blocks stay (the build makes each
    one a nested keras.Model); their contents are flattened when they are built.

    Raises:
        BlockDefinitionError: an instance names a missing or malformed definition.
    """
    flat = Document()
    flat.training, flat.ui, flat.blocks = doc.training, {}, doc.blocks
    nodes = [(n.id, n.kind, n.name, n.params) for n in doc.nodes.values()]
    edges = list(doc.edges)
    outputs = doc.output_refs()

    def inlined(kind, params) -> bool:
        return kind == KIND and not (keep_models and nested.is_model_block(
            doc.blocks, params.get("block")))

    while any(inlined(kind, params) for _, kind, _, params in nodes):
        nodes, edges, outputs = _inline_once(doc.blocks, nodes, edges, outputs, inlined)
    for nid, kind, name, params in nodes:
        flat.add_node(kind, name, params, node_id=nid)
    for e in edges:
        flat.connect(e)
    flat.outputs = [output_entry(nid, port) for nid, port in outputs]
    return flat


def _inline_once(blocks, nodes, edges, outputs, inlined):
    """Inline every UserBlock of one level; nested instances come out for the next pass.

    A SharedCall of an instance inlined here becomes a copy of its inner graph whose every
    node calls the instance's own inlined node again (the weights stay the instance's)."""
    new_nodes, new_edges, sources, sinks = [], [], {}, {}
    owners = {nid: params for nid, kind, _, params in nodes if inlined(kind, params)}
    for nid, kind, name, params in nodes:
        owner = params.get(shared.OWNER_PARAM) if kind == shared.KIND else None
        if not inlined(kind, params) and owner not in owners:
            new_nodes.append((nid, kind, name, params))
            continue
        block = (owners[owner] if owner is not None else params).get("block")
        if block not in blocks:
            raise BlockDefinitionError(f"no block definition named {block!r}", f"{name}.block")
        check_definition(block, blocks[block], blocks)
        definition = blocks[block]
        if owner is None:
            values = bound_spec(blocks, block).resolve(params)
            inner = inner_params(definition, values)
            new_nodes += [(f"{nid}.{n['id']}", n["kind"], f"{name}_{n['name']}",
                           _prefixed_owner(n["kind"], inner[n["id"]], nid))
                          for n in definition["nodes"]]
        else:
            new_nodes += [(f"{nid}.{n['id']}", shared.KIND, f"{name}_{n['name']}",
                           {shared.OWNER_PARAM: _called(n, owner)}) for n in definition["nodes"]]
        new_edges += [Edge(f"{nid}.{e['src']}", e["src_port"], f"{nid}.{e['dst']}",
                           e["dst_port"]) for e in definition["edges"]]
        for port, targets in enumerate(definition["inputs"]):
            sinks[(nid, port)] = [(f"{nid}.{t['node']}", t.get("port", 0)) for t in targets]
        for port, out in enumerate(output_refs(definition)):
            sources[(nid, port)] = (f"{nid}.{out['node']}", out.get("port", 0))
    for e in edges:
        src, src_port = sources.get((e.src, e.src_port), (e.src, e.src_port))
        for dst, dst_port in sinks.get((e.dst, e.dst_port), [(e.dst, e.dst_port)]):
            new_edges.append(Edge(src, src_port, dst, dst_port))
    return new_nodes, new_edges, [sources.get(ref, ref) for ref in outputs]


def _called(node: Mapping[str, Any], instance: str) -> str:
    """The inlined node of `instance` that a shared copy of inner `node` calls: its own,
    or, for an inner SharedCall, the one it calls."""
    own = node.get("params", {}).get(shared.OWNER_PARAM) if node["kind"] == shared.KIND \
        else node["id"]
    return f"{instance}.{own}"


def _prefixed_owner(kind: str, params: dict, instance: str) -> dict:
    """An inlined SharedCall calls the inlined owner, whose id took the instance prefix."""
    if kind != shared.KIND:
        return params
    return {**params, shared.OWNER_PARAM: f"{instance}.{params[shared.OWNER_PARAM]}"}


def model_document(blocks: Mapping[str, Any], params: Mapping[str, Any], name: str,
                   input_shapes: Sequence[Sequence]) -> Document:
    """A nested-model instance as a document of its own, as `keras.Model(inputs, outputs)`
    builds it: an Input per block input (named and shaped as the model's own, first in
    order), the inner nodes with the instance's values, and the definition's outputs.

    `input_shapes` stand in for Input shapes the definition does not record. Nested
    blocks inside stay instances (each its own nested model).
    """
    definition = blocks[params["block"]]
    meta = nested.model_of(definition) or {}
    values = inner_params(definition, bound_spec(blocks, params["block"]).resolve(params))
    doc = Document()
    doc.blocks = dict(blocks)
    for n in definition["nodes"]:
        doc.add_node(n["kind"], n["name"], values[n["id"]], node_id=n["id"])
    for e in definition["edges"]:
        doc.connect(Edge(e["src"], e["src_port"], e["dst"], e["dst_port"]))
    for port, ports in enumerate(definition["inputs"]):
        shape = nested.input_batch_shape(meta, port, input_shapes[port])
        source = doc.add_node("Input", doc.unique_name(nested.input_name(meta, name, port)),
                              _input_params(shape), node_id=f"input:{port}", index=port)
        for t in ports:
            doc.connect(Edge(source.id, 0, t["node"], t.get("port", 0)))
    doc.outputs = [output_entry(r["node"], r.get("port", 0)) for r in output_refs(definition)]
    return doc


def _input_params(batch_shape: Sequence) -> dict:
    params: dict[str, Any] = {"shape": list(batch_shape[1:])}
    if batch_shape[0] is not None:
        params["batch_size"] = batch_shape[0]
    return params
