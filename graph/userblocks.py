"""User-defined blocks: a sub-graph saved once in `doc.blocks`, placed as instance nodes.

A definition is plain JSON in the project file's "blocks" section::

    "blocks": {"conv_bn": {
        "nodes":  [{"id": "n2", "kind": "Conv2D", "name": "conv", "params": {...}}, ...],
        "edges":  [{"src": "n2", "src_port": 0, "dst": "n3", "dst_port": 0}, ...],
        "inputs": [[{"node": "n2", "port": 0}]],      # per block input: inner ports it feeds
        "output": {"node": "n4", "port": 0},          # the inner output that leaves the block
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
from .document import Document, Edge, identifier_problem, name_problem, output_entry
from .errors import KerasCanvasError, ParamError, ShapeError
from .index import topological_order
from .layers import shared
from .params import ParamSpec, to_json
from .spec import INPUT, LAYER_SPECS, USER_BLOCK, LayerSpec, Shape, register

KIND = USER_BLOCK
_RESERVED_PARAMS = frozenset({"block", "name", "x", "self", "trainable"})


class BlockDefinitionError(KerasCanvasError):
    """A block definition is malformed; `field` names the place, e.g. `nodes[1].kind`."""

    def __init__(self, message: str, field: str | None = None):
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


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


# ---- checking definitions ---------------------------------------------------
def check_definition(name: str, data: Any, blocks: Mapping[str, Any]) -> None:
    """Raise BlockDefinitionError naming the field when `data` is not a sound definition.

    Checks the JSON structure, references between ids, kinds, exposed params, and
    that no definition contains itself (directly or through other blocks).
    """
    where = f"blocks.{name}"
    problem = identifier_problem(name)
    if problem:
        raise BlockDefinitionError(f"a block name must be {problem}. Received: {name!r}",
                                   "blocks")
    if not isinstance(data, dict):
        raise BlockDefinitionError(f"expected an object, received {type(data).__name__}", where)
    for key, kind in (("nodes", list), ("edges", list), ("inputs", list), ("output", dict)):
        if not isinstance(data.get(key), kind):
            raise BlockDefinitionError(f"expected a {kind.__name__}, received "
                                       f"{data.get(key)!r}", f"{where}.{key}")
    ids = _check_nodes(data["nodes"], where)
    _check_refs(data, ids, where)
    _check_params(data, ids, where)
    try:
        nested.check_model(data, where)
    except nested.NestedModelError as exc:
        raise BlockDefinitionError(str(exc)) from None
    _check_recursion(name, {**blocks, name: data})


def _check_nodes(nodes: list, where: str) -> dict[str, dict]:
    ids: dict[str, dict] = {}
    for i, node in enumerate(nodes):
        at = f"{where}.nodes[{i}]"
        if not isinstance(node, dict) or not all(isinstance(node.get(k), str)
                                                 for k in ("id", "kind", "name")):
            raise BlockDefinitionError("expected an object with string id, kind and name", at)
        problem = name_problem(node["name"])
        if problem:
            raise BlockDefinitionError(problem, f"{at}.name")
        if node["kind"] not in LAYER_SPECS or node["kind"] == INPUT:
            raise BlockDefinitionError(f"unknown or disallowed kind {node['kind']!r}", f"{at}.kind")
        if not isinstance(node.get("params", {}), dict):
            raise BlockDefinitionError("expected an object", f"{at}.params")
        _check_inner_values(node, at)
        if node["id"] in ids:
            raise BlockDefinitionError(f"the id {node['id']!r} is used twice", f"{at}.id")
        ids[node["id"]] = node
    if not ids:
        raise BlockDefinitionError("a block needs at least one node", f"{where}.nodes")
    return ids


def _check_inner_values(node: dict, at: str) -> None:
    """Each stored inner value must suit its param, exposed or not: the stored value is the
    definition's, and code written from the definition reads it."""
    if node["kind"] == KIND:
        return
    spec = LAYER_SPECS[node["kind"]]
    for key, value in node.get("params", {}).items():
        try:
            spec.param(key).coerce(value)
        except KeyError:
            raise BlockDefinitionError(f"{node['kind']} has no param {key!r}",
                                       f"{at}.params") from None
        except ParamError as exc:
            raise BlockDefinitionError(str(exc), f"{at}.params.{key}") from None


def _port_ref(ref: Any, ids: Mapping[str, dict], at: str) -> tuple[str, int]:
    if not isinstance(ref, dict) or not isinstance(ref.get("node"), str) \
            or ref["node"] not in ids:
        raise BlockDefinitionError(f"expected {{'node': inner id, 'port': n}}, received {ref!r}",
                                   at)
    port = ref.get("port", 0)
    if not isinstance(port, int) or isinstance(port, bool) or port < 0:
        raise BlockDefinitionError(f"expected a port number >= 0, received {port!r}", at)
    return ref["node"], port


def _check_refs(data: dict, ids: Mapping[str, dict], where: str) -> None:
    for i, edge in enumerate(data["edges"]):
        at = f"{where}.edges[{i}]"
        if not isinstance(edge, dict):
            raise BlockDefinitionError("expected an object", at)
        _port_ref({"node": edge.get("src"), "port": edge.get("src_port")}, ids, at)
        _port_ref({"node": edge.get("dst"), "port": edge.get("dst_port")}, ids, at)
    if not data["inputs"]:
        raise BlockDefinitionError("a block needs at least one input", f"{where}.inputs")
    for i, targets in enumerate(data["inputs"]):
        if not isinstance(targets, list) or not targets:
            raise BlockDefinitionError("expected a non-empty list of inner ports",
                                       f"{where}.inputs[{i}]")
        for j, ref in enumerate(targets):
            _port_ref(ref, ids, f"{where}.inputs[{i}][{j}]")
    _port_ref(data["output"], ids, f"{where}.output")
    if _topological(data) is None:
        raise BlockDefinitionError("the inner edges make a cycle", f"{where}.edges")


def _check_params(data: dict, ids: Mapping[str, dict], where: str) -> None:
    params = data.get("params", {})
    if not isinstance(params, dict):
        raise BlockDefinitionError("expected an object", f"{where}.params")
    for key, ref in params.items():
        at = f"{where}.params.{key}"
        problem = identifier_problem(key)
        if problem or key in _RESERVED_PARAMS or key.startswith("x"):
            raise BlockDefinitionError(
                f"a block param name must be {problem or 'an identifier'} other than block, "
                f"name, self and not start with x. Received: {key!r}", at)
        if not isinstance(ref, dict) or not isinstance(ref.get("node"), str) \
                or ref["node"] not in ids:
            raise BlockDefinitionError(f"expected {{'node', 'param', 'default'}}, received "
                                       f"{ref!r}", at)
        if not isinstance(ref.get("param"), str):
            raise BlockDefinitionError("expected the inner param name", f"{at}.param")


def _check_recursion(name: str, blocks: Mapping[str, Any]) -> None:
    path: list[str] = []

    def visit(block: str) -> None:
        if block in path:
            cycle = " -> ".join([*path[path.index(block):], block])
            raise BlockDefinitionError(f"a block cannot contain itself: {cycle}",
                                       f"blocks.{name}")
        definition = blocks.get(block)
        if not isinstance(definition, dict):
            return
        path.append(block)
        for node in definition.get("nodes", ()):
            if isinstance(node, dict) and node.get("kind") == KIND:
                visit(node.get("params", {}).get("block"))
        path.pop()

    visit(name)


def _topological(data: Mapping[str, Any]) -> list[str] | None:
    """Inner node ids in call order (document order breaks ties), None on a cycle."""
    ids = [n["id"] for n in data["nodes"]]
    order = topological_order(ids, ((e["src"], e["dst"]) for e in data["edges"]), stable=True)
    return order if len(order) == len(ids) else None


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

    def shape(resolved, inputs):
        return _trace(key, name, _values_key(resolved), _shapes_key(inputs))[0]

    def count(resolved, inputs):
        return _trace(key, name, _values_key(resolved), _shapes_key(inputs))[1]

    n_in = len(definition["inputs"])
    spec = LayerSpec(kind=KIND, category="Blocks", composite=True,
                     doc=definition.get("doc") or f"Block {name}",
                     params=params, shape=shape, count=count, min_inputs=n_in, max_inputs=n_in,
                     keras_module="")
    return nested.instance_spec(spec) if nested.model_of(definition) else spec


def _refuse(message: str):
    def shape(params, inputs):
        raise ShapeError(message)
    return shape


def _inner_spec(blocks: Mapping[str, Any], node: Mapping[str, Any]) -> LayerSpec:
    if node["kind"] == KIND:
        return bound_spec(blocks, node.get("params", {}).get("block"))
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
def _trace(key: str, name: str, values: str, inputs: tuple):
    """(output shape, (trainable, non_trainable)) of one instance; ShapeError names the node."""
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
    for nid in _topological(definition):
        for e in definition["edges"]:
            if e["dst"] == nid:
                feeds[(nid, e["dst_port"])] = outputs[e["src"]][e["src_port"]]
        node = nodes[nid]
        ports = sorted(p for (n, p) in feeds if n == nid)
        ins = [feeds[(nid, p)] for p in ports]
        spec = _inner_spec(blocks, node)
        try:
            resolved = spec.resolve(params[nid])
            outputs[nid] = spec.output_shapes(resolved, ins)
            trainable, frozen = spec.count(resolved, ins)
        except (KerasCanvasError, IndexError) as exc:
            raise ShapeError(f"{node['name']}: {exc}", port=0) from None
        total[0], total[1] = total[0] + trainable, total[1] + frozen
    out = definition["output"]
    return outputs[out["node"]][out.get("port", 0)], (total[0], total[1])


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
    if node.kind == KIND:
        return bound_spec(doc.blocks, node.params.get("block"))
    if node.kind == shared.KIND and nested.owner_is_block(doc.nodes, node):
        owner = doc.nodes[shared.owner_id(node)]
        return nested.shared_call_spec(doc.blocks, owner, node, bound_spec)
    if node.kind == shared.KIND:
        return shared.bound_spec(doc.nodes, node)
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
    """Inline every UserBlock of one level; nested instances come out for the next pass."""
    new_nodes, new_edges, sources, sinks = [], [], {}, {}
    for nid, kind, name, params in nodes:
        if not inlined(kind, params):
            new_nodes.append((nid, kind, name, params))
            continue
        block = params.get("block")
        if block not in blocks:
            raise BlockDefinitionError(f"no block definition named {block!r}", f"{name}.block")
        check_definition(block, blocks[block], blocks)
        definition = blocks[block]
        values = bound_spec(blocks, block).resolve(params)
        inner = inner_params(definition, values)
        for n in definition["nodes"]:
            new_nodes.append((f"{nid}.{n['id']}", n["kind"], f"{name}_{n['name']}",
                              inner[n["id"]]))
        new_edges += [Edge(f"{nid}.{e['src']}", e["src_port"], f"{nid}.{e['dst']}",
                           e["dst_port"]) for e in definition["edges"]]
        for port, targets in enumerate(definition["inputs"]):
            sinks[(nid, port)] = [(f"{nid}.{t['node']}", t.get("port", 0)) for t in targets]
        out = definition["output"]
        sources[nid] = (f"{nid}.{out['node']}", out.get("port", 0))
    for e in edges:
        src, src_port = sources.get(e.src, (e.src, None))
        src_port = e.src_port if src_port is None else src_port
        for dst, dst_port in sinks.get((e.dst, e.dst_port), [(e.dst, e.dst_port)]):
            new_edges.append(Edge(src, src_port, dst, dst_port))
    return new_nodes, new_edges, [sources.get(nid, (nid, port)) for nid, port in outputs]
