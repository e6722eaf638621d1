"""A Flatten of a tensor whose size is not known: the fix that makes it a global pooling.

An Input of shape `(None, None, 3)` (images of any size) or a sequence of any length,
flattened, gives `(batch, None)`, and the Dense after it cannot be built ("the last
dimension of the input to Dense must be known"). Averaging over the unknown axes keeps
one value per channel, which is known: the issue at the layer that refuses the unknown
size offers "Change flatten to GlobalAveragePooling2D" (1D for a sequence, 3D for a
volume), when the Flatten feeds it directly or through layers of one input that keep the
rank (Dropout), and the layer takes `(batch, channels)`. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping

from .document import Document, Edge
from .fixplan import accepts
from .issue_data import named_layer
from .recurrent_chain import up_chain
from .spec import LayerSpec, Shape

FIX = "flatten_to_pooling"
POOLING = {3: "GlobalAveragePooling1D", 4: "GlobalAveragePooling2D",
           5: "GlobalAveragePooling3D"}


def unsized_flatten(doc: Document, spec: LayerSpec, params: dict, inputs: list[Shape],
                    edges: list[Edge], results: Mapping) -> dict | None:
    """The issue data naming the Flatten to change ({"layer", "layer_name", "kind"}), or
    None where the node's first input is not an unknown-size Flatten's output."""
    if spec.is_merge or not inputs or len(inputs[0]) != 2 or inputs[0][1] is not None:
        return None
    first = [e for e in edges if e.dst_port == 0]
    if len(first) != 1 or first[0].src_port != 0:
        return None
    flatten = up_chain(doc, first[0].src, results,
                       lambda nid: doc.nodes[nid].kind == "Flatten")
    if flatten is None:
        return None
    shape = results[flatten].input_shapes[0]
    node = doc.nodes[flatten]
    channels_first = node.params.get("data_format") == "channels_first"
    channels = shape[1] if channels_first else shape[-1]
    kind = POOLING.get(len(shape))
    if kind is None or channels is None or not accepts(spec, params,
                                                       [(inputs[0][0], channels)]):
        return None
    return {"layer": flatten, "layer_name": node.name, "kind": kind}


def pooling_label(issue, doc: Document | None = None) -> str | None:
    """"Change flatten to GlobalAveragePooling2D", by the Flatten's name in `doc` as it is
    now (else as it was when the issue was found)."""
    name = named_layer(issue, doc)
    return f"Change {name} to {issue.data.get('kind')}" if name else None


def flatten_to_pooling(doc: Document, issue, stack) -> list[str]:
    """Change the Flatten the issue's data names to the pooling it names
    (`graph.rekind.change_kind`)."""
    from . import rekind
    from .errors import DocumentError

    layer = issue.data.get("layer")
    if layer not in doc.nodes or doc.nodes[layer].kind != "Flatten":
        raise DocumentError("The Flatten this fix changes is no longer in the graph")
    rekind.change_kind(doc, layer, str(issue.data["kind"]), stack)
    return [layer]
