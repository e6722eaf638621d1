"""A BatchNormalization momentum given as PyTorch counts it. Pure.

Keras' `momentum` is the weight of the old moving statistics (default 0.99):
`moving = momentum * moving + (1 - momentum) * batch`. PyTorch's is the weight of the
new batch (default 0.1). `BatchNormalization(momentum=0.1)`, carried over from a torch
model, keeps 10% of the moving mean and variance each step: they follow the last batch,
and inference sees its noise. Keras says nothing. A momentum below 0.5 gets a warning
whose fix sets `1 - momentum`, the same averaging in Keras' terms (0.1 becomes 0.9);
0, which torch would read as never updating, gets no fix.

>>> keras_momentum(0.1), keras_momentum(0.01)
(0.9, 0.99)
"""

from __future__ import annotations

from collections.abc import Mapping

from . import commands as cmd
from .document import Document
from .errors import DocumentError
from .inference import WARNING, Issue, NodeResult

CODE = "torch_momentum"
FIX = "set_keras_momentum"
KINDS = ("BatchNormalization",)
LOWEST = 0.5  # below this the moving statistics mostly follow the last batch


def keras_momentum(momentum: float) -> float:
    """The Keras momentum averaging as a PyTorch momentum of `momentum` does."""
    return round(1.0 - momentum, 12)


def momentum_issues(doc: Document, results: Mapping[str, NodeResult]) -> list[Issue]:
    """A warning on each BatchNormalization whose momentum is below `LOWEST`."""
    issues = []
    for node in doc.nodes.values():
        result = results.get(node.id)
        params = getattr(result, "params", None)
        if node.kind not in KINDS or params is None:
            continue
        value = params.get("momentum")
        if isinstance(value, bool) or not isinstance(value, int | float) or \
                not 0 <= value < LOWEST:
            continue
        keep = f"{value:.0%}" if value else "none"
        issues.append(Issue(
            node.id, None, WARNING, f"{node.name!r} ({node.kind}) has momentum={value!r}: "
            f"Keras keeps {keep} of the moving mean and variance each step, so they follow "
            "the last batch and inference sees its noise. Keras' momentum weighs the old "
            f"statistics (default 0.99); PyTorch's weighs the new batch, and its "
            f"momentum={value!r} is Keras' {keras_momentum(value)!r}", CODE,
            (FIX,) if value else ()))  # torch's 0 never updates: no Keras habit to undo
    return issues


def momentum_label(issue, doc: Document | None = None) -> str | None:
    """"Set momentum to 0.9", from the node's momentum in `doc` as it is now."""
    node = doc.nodes.get(issue.node) if doc is not None and issue is not None else None
    value = node.params.get("momentum") if node is not None else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return f"Set momentum to {keras_momentum(value)!r}"


def set_keras_momentum(doc: Document, issue, stack: cmd.UndoStack) -> list[str]:
    """Set the node's momentum to 1 - momentum (PyTorch's averaging in Keras' terms)."""
    node = doc.node(issue.node)
    value = node.params.get("momentum")
    if isinstance(value, bool) or not isinstance(value, int | float) or \
            not 0 < value < LOWEST:
        raise DocumentError(f"{node.name!r} has momentum={value!r} now, not one below "
                            f"{LOWEST}")
    stack.push(cmd.SetParam(doc, node.id, "momentum", keras_momentum(value)))
    return [node.id]
