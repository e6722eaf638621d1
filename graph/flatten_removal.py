"""A Flatten (or a global pooling) in front of a layer that needs the axes it took away:
the fix that removes it. Pure.

`Flatten -> LSTM` or `Flatten -> Conv2D` fails because the Flatten made a vector of the
sequence (the image) the layer needs; reshaping it back, the other fix offered, undoes
the Flatten with a second layer. Where the layer takes what the Flatten (or a
GlobalAveragePooling / GlobalMaxPooling) receives, and feeds nothing else, the issue
offers "Remove flatten" first: the node goes and its input is wired on
(`graph.dissolve`).
"""

from __future__ import annotations

from collections.abc import Mapping

from .document import Document, Edge
from .errors import DocumentError
from .fixplan import accepts
from .issue_data import named_layer
from .spec import LayerSpec, Shape

FIX = "remove_flattening"
LABEL = "Remove the Flatten before it"
FLATTENING = frozenset({"Flatten", *(f"Global{p}Pooling{d}D" for p in ("Average", "Max")
                                      for d in (1, 2, 3))})


def flattening_source(doc: Document, spec: LayerSpec, params: dict, inputs: list[Shape],
                      edges: list[Edge], results: Mapping) -> dict | None:
    """The issue data naming the flattening node to remove ({"layer", "layer_name"}), or
    None where the node's first input does not come straight from one it could do
    without."""
    first = [e for e in edges if e.dst_port == 0]
    if spec.is_merge or not inputs or len(first) != 1 or first[0].src_port != 0:
        return None
    node = doc.nodes.get(first[0].src)
    result = results.get(first[0].src)
    if node is None or node.kind not in FLATTENING or len(doc.out_edges(node.id)) != 1 or \
            result is None or not result.ok or not result.input_shapes:
        return None
    if not accepts(spec, params, [result.input_shapes[0], *inputs[1:]]):
        return None
    return {"layer": node.id, "layer_name": node.name}


def removal_label(issue, doc: Document | None = None) -> str | None:
    """"Remove flatten", by the node's name in `doc` as it is now (else as it was when
    the issue was found)."""
    name = named_layer(issue, doc)
    return f"Remove {name}" if name else None


def remove_flattening(doc: Document, issue, stack) -> list[str]:
    """Remove the node the issue's data names, wiring its input on (`dissolve_nodes`)."""
    from .dissolve import dissolve_nodes

    layer = issue.data.get("layer")
    if layer not in doc.nodes or doc.nodes[layer].kind not in FLATTENING:
        raise DocumentError("The Flatten (or pooling) this fix removes is no longer there")
    dissolve_nodes(doc, [layer], stack, f"Remove {doc.nodes[layer].name}")
    return [issue.node]
