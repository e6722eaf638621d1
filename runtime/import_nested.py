"""A nested Keras model -> a nested-model block definition (see `graph.nested`).

The importer walks the nested model into a document of its own; this module turns
that document into the definition: its layer nodes and edges, the ports each model
input feeds, its outputs (one port each), and the "model" entry (Sequential or
Functional, and the name and batch shape of each of its Inputs), so the block rebuilds
the very same model.
"""

from __future__ import annotations

from kerascanvas.graph import nested
from kerascanvas.graph.document import Document, output_entry
from kerascanvas.graph.layers.operations import is_operation
from kerascanvas.graph.model_scope import model_node_ids
from kerascanvas.graph.names import identifier_problem
from kerascanvas.graph.spec import INPUT
from kerascanvas.graph.userblocks import with_outputs

from .keras_env import import_keras


class NotABlock(Exception):
    """The nested model cannot be a block; the message says why (for the import notes)."""


def definition(doc: Document, graph, refs: dict, model) -> dict:
    """The block definition of `model`, whose graph was walked into `doc` (`refs`: the
    walker's KerasTensor id -> (node id, port))."""
    sources = [refs[id(t)][0] for t in graph.inputs]
    outputs = [refs[id(t)] for t in graph.outputs]
    doc.set_outputs(list(dict.fromkeys(output_entry(*ref) for ref in outputs)))
    drop_unused_operations(doc)  # the ops of a mask Keras passes by itself
    if any(out in sources for out, _ in outputs):
        raise NotABlock("it passes an input through unchanged")
    feeds = [[{"node": e.dst, "port": e.dst_port} for e in doc.edges if e.src == source]
             for source in sources]
    if not all(feeds):
        raise NotABlock("one of its inputs feeds no layer")
    data = {
        "nodes": [{"id": n.id, "kind": n.kind, "name": n.name, "params": n.params}
                  for n in doc.nodes.values() if n.kind != INPUT],
        "edges": [{"src": e.src, "src_port": e.src_port, "dst": e.dst, "dst_port": e.dst_port}
                  for e in doc.edges if e.src not in sources],
        "inputs": feeds,
        "params": {},
        "doc": f"Nested model {model.name}, imported",
    }
    listed = isinstance(getattr(graph, "_outputs_struct", None), list | tuple)
    with_outputs(data, [{"node": out, "port": port} for out, port in outputs], listed)
    data[nested.MODEL] = {"class": _model_class(model, data),
                          "inputs": [_input_entry(t) for t in graph.inputs]}
    return data


def drop_unused_operations(doc: Document) -> None:
    """Remove the operations that lead to no output of `doc`: the ops that computed a mask
    Keras passes by itself (`import_call`), left without their one use."""
    used = model_node_ids(doc)
    unused = [n for n, node in doc.nodes.items() if n not in used and is_operation(node.spec)]
    if unused:
        doc.remove_nodes(unused)


def check_outputs(graph, node) -> None:
    """The model gives one tensor or a flat list of them (a block has one port each)."""
    struct = getattr(graph, "_outputs_struct", None)
    keras = import_keras()
    flat = isinstance(struct, list | tuple) and not any(
        isinstance(t, list | tuple | dict) for t in struct)
    if not (flat or isinstance(struct, keras.KerasTensor)) \
            or len(node.outputs) != len(graph.outputs):
        raise NotABlock(f"its outputs are a {type(struct).__name__} structure; a block gives "
                        "one tensor or a flat list")


def check_layers_inside(graph, live: frozenset[int]) -> None:
    """Each layer of the model is called only inside it: a layer it shares with the outer
    model (or another sub-model) must stay one object. `live`: the ids of the imported
    model's graph nodes at every depth (a layer's other inbound nodes are stale, as those
    of a Sequential rebuilt by each `add`)."""
    own = {id(n) for nodes in graph._nodes_by_depth.values() for n in nodes}
    for op in graph.operations:
        if any(id(n) in live and id(n) not in own for n in getattr(op, "_inbound_nodes", ())):
            raise NotABlock(f"its layer {op.name!r} is also called outside it")


def graph_nodes(graph, functional) -> list[int]:
    """The ids of the nodes (layer calls) of a Functional graph and of the models nested in
    it (`functional(model)`: a model's graph, as the importer finds it)."""
    keras = import_keras()
    ids = []
    for nodes in graph._nodes_by_depth.values():
        for node in nodes:
            ids.append(id(node))
            op = node.operation
            if isinstance(op, keras.Model) and hasattr(getattr(op, "_functional", op),
                                                       "_nodes_by_depth"):
                ids += graph_nodes(functional(op), functional)
    return ids


def _model_class(model, data: dict) -> str:
    keras = import_keras()
    if isinstance(model, keras.Sequential):
        if nested.chain_order(data) is None:  # cannot happen for a real Sequential
            raise NotABlock("its Sequential layers do not form a chain")
        return nested.SEQUENTIAL
    return nested.FUNCTIONAL


def _input_entry(tensor) -> dict:
    layer = tensor._keras_history.operation
    entry = {"name": layer.name, "batch_shape": list(tensor.shape)}
    if tensor.dtype == "float32":
        return entry
    if tensor.dtype not in nested.INPUT_DTYPES:
        raise NotABlock(f"its input {layer.name!r} has dtype {tensor.dtype}")
    return {**entry, "dtype": tensor.dtype}


def block_name(model_name: str, blocks: dict) -> str:
    """The model's name as a new block name (an identifier that is no keyword, unique among
    `blocks`): 'class' becomes 'class_', a name no identifier can hold 'nested_model'."""
    name = next((n for n in (model_name, f"{model_name}_") if identifier_problem(n) is None),
                "nested_model")
    unique, i = name, 1
    while unique in blocks:
        unique, i = f"{name}_{i}", i + 1
    return unique


def instance_params(block: str, model) -> dict:
    """The instance node's params: the block, and trainable=False for a frozen model."""
    return {"block": block} if model.trainable else {"block": block, "trainable": False}
