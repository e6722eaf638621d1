"""Results of removed nodes kept for when they come back (undo of a removal). Pure.

`keepable` says whether a removed node's result may be kept; `still_valid` gives it
back to `graph.inference.infer_graph` when the node returns as it was.
"""

from __future__ import annotations

from collections.abc import Mapping

from . import userblocks
from .document import Edge, Node
from .layers import custom, shared
from .node_result import NodeResult, spec_of

# Kinds whose result depends on more than their params and inputs (the document's blocks,
# another node, custom code and its trust): never taken from `kept`.
_IN_CONTEXT = frozenset({userblocks.KIND, shared.KIND, custom.KIND})


def keepable(node: Node, result: NodeResult | None, issues) -> bool:
    """Whether the result of a removed node may be kept for `infer_graph`: its output shapes
    known and no issue (so its ports were wired 0, 1, ... and nothing else of the document
    went into it), and a kind whose result follows from its params and inputs alone."""
    spec = spec_of(node) if node is not None else None
    return result is not None and result.ok and not issues and spec is not None \
        and spec.kind not in _IN_CONTEXT


def still_valid(kept: tuple[Node, NodeResult] | None, node: Node, edges: list[Edge],
                 results: Mapping[str, NodeResult]) -> NodeResult | None:
    """The kept result if `node` is as it was then: same kind and params, its ports wired
    in order and fed the same shapes (see `keepable`), else None."""
    if kept is None:
        return None
    was, result = kept
    if node.kind != was.kind or node.params != was.params or \
            len(edges) != len(result.input_shapes):
        return None
    for port, (e, shape) in enumerate(zip(edges, result.input_shapes, strict=True)):
        upstream = results.get(e.src)
        if e.dst_port != port or upstream is None or upstream.output_shapes is None \
                or e.src_port >= len(upstream.output_shapes) \
                or upstream.output_shapes[e.src_port] != shape:
            return None
    return result
