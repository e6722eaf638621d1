"""How wide the shape labels of a layered layout's wires are, to keep room for them beside
each column. The canvas writes each tensor's shape beside the wires that carry it,
`(None, 14, 14, 1024)` (132 units), in a monospace font, right of a wire going down: beside
a column's main path it reaches some 40 units past the nodes, across the gap to the next
column (51 units) and the arrows of the wires climbing there. Pure, no Qt: a text's width
is estimated from its length.

>>> from kerascanvas.graph.document import Document, Edge
>>> doc = Document()
>>> a = doc.add_node("Input", params={"shape": [14, 14, 1024]}); b = doc.add_node("ReLU")
>>> doc.connect(Edge(a.id, 0, b.id, 0))
>>> label_widths(doc)[a.id] == text_width("(None, 14, 14, 1024)"), label_widths(doc)[b.id]
(True, 0.0)
"""

from __future__ import annotations

from collections.abc import Mapping

from .document import Document
from .inference import infer_graph
from .shapes import fmt

# The canvas draws labels in an 8 pt monospace font (Noto Sans Mono, DejaVu Sans Mono):
# 6.59-6.61 units a character at the scene's 96 units an inch (by font build); rounded up.
LABEL_CHAR_WIDTH = 6.65
# From a wire to the far side of its label, beyond the label's width: the canvas' 7 units
# between them, and an arrow head's half width (7) past it, for the arrow of a wire that
# climbs the gap to the next column to pass clear of it.
LABEL_REACH = 14.0


def text_width(text: str) -> float:
    """The width of a shape label reading `text`, in scene units."""
    return LABEL_CHAR_WIDTH * len(text)


def label_widths(doc: Document) -> dict[str, float]:
    """Node id -> the width of the widest label on the wires out of it (the shape of the
    output port they leave, `?` where it is unknown); 0 for a node with no wire out."""
    results: dict = {}
    infer_graph(doc, results, {})
    wired = {(e.src, e.src_port) for e in doc.edges}
    widths = dict.fromkeys(doc.nodes, 0.0)
    for node_id, port in wired:
        result = results.get(node_id)
        shapes = list(result.output_shapes or ()) if result is not None else []
        shape = shapes[port] if port < len(shapes) else None
        text = "?" if shape is None else fmt(shape)
        widths[node_id] = max(widths.get(node_id, 0.0), text_width(text))
    return widths


def label_spans(spans, cross, widths: Mapping[str, float]) -> list[tuple[float, float]]:
    """Each layer's span across (`spans`, from the centres `cross` of its nodes), reaching
    right to the labels beside the wires down out of its nodes (`widths`: node id -> the
    widest of its wires'): the canvas puts a label right of its wire first."""
    return [(low, max([high, *(c + LABEL_REACH + widths[n] for n, c in row.items()
                                if widths.get(n))]))
            for (low, high), row in zip(spans, cross, strict=True)]
