"""Checks of user block definitions, and their output refs (see `graph.userblocks`).

A definition names the inner ports that leave the block: one `"output": {node, port}`,
or, for a block with several outputs, `"outputs": [{node, port}, ...]` (instance port i
is outputs[i]). Files written before several outputs existed keep their "output". A
nested model's "outputs" of one entry says that the model gives a list of one tensor.
Every check raises BlockDefinitionError naming the field, as `blocks.enc.outputs[1]`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import nested
from .document import identifier_problem, name_problem
from .errors import KerasCanvasError, ParamError
from .index import topological_order
from .layers import shared
from .spec import INPUT, LAYER_SPECS, USER_BLOCK

KIND = USER_BLOCK
OUTPUT, OUTPUTS = "output", "outputs"
_RESERVED_PARAMS = frozenset({"block", "name", "x", "self", "trainable"})


class BlockDefinitionError(KerasCanvasError):
    """A block definition is malformed; `field` names the place, e.g. `nodes[1].kind`."""

    def __init__(self, message: str, field: str | None = None):
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


def returns_list(definition: Mapping[str, Any]) -> bool:
    """Whether the block's nested model gives a list (its "outputs"), not one tensor."""
    return OUTPUTS in definition


def output_refs(definition: Mapping[str, Any]) -> list[dict]:
    """The inner {node, port} refs that leave the block, one per instance output port."""
    if OUTPUTS in definition:
        return list(definition[OUTPUTS])
    return [definition[OUTPUT]]


def with_outputs(definition: dict, refs: list[dict], listed: bool = False) -> dict:
    """`definition` with its outputs set: "output" for one (as older files have it),
    "outputs" for several, or for one when the nested model gives a list of one tensor
    (`listed`: `keras.Model(x, [y])`, whose call returns `[y]`)."""
    definition.pop(OUTPUT, None)
    definition.pop(OUTPUTS, None)
    if len(refs) == 1 and not listed:
        definition[OUTPUT] = refs[0]
    else:
        definition[OUTPUTS] = list(refs)
    return definition


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
    for key, kind in (("nodes", list), ("edges", list), ("inputs", list)):
        if not isinstance(data.get(key), kind):
            raise BlockDefinitionError(f"expected a {kind.__name__}, received "
                                       f"{data.get(key)!r}", f"{where}.{key}")
    _check_output_keys(data, where)
    ids = _check_nodes(data["nodes"], where)
    _check_shared_owners(data["nodes"], ids, where)
    _check_refs(data, ids, where)
    _check_params(data, ids, where)
    try:
        nested.check_model(data, where, blocks)
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


def _check_output_keys(data: dict, where: str) -> None:
    """Exactly one of "output" (one ref) and "outputs" (a non-empty list of refs)."""
    if OUTPUT in data and OUTPUTS in data:
        raise BlockDefinitionError("give either 'output' (one) or 'outputs' (a list), not "
                                   "both", f"{where}.outputs")
    if OUTPUTS in data:
        if not isinstance(data[OUTPUTS], list) or not data[OUTPUTS]:
            raise BlockDefinitionError("expected a non-empty list of {'node', 'port'} refs, "
                                       f"received {data[OUTPUTS]!r}", f"{where}.outputs")
    elif not isinstance(data.get(OUTPUT), dict):
        raise BlockDefinitionError("expected {'node': inner id, 'port': n} (or 'outputs', a "
                                   f"list of them), received {data.get(OUTPUT)!r}",
                                   f"{where}.output")


def _check_shared_owners(nodes: list, ids: Mapping[str, dict], where: str) -> None:
    """A SharedCall inside a block calls a layer of the same block."""
    for i, node in enumerate(nodes):
        owner = node.get("params", {}).get(shared.OWNER_PARAM)
        if node["kind"] == shared.KIND and (owner not in ids or owner == node["id"]):
            known = ", ".join(sorted(ids))
            raise BlockDefinitionError(
                f"a SharedCall calls the layer of another node of the block: expected one of "
                f"{known}, received {owner!r}",
                f"{where}.nodes[{i}].params.{shared.OWNER_PARAM}")
        if node["kind"] == shared.KIND:
            _check_call_keywords(node, LAYER_SPECS.get(ids[owner]["kind"]), f"{where}.nodes[{i}]")


def _check_call_keywords(node: dict, owner_spec, at: str) -> None:
    """A SharedCall's other params are its own values of its owner's call keywords."""
    for key, value in node.get("params", {}).items():
        if key == shared.OWNER_PARAM:
            continue
        if owner_spec is None or key not in owner_spec.call_params:
            raise BlockDefinitionError(f"a SharedCall has no param {key!r}: expected the "
                                       "layer it calls and that layer's call keywords",
                                       f"{at}.params")
        try:
            owner_spec.param(key).coerce(value)
        except ParamError as exc:
            raise BlockDefinitionError(str(exc), f"{at}.params.{key}") from None


def _check_inner_values(node: dict, at: str) -> None:
    """Each stored inner value must suit its param, exposed or not: the stored value is the
    definition's, and code written from the definition reads it."""
    if node["kind"] == KIND:
        return
    spec = LAYER_SPECS[node["kind"]]
    for key, value in node.get("params", {}).items():
        if node["kind"] == shared.KIND and key != shared.OWNER_PARAM:
            continue  # a call keyword of its owner: `_check_call_keywords`
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


def _input_port(ids: Mapping[str, dict], nid: str, port: int, at: str) -> None:
    """Refuse an input port past a layer's last (a nested block's or shared layer's ports
    are checked where it is bound)."""
    node = ids[nid]
    spec = LAYER_SPECS.get(node["kind"])
    if spec is None or node["kind"] in (USER_BLOCK, shared.KIND):
        return
    try:
        top = spec.max_ports(node.get("params") or {})
    except (KerasCanvasError, ValueError, TypeError, AttributeError):
        return  # a bad value: `_check_inner_values` names it
    if top is not None and port >= top:
        raise BlockDefinitionError(f"inner node {nid!r} ({node['kind']}) has no input port "
                                   f"{port} (it has {top}: 0 to {top - 1})", at)


def _check_refs(data: dict, ids: Mapping[str, dict], where: str) -> None:
    for i, edge in enumerate(data["edges"]):
        at = f"{where}.edges[{i}]"
        if not isinstance(edge, dict):
            raise BlockDefinitionError("expected an object", at)
        _port_ref({"node": edge.get("src"), "port": edge.get("src_port")}, ids, at)
        _input_port(ids, *_port_ref({"node": edge.get("dst"), "port": edge.get("dst_port")},
                                    ids, at), at)
    if not data["inputs"]:
        raise BlockDefinitionError("a block needs at least one input", f"{where}.inputs")
    for i, targets in enumerate(data["inputs"]):
        if not isinstance(targets, list) or not targets:
            raise BlockDefinitionError("expected a non-empty list of inner ports",
                                       f"{where}.inputs[{i}]")
        for j, ref in enumerate(targets):
            at = f"{where}.inputs[{i}][{j}]"
            _input_port(ids, *_port_ref(ref, ids, at), at)
    if OUTPUTS in data:
        for i, ref in enumerate(data[OUTPUTS]):
            _port_ref(ref, ids, f"{where}.outputs[{i}]")
    else:
        _port_ref(data[OUTPUT], ids, f"{where}.output")
    if call_order(data) is None:
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
        spec = LAYER_SPECS.get(ids[ref["node"]].get("kind"))
        names = [p.name for p in spec.params] if spec is not None else None
        if names is not None and ids[ref["node"]]["kind"] not in (USER_BLOCK, shared.KIND) \
                and ref["param"] not in names:
            raise BlockDefinitionError(
                f"inner node {ref['node']!r} ({spec.kind}) has no parameter {ref['param']!r}. "
                f"Expected one of: {', '.join(names)}", f"{at}.param")


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


def call_order(data: Mapping[str, Any]) -> list[str] | None:
    """Inner node ids in call order (document order breaks ties), None on a cycle."""
    ids = [n["id"] for n in data["nodes"]]
    order = topological_order(ids, ((e["src"], e["dst"]) for e in data["edges"]), stable=True)
    return order if len(order) == len(ids) else None


