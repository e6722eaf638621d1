"""A digest of a project's graph as a model is built from it, kept with each run (the
window's and `kerascanvas run`'s) in the runs index, so that File › Export Model knows
which runs trained the graph the project holds now."""

from __future__ import annotations

import hashlib
import json

from .document import Document


def graph_key(doc: Document) -> str:
    """A digest of the graph as a model is built from it: nodes (kind, name, params),
    wires, outputs; not where the nodes stand nor the training settings."""
    nodes = [[n.id, n.kind, n.name, n.params] for n in doc.nodes.values()]
    edges = sorted([e.src, e.src_port, e.dst, e.dst_port] for e in doc.edges)
    text = json.dumps([nodes, edges, list(doc.outputs)], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()
