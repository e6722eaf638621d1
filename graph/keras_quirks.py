"""Graphs that are right, yet that Keras builds wrongly: warnings pinned where it bites.

Keras 3.15's MultiHeadAttention gives its attention scores the symbolic shape
(batch, heads, T, T), T being the query's axis 1, whatever the key's length and the
attention axes. The scores it computes when the model runs have the true shape,
(batch, heads, T, S) for sequences. A layer fed those scores is therefore built, in a
functional model, for a shape it will not receive: Dense (or Flatten then Dense) builds
a kernel of the wrong size and the model fails on its first batch. Our own inference
gives the true shape, so validation alone would not see it.
"""

from __future__ import annotations

from collections.abc import Mapping

from .document import Document
from .inference import WARNING, Issue, NodeResult
from .shapes import fmt

SCORES_CODE = "keras_scores_shape"


def attention_scores_issues(doc: Document, results: Mapping[str, NodeResult]) -> list[Issue]:
    """A warning on each input fed MultiHeadAttention scores that Keras mis-shapes."""
    issues = []
    for node in doc.nodes.values():
        if node.kind != "MultiHeadAttention" or not node.params.get("return_attention_scores"):
            continue
        result = results.get(node.id)
        if result is None or not result.ok or len(result.output_shapes or ()) < 2:
            continue
        true, keras = tuple(result.output_shapes[1]), _keras_scores_shape(node, result)
        if true == keras:
            continue
        for edge in doc.out_edges(node.id):
            if edge.src_port != 1 or edge.dst not in doc.nodes:
                continue
            dst = doc.nodes[edge.dst]
            issues.append(Issue(dst.id, edge.dst_port, WARNING, (
                f"{dst.name!r} ({dst.kind}) input {edge.dst_port} receives the attention "
                f"scores of {node.name!r}, shape {fmt(true)}, but Keras 3.15 records them as "
                f"{fmt(keras)} while it builds the model (a Keras bug), so {dst.name!r} is "
                "built for the wrong shape and a layer with weights after it fails when the "
                "model runs. Give the query and the key the same length, or use the scores "
                "only as a model output"), SCORES_CODE))
    return issues


def _keras_scores_shape(node, result: NodeResult) -> tuple:
    query = result.input_shapes[0]
    length = query[1] if len(query) > 1 else None
    return (query[0], node.params.get("num_heads"), length, length)
