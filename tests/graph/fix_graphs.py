"""Small graphs for the fix tests: a chain of layers, and a merge of several nodes."""

from __future__ import annotations

from kerascanvas.graph.document import Document, Edge


def chain(*specs, doc=None):
    """Add nodes (kind, params) and wire each to the previous; returns (doc, ids)."""
    doc = doc or Document()
    ids = []
    for kind, params in specs:
        ids.append(doc.add_node(kind, params=params).id)
        if len(ids) > 1:
            doc.connect(Edge(ids[-2], 0, ids[-1], 0))
    return doc, ids


def merge(doc, kind, sources, params=None):
    node = doc.add_node(kind, params=params or {})
    for port, src in enumerate(sources):
        doc.connect(Edge(src, 0, node.id, port))
    return node.id
