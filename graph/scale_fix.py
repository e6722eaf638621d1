"""Inputs far from unit scale (pixels in 0..255, prices in thousands) fed straight to
layers with weights: the fixes that rescale or normalize them first. Pure.

Keras trains such a model, slowly and often badly, and says nothing. The data check of a
run (`runtime.input_scale`) warns on the Input; its fixes put a layer on each wire into
the first layers with weights (Dense, EinsumDense, convolutions, recurrent layers) that
the Input reaches through layers that keep the values' scale (reshaping, pooling,
augmentation, noise):

    insert_rescaling      Rescaling(1/255): pixels of 0..255 (offered first for them);
                          after any augmentation, whose value_range is 0..255 by default
    insert_normalization  Normalization, adapted to the training data when the run starts
                          (`runtime.adapt`): each feature to mean 0 and variance 1

An Input that meets a normalization (or an Embedding, a block, anything else) first is
left alone. Inputs of one wire group share one new layer.

>>> from kerascanvas.graph.document import Document, Edge
>>> doc = Document()
>>> x = doc.add_node("Input", "pixels", {"shape": [8, 8, 3]})
>>> flip = doc.add_node("RandomFlip", "flip", {})
>>> conv = doc.add_node("Conv2D", "conv", {"filters": 4, "kernel_size": 3})
>>> doc.connect(Edge(x.id, 0, flip.id, 0)); doc.connect(Edge(flip.id, 0, conv.id, 0))
>>> [doc.nodes[e.dst].name for e in weighted_edges(doc, x.id)]
['conv']
"""

from __future__ import annotations

from collections.abc import Mapping

from . import commands as cmd
from .document import Document, Edge
from .errors import DocumentError
from .placement import Measure, Size
from .spec import get_spec

RESCALE_FIX, NORMALIZE_FIX = "insert_rescaling", "insert_normalization"
LABELS = {RESCALE_FIX: "Insert Rescaling(1/255)",
          NORMALIZE_FIX: "Insert Normalization (adapted to the training data)"}
WEIGHTED = frozenset({"Dense", "EinsumDense"})
WEIGHTED_CATEGORIES = frozenset({"Convolution", "Recurrent"})
# Layers the values pass through at their scale (one input each).
KEEPING_CATEGORIES = frozenset({"Reshaping", "Pooling", "Augmentation"})
KEEPING = frozenset({"Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
                     "GaussianNoise", "GaussianDropout", "AlphaDropout", "Identity",
                     "Masking", "Resizing", "CenterCrop", "ActivityRegularization"})


def _role(kind: str) -> str | None:
    """"weighted", "keeping", or None (anything else: the walk stops quietly)."""
    try:
        category = get_spec(kind).category
    except KeyError:
        return None
    if kind in WEIGHTED or category in WEIGHTED_CATEGORIES:
        return "weighted"
    if kind in KEEPING or (category in KEEPING_CATEGORIES and kind != "Equalization"):
        return "keeping"
    return None


def weighted_edges(doc: Document, input_id: str, limit: int = 64) -> list[Edge]:
    """The wires into the first layers with weights that `input_id`'s values reach at their
    scale (through layers that keep it), in the graph's order."""
    found, todo, seen = [], [input_id], set()
    while todo and len(seen) < limit:
        current = todo.pop(0)
        if current in seen:
            continue
        seen.add(current)
        for edge in doc.out_edges(current):
            node = doc.nodes.get(edge.dst)
            role = _role(node.kind) if node is not None else None
            if role == "weighted":
                found.append(edge)
            elif role == "keeping" and len(doc.in_edges(edge.dst)) == 1:
                todo.append(edge.dst)
    return found


def _insert_before_weighted(doc: Document, issue, stack: cmd.UndoStack, kind: str,
                            params: dict, measure: Measure | None,
                            sizes: Mapping[str, Size] | None) -> list[str]:
    from .insert_layers import insert_on_edge

    edges = weighted_edges(doc, issue.node)
    if not edges:
        raise DocumentError(f"{doc.node(issue.node).name!r} feeds no layer with weights "
                            "at its values' scale any more")
    groups: dict[tuple[str, int], list[Edge]] = {}
    for edge in edges:
        groups.setdefault((edge.src, edge.src_port), []).append(edge)
    added = []
    for first, *rest in groups.values():
        new = insert_on_edge(doc, stack, first, kind, dict(params), measure, sizes)
        for edge in rest:  # the other wires of that tensor take the new layer's too
            stack.push(cmd.Disconnect(doc, edge))
            stack.push(cmd.Connect(doc, Edge(new, 0, edge.dst, edge.dst_port)))
        added.append(new)
    return added


def insert_rescaling(doc: Document, issue, stack: cmd.UndoStack,
                     measure: Measure | None = None,
                     sizes: Mapping[str, Size] | None = None) -> list[str]:
    """Rescaling(scale=1/255) before the first layers with weights the Input feeds."""
    return _insert_before_weighted(doc, issue, stack, "Rescaling", {"scale": 1 / 255},
                                   measure, sizes)


def insert_normalization(doc: Document, issue, stack: cmd.UndoStack,
                         measure: Measure | None = None,
                         sizes: Mapping[str, Size] | None = None) -> list[str]:
    """A Normalization (no mean or variance: adapted when a run starts) before the first
    layers with weights the Input feeds."""
    return _insert_before_weighted(doc, issue, stack, "Normalization", {}, measure, sizes)


SCALE_FIXES = {RESCALE_FIX: insert_rescaling, NORMALIZE_FIX: insert_normalization}
