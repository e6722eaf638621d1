"""Nested-model blocks built as nested `keras.Model`s (see `graph.nested`).

An instance of a nested-model block becomes one Keras model named like the instance,
built from the definition: a `keras.Sequential` of the inner layers, or a functional
model over Inputs of its own. Inner layers keep the inner node names, so the built model
has the layers, names and weights of the one the block was imported from. Generated
code builds the same (`codegen.nested`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kerascanvas.graph import nested
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.spec import INPUT
from kerascanvas.graph.userblocks import KIND as USER_BLOCK
from kerascanvas.graph.userblocks import (
    bound_spec,
    flatten,
    inner_params,
    output_refs,
    returns_list,
)

from .keras_env import import_keras


def make_nested_model(blocks: Mapping[str, Any], params: Mapping[str, Any], name: str,
                      input_shapes: Sequence[Sequence], apply_graph):
    """The keras.Model of one nested-model instance, not yet called.

    Args:
        blocks: the document's block definitions.
        params: the instance's params ("block", exposed values, "trainable").
        name: the instance node's name (the model's name).
        input_shapes: the shapes of the tensors it will be called on (batch first), used
            for an Input whose definition records no shape.
        apply_graph: `runtime.build.apply_graph` (passed in: build imports this module).
    """
    keras = import_keras()
    block = params["block"]
    definition = blocks[block]
    meta = nested.model_of(definition)
    values = inner_params(definition, bound_spec(blocks, block).resolve(params))
    inputs = [keras.Input(batch_shape=nested.input_batch_shape(meta, i, shape),
                          name=nested.input_name(meta, name, i, len(input_shapes)),
                          dtype=nested.input_dtype(meta, i))
              for i, shape in enumerate(input_shapes)]
    if meta["class"] == nested.SEQUENTIAL:
        model = _sequential(blocks, definition, values, inputs[0], name, apply_graph)
    else:
        model = _functional(blocks, definition, values, inputs, name, apply_graph)
    if not params.get("trainable", True):
        model.trainable = False  # after construction: this freezes every inner layer too
    return model


def _sequential(blocks, definition, values, source, name: str, apply_graph):
    """keras.Sequential([Input, layers...]): each layer made by a one-node graph run."""
    keras = import_keras()
    nodes = {n["id"]: n for n in definition["nodes"]}
    order = nested.chain_order(definition)
    layers: dict[str, Any] = {}
    tensor = source
    for nid in order:
        doc, feeds = _graph(blocks, [nodes[nid]], [], [[{"node": nid}]], values, [tensor])
        tensor = apply_graph(doc, feeds, layers)[nid][0]
    return keras.Sequential([source, *(layers[nodes[nid]["name"]] for nid in order)],
                            name=name)


def _functional(blocks, definition, values, inputs: list, name: str, apply_graph):
    keras = import_keras()
    doc, feeds = _graph(blocks, definition["nodes"], definition["edges"],
                        definition["inputs"], values, inputs)
    computed = apply_graph(doc, feeds)
    outputs = [computed[out["node"]][out.get("port", 0)] for out in output_refs(definition)]
    return keras.Model(inputs=inputs[0] if len(inputs) == 1 else inputs,
                       outputs=outputs if returns_list(definition) else outputs[0], name=name)


def _graph(blocks, nodes, edges, feeds, values, tensors) -> tuple[Document, dict]:
    """A document of inner nodes fed by Input nodes, flattened but for nested models, and
    the tensor of each Input node (by name)."""
    doc = Document()
    doc.blocks = dict(blocks)
    for n in nodes:
        doc.add_node(n["kind"], n["name"], values[n["id"]], node_id=n["id"])
    for e in edges:
        doc.connect(Edge(e["src"], e["src_port"], e["dst"], e["dst_port"]))
    by_name = {}
    for port, (targets, tensor) in enumerate(zip(feeds, tensors, strict=True)):
        source = doc.add_node(INPUT, doc.unique_name("input"), {"shape": [1]},
                              node_id=f"input:{port}")
        by_name[source.name] = tensor
        for t in targets:
            doc.connect(Edge(source.id, 0, t["node"], t.get("port", 0)))
    return flatten(doc, keep_models=True), by_name


def is_nested_instance(blocks: Mapping[str, Any], node) -> bool:
    """Whether a (flattened) document node is an instance of a nested-model block."""
    return node.kind == USER_BLOCK and nested.is_model_block(blocks, node.params.get("block"))
