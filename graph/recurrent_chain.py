"""Which recurrent layer feeds a node, and whether it returns its sequence. Pure.

Read by the data fixes (an output with a time axis its labels lack, `graph.data_fixes`)
and by validation (recurrent layers stacked without `return_sequences`,
`graph.sequence_fix`).
"""

from __future__ import annotations

from collections.abc import Mapping

from .document import Document
from .spec import get_spec


def return_sequences(doc: Document, node_id: str) -> bool | None:
    """The `return_sequences` of a recurrent node (a Bidirectional's: its inner layer's),
    or None for a node without that switch."""
    node = doc.nodes.get(node_id)
    if node is None:
        return None
    spec, params = get_spec(node.kind), node.params
    layer = params.get("layer")
    if isinstance(layer, Mapping) and isinstance(layer.get("kind"), str):
        try:
            spec, params = get_spec(layer["kind"]), layer.get("params", {})
        except KeyError:
            return None
    if not any(p.name == "return_sequences" for p in spec.params):
        return None
    value = params.get("return_sequences", spec.param("return_sequences").default)
    return value is True


def recurrent_source(doc: Document, node_id: str, results: Mapping, limit: int = 32):
    """The nearest recurrent layer (one with `return_sequences`) up the chain that feeds
    output `node_id`, through layers of one input that keep the rank (Dense, Dropout,
    normalization, TimeDistributed), with its step count; or None.

    Returns:
        (node id, time steps of its input, which may be None), or None.
    """
    found = up_chain(doc, node_id, results, lambda nid: return_sequences(doc, nid) is not None,
                     limit)
    if found is None:
        return None
    shape = results[found].input_shapes[0]
    return found, shape[1] if len(shape) > 2 else None


def up_chain(doc: Document, node_id: str, results: Mapping, wanted, limit: int = 32):
    """The first node up the chain into output 0 of `node_id` (itself included) for which
    `wanted(node id)` holds, through layers of one input that keep the rank; None when
    another layer (or one without known shapes) comes first."""
    current = node_id
    for _ in range(limit):
        result = results.get(current)
        if current not in doc.nodes or result is None or not result.ok or \
                not result.input_shapes:
            return None
        if wanted(current):
            return current
        ins = doc.in_edges(current)
        if len(ins) != 1 or ins[0].src_port != 0 or \
                len(result.input_shapes[0]) != len(result.output_shapes[0]):
            return None
        current = ins[0].src
    return None
