"""A softmax (or sigmoid) applied to what is a softmax's (a sigmoid's) output already. Pure.

`Dense(10, activation="softmax")` followed by `Activation("softmax")` trains, but the
second softmax squashes probabilities toward the uniform (softmax of values in [0, 1]
differ at most by a factor e), so the model learns slowly and its outputs never near 0
or 1; Keras says nothing. An Activation or Softmax layer that applies it again gets a
warning whose fix, "Remove this node", takes it out keeping the chain (`graph.dissolve`).
A layer with weights between two sigmoids (stacked Dense layers with sigmoid) is a model
of its own, not flagged.
"""

from __future__ import annotations

from collections.abc import Mapping

from .document import Document
from .inference import WARNING, Issue, NodeResult, spec_of

SQUASHING = ("softmax", "sigmoid")
ACTIVATION_KINDS = ("Activation", "Softmax")  # layers that only apply an activation


def _final(node, result: NodeResult | None) -> str | None:
    spec = spec_of(node)
    params = getattr(result, "params", None)
    if spec is None or params is None:
        return None
    try:
        return spec.final_activation(params)
    except (TypeError, KeyError, AttributeError):
        return None


def double_activation_issues(doc: Document, results: Mapping[str, NodeResult]) -> list[Issue]:
    """A warning on each Activation or Softmax layer applying softmax or sigmoid to its one
    input, when the node that feeds it applied the same last."""
    issues = []
    for node in doc.nodes.values():
        if node.kind not in ACTIVATION_KINDS:
            continue
        act = _final(node, results.get(node.id))
        ins = doc.in_edges(node.id)
        if act not in SQUASHING or len(ins) != 1 or ins[0].src_port != 0:
            continue
        source = doc.nodes.get(ins[0].src)
        if source is None or _final(source, results.get(source.id)) != act:
            continue
        issues.append(Issue(node.id, None, WARNING, f"{node.name!r} ({node.kind}) applies "
                            f"{act} to the output of {source.name!r}, which is a {act} "
                            f"already: a second {act} squashes it toward "
                            f"{'the uniform' if act == 'softmax' else '0.5'}, so training "
                            "learns slowly. Expected one of them", "double_activation",
                            ("remove_node",)))
    return issues
