"""Recurrent layers stacked without `return_sequences`: the fix that turns it on. Pure.

`LSTM -> LSTM` fails because the first gives only its last step, `(batch, units)`, where
the second needs a sequence: the most common mistake in stacking recurrent layers. A
layer refused a rank-2 input (rank 3 expected) that a recurrent layer gives with
`return_sequences=False`, directly or through layers that keep the rank (Dropout,
BatchNormalization, Dense), gets "Set return_sequences=True on lstm" first, offered
when its shape rule accepts the sequence that setting gives. The fix itself is the data
fixes' `return_sequences_on` (`graph.data_fixes`), which reads the layer from the
issue's data.
"""

from __future__ import annotations

from collections.abc import Mapping

from .document import Document, Edge
from .fixplan import accepts
from .issue_data import named_layer
from .recurrent_chain import recurrent_source, return_sequences
from .spec import LayerSpec, Shape

FIX = "return_sequences_on"


def sequence_source(doc: Document, spec: LayerSpec, params: dict, inputs: list[Shape],
                    edges: list[Edge], results: Mapping) -> dict | None:
    """The issue data naming the recurrent layer whose sequence the node needs on its
    first input ({"layer": id, "layer_name": name}), or None where that does not apply."""
    if spec.is_merge or not inputs or len(inputs[0]) != 2:
        return None
    first = [e for e in edges if e.dst_port == 0]
    if len(first) != 1 or first[0].src_port != 0:
        return None
    found = recurrent_source(doc, first[0].src, results)
    if found is None or return_sequences(doc, found[0]) is not False:
        return None
    layer, steps = found
    trial = [(inputs[0][0], steps, *inputs[0][1:]), *inputs[1:]]
    if not accepts(spec, params, trial):
        return None
    return {"layer": layer, "layer_name": doc.nodes[layer].name}


def sequence_label(issue, doc: Document | None = None) -> str | None:
    """"Set return_sequences=True on <name>", by the layer's name in `doc` as it is now
    (else as it was when the issue was found); None where the issue names no layer."""
    name = named_layer(issue, doc)
    return f"Set return_sequences=True on {name}" if name else None
