"""Graphs that are right, yet that Keras builds wrongly: warnings pinned where it bites.

Keras 3.15's MultiHeadAttention gives its attention scores the symbolic shape
(batch, heads, T, T), T being the query's axis 1, whatever the key's length and the
attention axes. The scores it computes when the model runs have the true shape,
(batch, heads, T, S) for sequences. A layer fed those scores is therefore built, in a
functional model, for a shape it will not receive: Dense (or Flatten then Dense) builds
a kernel of the wrong size and the model fails on its first batch. Our own inference
gives the true shape, so validation alone would not see it.

Keras 3.15's torch backend computes `ops.pad(..., mode="symmetric")` as replicate
padding: the edge value repeated (numpy's "edge"), not the mirror that numpy's and the
other backends' "symmetric" give. The node warns, showing the values it will compute.

Keras 3.15's Equalization, called on a symbolic tensor, returns that very tensor: a
functional model then has no step for it (it is silently left out, or, as an output,
refused as a cycle). An Equalization node is therefore an error; held in a Pipeline
node, whose symbolic call makes a tensor of its own, it runs.
"""

from __future__ import annotations

from collections.abc import Mapping

from .document import Document
from .inference import ERROR, WARNING, Issue, NodeResult
from .layers.op_array_shapes import pad_pairs
from .shapes import fmt

SCORES_CODE = "keras_scores_shape"
PAD_CODE = "keras_symmetric_pad"
RETURNS_INPUT_CODE = "keras_returns_input"
# Kinds a functional model cannot hold as a node of their own (see above).
RETURNS_INPUT = ("Equalization",)


def keras_quirk_issues(doc: Document, results: Mapping[str, NodeResult]) -> list[Issue]:
    """Every issue of this module: attention scores, symmetric padding, Equalization."""
    return (attention_scores_issues(doc, results) + symmetric_pad_issues(doc, results)
            + returns_input_issues(doc))


def returns_input_issues(doc: Document) -> list[Issue]:
    """An error on each Equalization node: Keras builds no functional model step for it."""
    return [Issue(node.id, None, ERROR, (
        f"{node.name!r} (Equalization): Keras 3.15's Equalization hands its input tensor "
        "back when a model is built, so the model would leave it out (and refuses it as an "
        "output). Hold it in a Pipeline node instead (layers: Equalization), where it "
        "runs"), RETURNS_INPUT_CODE, ("hold_in_pipeline",))
        for node in doc.nodes.values() if node.kind in RETURNS_INPUT]


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


def symmetric_pad_issues(doc: Document, results: Mapping[str, NodeResult]) -> list[Issue]:
    """A warning on each ops.pad node with mode='symmetric', which Keras' torch backend
    computes as edge padding: the message shows both on its first padded axis."""
    issues = []
    for node in doc.nodes.values():
        result = results.get(node.id)
        if node.kind != "ops.pad" or result is None or not result.ok \
                or result.params.get("mode") != "symmetric":
            continue
        shape = result.input_shapes[0]
        pairs = pad_pairs(result.params["pad_width"], len(shape), node.kind, shape)
        axis, (before, after) = next(((i, p) for i, p in enumerate(pairs) if any(p)),
                                     (0, (0, 0)))
        entries = "abcd"
        issues.append(Issue(node.id, None, WARNING, (
            f"{node.name!r} (ops.pad) has mode='symmetric', which Keras 3.15's torch backend "
            f"computes as edge padding (the edge value repeated, numpy's mode='edge'), not as "
            f"a mirror: along axis {axis}, padded ({before}, {after}), entries "
            f"[{' '.join(entries)}] become [{_padded(entries, before, after, _edge)}], where "
            f"numpy's symmetric gives [{_padded(entries, before, after, _mirror)}]. Use "
            f"mode='reflect' for a mirror without the edge entry"), PAD_CODE))
    return issues


def _edge(i: int, n: int) -> int:
    return min(max(i, 0), n - 1)


def _mirror(i: int, n: int) -> int:
    """numpy's symmetric index: the entries mirrored, edge included, periodic."""
    j = i % (2 * n)
    return j if j < n else 2 * n - 1 - j


def _padded(entries: str, before: int, after: int, index) -> str:
    """`entries` padded by (before, after), each new entry `entries[index(i, n)]`.

    >>> _padded("abcd", 2, 1, _edge), _padded("abcd", 2, 1, _mirror)
    ('a a a b c d d', 'b a a b c d d')
    """
    n = len(entries)
    return " ".join(entries[index(i, n)] for i in range(-before, n + after))
