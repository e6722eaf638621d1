"""The trace of one user block instance: its inner nodes' own rules run in order.

`trace` gives an instance's output shape and weight counts from its definition, the
exposed values it was given and its input shapes; the inner nodes (`inner_nodes`, with
`inner_params` applied) are seen as document nodes. Which spec an inner node follows is
asked of `inner_spec` (`userblock_spec`'s, which binds inner blocks in turn).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .blockcheck import call_order, output_refs
from .errors import KerasCanvasError, ShapeError
from .layers import custom
from .params import to_json
from .spec import LAYER_SPECS, USER_BLOCK, LayerSpec, Shape

KIND = USER_BLOCK

# (blocks, definition node, bound inner nodes) -> the LayerSpec the inner node follows
InnerSpec = Callable[[Mapping[str, Any], Mapping[str, Any], Mapping[str, Any]], LayerSpec]


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


def inner_params(definition: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, dict]:
    """The params of each inner node (by id) once the instance's exposed values are applied."""
    out = {n["id"]: dict(n.get("params", {})) for n in definition["nodes"]}
    for key, ref in definition.get("params", {}).items():
        if key in values:
            out[ref["node"]][ref["param"]] = to_json(values[key])
    return out


def values_key(resolved: Mapping[str, Any]) -> str:
    """An instance's resolved values as a cache key."""
    return json.dumps({k: to_json(v) for k, v in resolved.items()}, sort_keys=True)


def shapes_key(inputs: Sequence[Shape]) -> tuple:
    """Input shapes as a cache key."""
    return tuple(tuple(s) for s in inputs)


@lru_cache(maxsize=1024)
def trace(inner_spec: InnerSpec, key: str, name: str, values: str, inputs: tuple,
          custom_token=None):
    """(output shape, (trainable, non_trainable), inner records) of one instance; ShapeError
    names the node. The records are (inner node id, resolved params, input shapes, count)
    in call order: which inner layers hold weights (`graph.inner_names` reads them).

    `key` is the definitions' `blocks_key`, `values` and `inputs` the instance's
    `values_key` and `shapes_key`. `custom_token` (`custom.cache_token`) keys a block with
    custom code inside by the trust and Keras' answers it was traced with."""
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
    records = []
    bound = inner_nodes(definition, params)
    stopped: custom.CustomShapeError | None = None  # code that cannot run, shapes recorded
    for nid in call_order(definition):
        for e in definition["edges"]:
            if e["dst"] == nid:
                feeds[(nid, e["dst_port"])] = outputs[e["src"]][e["src_port"]]
        node = nodes[nid]
        ports = sorted(p for (n, p) in feeds if n == nid)
        ins = [feeds[(nid, p)] for p in ports]
        spec = inner_spec(blocks, node, bound)
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
        records.append((nid, resolved, tuple(ins), (trainable, frozen)))
    shapes = [_output_shape(definition, i, nodes, outputs) for i in
              range(len(output_refs(definition)))]
    if stopped is not None:  # the issue stays; the shapes after the block are known
        stopped.recorded, stopped.count = shapes, None if total is None else tuple(total)
        raise stopped
    return (shapes[0] if len(shapes) == 1 else shapes), (total[0], total[1]), tuple(records)


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
