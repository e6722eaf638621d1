"""User block instances inlined: the flat document built and generated, and the document
of one nested-model instance.

`flatten` replaces every instance by its inner nodes, named f"{instance}_{inner}" (nested
blocks give f"{outer}_{inner}_{leaf}"), as runtime and codegen inline them;
`model_document` lays out one nested-model instance as the `keras.Model` it builds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from . import nested
from .blockcheck import BlockDefinitionError, check_definition, output_refs
from .document import Document, Edge, output_entry
from .layers import shared
from .spec import USER_BLOCK
from .userblock_spec import bound_spec
from .userblock_trace import inner_params

KIND = USER_BLOCK


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
    count = len(definition["inputs"])
    for port, ports in enumerate(definition["inputs"]):
        shape = nested.input_batch_shape(meta, port, input_shapes[port])
        keras_name = nested.input_name(meta, name, port, count)
        source = doc.add_node("Input", doc.unique_name(keras_name),
                              _input_params(shape, nested.input_dtype(meta, port)),
                              node_id=f"input:{port}", index=port)
        for t in ports:
            doc.connect(Edge(source.id, 0, t["node"], t.get("port", 0)))
    doc.outputs = [output_entry(r["node"], r.get("port", 0)) for r in output_refs(definition)]
    return doc


def _input_params(batch_shape: Sequence, dtype: str = "float32") -> dict:
    params: dict[str, Any] = {"shape": list(batch_shape[1:])}
    if batch_shape[0] is not None:
        params["batch_size"] = batch_shape[0]
    if dtype != "float32":
        params["dtype"] = dtype
    return params
