"""A node's drawn size, measured from the document before its item exists.

A node item's size is a function of its lines (name; kind and parameter count; its
output shape while an output port is unwired) and of its ports, so an edit that lays
new nodes out (a block's expansion, a node put on a wire, a paste) can place them at
the sizes the canvas will draw them, in the same undo step, instead of at sizes
guessed from their names and moved again once drawn. `NodeRenderer._draw` writes the
same lines into the items.
"""

from __future__ import annotations

from collections.abc import Iterable

from .node_style import node_size, title_line
from .render import model_output_ports, outputs_text, subtitle_text, wanted_ports


def drawn_sizes(doc, analysis, node_ids: Iterable[str]) -> dict[str, tuple[float, float]]:
    """Node id -> (width, height) the canvas draws each of `node_ids` at, in scene units,
    with the document and its analysis as they are now."""
    marked = model_output_ports(doc)
    wired = {(e.src, e.src_port) for e in doc.edges}
    sizes = {}
    for node_id in node_ids:
        node, result = doc.nodes[node_id], analysis.results.get(node_id)
        inputs, outputs = wanted_ports(doc, node_id)
        ports = marked.get(node_id, set())
        lines = [title_line(node.name), ("small", subtitle_text(doc, node, result, ports, outputs))]
        if any((node_id, p) not in wired for p in range(outputs)):
            lines.append(("mono", outputs_text(result)))
        sizes[node_id] = node_size(lines, max(len(inputs), outputs, 1), ring=bool(ports))
    return sizes
