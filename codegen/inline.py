"""The model with its blocks written out as layers: what the subclass style plans from.

A subclassed model makes its layers in `__init__` and wires them in `call()`, so a block
cannot be a helper call there (a helper makes new layers at each call). The subclass
style plans a copy of the model instead, in which

- each user block instance is its inner nodes, named `<instance>_<inner>` (nested blocks
  `<outer>_<inner>_<leaf>`), as `graph.userblocks.flatten` names them for the runtime
  and the block helpers of the functional style name their layers; a shared layer inside
  a block calls the instance's own copy of its owner. A nested-model block stays one
  instance (one model, one attribute);
- each built-in block is the sublayers of its expansion, named `<block>_<sublayer>` as
  its helper names them.

The copy's nodes are then written as any layer is (one attribute each), and the chain
rule of `codegen.chains` runs over them, so a run of layers inside a block reads `x`.
"""

from __future__ import annotations

from kerascanvas.graph.block_expansion import BLOCK_INPUT
from kerascanvas.graph.document import Document, Edge, output_entry
from kerascanvas.graph.errors import KerasCanvasError
from kerascanvas.graph.layers import custom
from kerascanvas.graph.model_scope import model_node_ids
from kerascanvas.graph.nested import is_model_block
from kerascanvas.graph.spec import USER_BLOCK
from kerascanvas.graph.userblocks import flatten

from .errors import CodegenError


def written_out(blocks, node) -> bool:
    """Whether the subclass style writes `node` out as several layers: a built-in block,
    or an instance of a user block (of `blocks`) that is no nested model."""
    if node.kind == USER_BLOCK:
        return not is_model_block(blocks, node.params.get("block"))
    return node.spec.is_block


def inlined(doc: Document, analysis, analyze):
    """(document, results) of the model with every block written out as layers (the
    module's docstring); `doc` and `analysis.results` themselves when it holds none.

    `analysis` is `doc`'s, free of blocking errors; `analyze` analyses a document
    (`graph.validate.analyze`). The copy keeps the ids of the other nodes, so its Inputs
    are `doc`'s, and its outputs are `doc`'s in order.

    Raises:
        CodegenError: a block's layers cannot be laid out, naming the node.
    """
    model = model_node_ids(doc)
    if not any(written_out(doc.blocks, doc.nodes[nid]) for nid in model):
        return doc, analysis.results
    flat = without_user_blocks(doc)
    try:
        flat = _trusting(_expand_blocks(flat, analyze(flat).results), doc)
    except KerasCanvasError as exc:  # two layers would share a name, say
        raise CodegenError(f"The blocks cannot be written out as layers: {exc}") from None
    return flat, analyze(flat).results


def without_user_blocks(doc: Document) -> Document:
    """The model part of `doc` with its user block instances inlined as the build inlines
    them (`flatten`; nested-model instances stay), trusting custom code as `doc` does.

    Raises:
        CodegenError: a block cannot be inlined, naming it.
    """
    try:
        return _trusting(flatten(_model_part(doc, model_node_ids(doc)), keep_models=True), doc)
    except KerasCanvasError as exc:
        raise CodegenError(f"The blocks cannot be written out as layers: {exc}") from None


def _trusting(part: Document, doc: Document) -> Document:
    """`part`, trusting custom code as `doc` does and reading the shapes Keras gave it."""
    custom.set_context(part, custom.current(doc))
    return part


def _model_part(doc: Document, model: set[str]) -> Document:
    """The `model` nodes of `doc` (same ids, names and order), their wires and outputs."""
    part = Document()
    part.training, part.blocks = doc.training, doc.blocks
    for nid, node in doc.nodes.items():
        if nid in model:
            part.add_node(node.kind, node.name, node.params, node_id=nid)
    for e in doc.edges:
        if e.src in model and e.dst in model:
            part.connect(e, check_cycle=False)
    part.outputs = list(doc.outputs)
    return part


def _expand_blocks(doc: Document, results) -> Document:
    """A copy of `doc` where each built-in block node is its expansion's sublayers (ids
    `<block id>.<sublayer>`), wired as the expansion says."""
    expansions = {nid: node.spec.expand(results[nid].params, list(results[nid].input_shapes))
                  for nid, node in doc.nodes.items() if node.spec.is_block}

    def source(nid: str, port: int) -> tuple[str, int]:  # a block gives its last layer's
        return (f"{nid}.{expansions[nid].output}", 0) if nid in expansions else (nid, port)

    feeds = {e.dst: source(e.src, e.src_port) for e in doc.edges if e.dst in expansions}
    out = Document()
    out.training, out.blocks = doc.training, doc.blocks
    edges = []
    for nid, node in doc.nodes.items():
        if nid not in expansions:
            out.add_node(node.kind, node.name, node.params, node_id=nid)
            continue
        for layer in expansions[nid].layers:
            out.add_node(layer.kind, f"{node.name}_{layer.name}", dict(layer.params),
                         node_id=f"{nid}.{layer.name}")
            edges += [Edge(*(feeds[nid] if ref == BLOCK_INPUT else (f"{nid}.{ref}", 0)),
                           f"{nid}.{layer.name}", port)
                      for port, ref in enumerate(layer.inputs)]
    edges += [Edge(*source(e.src, e.src_port), e.dst, e.dst_port)
              for e in doc.edges if e.dst not in expansions]
    for edge in edges:
        out.connect(edge, check_cycle=False)
    out.outputs = [output_entry(*source(nid, port)) for nid, port in doc.output_refs()]
    return out
