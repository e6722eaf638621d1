"""A dropout rate of 1: every unit dropped while training. Pure.

Keras takes `Dropout(rate=1.0)`, `SpatialDropout2D(1.0)`, `LSTM(dropout=1.0)` and
`MultiHeadAttention(dropout=1.0)` and says nothing, but while training they output zeros
(the layers after them learn from nothing and those before get no gradient), and at
inference they pass everything: the model trains as another model than it predicts with.
(GaussianDropout and AlphaDropout at 1 divide by zero in Keras while training: their spec
refuses 1.) Such a rate gets a warning whose fix sets the kind's own start value: 0.5 for
a Dropout, 0 (off) for the dropout of a recurrent or attention layer.
"""

from __future__ import annotations

from collections.abc import Mapping

from .document import Document
from .errors import DocumentError
from .inference import WARNING, Issue, NodeResult, spec_of

CODE = "drops_everything"
FIX = "set_usual_rate"
RATES = ("rate", "dropout")  # the fraction params that drop units (a recurrent state's
# dropout, `recurrent_dropout`, drops the state: the output still depends on the input)


def full_dropout_issues(doc: Document, results: Mapping[str, NodeResult]) -> list[Issue]:
    """A warning on each node with a dropping rate of 1."""
    issues = []
    for node in doc.nodes.values():
        spec = spec_of(node)
        rates = _rates(spec) if spec is not None else ()
        params = getattr(results.get(node.id), "params", None) if rates else None
        if params is None:
            continue
        for p in rates:
            if params.get(p.name) == 1:
                issues.append(Issue(
                    node.id, None, WARNING, f"{node.name!r} ({node.kind}) has {p.name}=1.0: "
                    "while training it drops every unit, so the layers after it learn from "
                    "zeros and those before it get no gradient; at inference it drops "
                    f"nothing. Keras says nothing. Usual rates are 0.1 to 0.5", CODE, (FIX,),
                    {"param": p.name, "value": p.start_value()}))
    return issues


_KEPT: dict[str, tuple] = {}


def _rates(spec) -> tuple:
    """The params of `spec` that drop units at a rate in [0, 1] (kept per kind: the check
    runs on every edit, over every node)."""
    found = _KEPT.get(spec.kind)
    if found is None:
        found = _KEPT[spec.kind] = tuple(p for p in spec.params if p.name in RATES and
                                         p.type == "float" and p.max == 1)
    return found


def usual_rate_label(issue, doc: Document | None = None) -> str | None:
    """"Set rate to 0.5", from the issue's data."""
    name, value = issue.data.get("param"), issue.data.get("value")
    return f"Set {name} to {value!r}" if isinstance(name, str) and value is not None else None


def set_usual_rate(doc: Document, issue, stack) -> list[str]:
    """Set the rate the issue names to its kind's start value."""
    from . import commands as cmd

    node = doc.nodes.get(issue.node)
    name, value = issue.data.get("param"), issue.data.get("value")
    if node is None or node.params.get(name) != 1 or not isinstance(value, int | float):
        raise DocumentError(f"node {issue.node!r} has no {name} of 1 now")
    stack.push(cmd.SetParam(doc, node.id, name, value))
    return [node.id]
