"""What an imported CustomLayer's file recorded, read while its code cannot run: the
output shapes Keras computed and the weights it holds; and the check of the node's
output ports against the tensors its call returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .custom_blocks import KIND


def recorded_outputs(params: Mapping[str, Any], inputs: list) -> list | None:
    """The output shapes Keras recorded for these inputs (`output_shapes` records, kept
    by an import), or None. Data only: they let the shapes after a node whose code is
    missing or not trusted be inferred without running anything."""
    wanted = [list(s) for s in inputs]
    for rec in params.get("output_shapes") or []:
        if rec["inputs"] == wanted and all(s is not None for s in rec["outputs"]):
            return [tuple(s) for s in rec["outputs"]]
    return None


PORTS_ISSUE = "custom_outputs"
PORTS_FIX = "set_custom_outputs"


def ports_problem(name: str, params: Mapping[str, Any], outputs: list) -> str | None:
    """Why the node's output ports do not match the tensors its call returns, or None.

    >>> ports_problem("s", {"outputs": 1}, [(None, 3), (None, 1)])[:45]
    "'s' (CustomLayer): call() returns 2 tensor(s)"
    """
    ports = params.get("outputs") or 1
    if len(outputs) == ports:
        return None
    shapes = ", ".join(str(tuple(s)) for s in outputs)
    return (f"{name!r} ({KIND}): call() returns {len(outputs)} tensor(s) ({shapes}) but the "
            f"node has outputs={ports} output port(s); set outputs to {len(outputs)}")


def recorded_count(params: Mapping[str, Any]) -> tuple[int, int] | None:
    """(trainable, non_trainable) weights of a node whose code cannot run, from the
    weights its imported file holds, or None when unknown. The file does not say which
    are trainable: all count as trainable, or all as non-trainable when frozen.

    >>> recorded_count({"stored_weights": 12, "trainable": False})
    (0, 12)
    """
    stored = params.get("stored_weights")
    if stored is None:
        return None
    return (stored, 0) if params.get("trainable", True) else (0, stored)
