"""Which tensors generated code names `x`: a chain's, each read once and right away.

Keras' own model code writes a run of layers as `x = layers.Conv2D(...)(x)` and names
only the tensors read elsewhere (a shortcut, a block's output, a model output)::

    x = layers.Conv2D(filters=64, kernel_size=(1, 1), name='conv2_block1_1_conv')(pool)
    x = layers.BatchNormalization(axis=3, name='conv2_block1_1_bn')(x)
    conv2_block1_1_relu = layers.Activation(activation='relu', name=...)(x)

The plan does the same: a node's tensor is `x` when the node has one output, read by one
wire only, by the very next node written, and the node is no Input, model output, shared
layer (its layer object and calls are named after it) or model made once (a nested model,
a user block made one, a keras.applications base); a block written as a function chains
like a layer (the function reads its input once). The subclass style plans the model with
its blocks written out as layers (`codegen.inline`), so the rule runs over their layers
too: a block's input is `x` where its first layer alone reads it. The next node
overwrites `x` only after reading it, so the model is the same; the layers keep their
names (`name=...`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kerascanvas.graph.document import Document, Node
from kerascanvas.graph.index import GraphIndex
from kerascanvas.graph.layers.shared import OWNER_PARAM
from kerascanvas.graph.nested import is_model_block
from kerascanvas.graph.spec import APPLICATION, INPUT, SHARED_CALL, USER_BLOCK

# kinds whose tensor keeps its own name: model inputs, and calls of objects named after it
# (a user block made a nested model too; one written as a function chains like a layer)
_OWN_NAME = frozenset({INPUT, SHARED_CALL, APPLICATION})


def chained(doc: Document, model: Sequence[Node], index: GraphIndex,
            results: Mapping) -> frozenset[str]:
    """Ids of the `model` nodes (in the order written) whose tensor the code names `x`."""
    outputs = {node_id for node_id, _ in doc.output_refs()}
    owners = {n.params.get(OWNER_PARAM) for n in model if n.kind == SHARED_CALL}
    return frozenset(
        node.id for node, after in zip(model, model[1:], strict=False)
        if node.kind not in _OWN_NAME and not _model_block(doc, node)
        and node.id not in outputs and node.id not in owners
        and len(results[node.id].output_shapes or [None]) == 1
        and [e.dst for e in index.outs.get(node.id, [])] == [after.id])


def _model_block(doc: Document, node: Node) -> bool:
    """A user block instance made a nested model: a model object named after it."""
    return node.kind == USER_BLOCK and is_model_block(doc.blocks, node.params.get("block"))

