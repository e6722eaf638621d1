"""A fraction given as a percentage: `Dropout(rate=50)`, `LSTM(dropout=20)`, a
validation split of 20. Pure.

A param Keras takes as a fraction in [0, 1] (a dropout rate, a momentum, a compression)
refuses 50, and the user meant 0.5; so does the training setting `validation_split`. The
refusal (`graph.node_checks`, `graph.training_schema`) gets a fix that sets the value
divided by 100, where the value is a number strictly between 1 and 100 (100% would drop,
or hold out, everything).

>>> from kerascanvas.graph.params import ParamSpec
>>> rate = ParamSpec("rate", "float", min=0.0, max=1.0)
>>> fraction(rate, 50), fraction(rate, 12.5), fraction(rate, 150), fraction(rate, 0.5)
(0.5, 0.125, None, None)
>>> percentage(20), percentage(100), percentage(True)
(0.2, None, None)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .document import Document
from .errors import DocumentError
from .node_result import param_of
from .params import ParamSpec
from .setting_paths import with_setting

if TYPE_CHECKING:  # commands imports inference, which reads this module's `fraction`
    from . import commands as cmd

FIX = "use_fraction"
SETTINGS = ("validation_split",)  # the training settings that take a fraction


def percentage(value) -> float | None:
    """`value` / 100 where it reads as a percentage (a number between 1 and 100)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 1 < value < 100:
        return None
    return round(value / 100, 12)


def fraction(p: ParamSpec, value) -> float | None:
    """`value` / 100 where `p` takes a fraction in [0, 1] and `value` reads as a
    percentage; else None."""
    return percentage(value) if p.type == "float" and p.min == 0 and p.max == 1 else None


def fraction_label(issue, doc: Document | None = None) -> str | None:
    """"Set rate to 0.5", from the node's (the setting's) value in `doc` as it is now."""
    found = _now(doc, issue) if doc is not None and issue is not None else None
    return None if found is None else f"Set {found[0]} to {found[1]!r}"


def use_fraction(doc: Document, issue, stack: cmd.UndoStack) -> list[str]:
    """Set the param (the training setting) the issue names to its value / 100."""
    from . import commands as cmd

    found = _now(doc, issue)
    if found is None:
        raise DocumentError(f"{issue.data.get('param') or issue.data.get('field')!r} holds "
                            "no percentage now")
    if issue.node is None:
        stack.push(cmd.SetTraining(doc, with_setting(doc, f"training.{found[0]}", found[1])))
        return []
    stack.push(cmd.SetParam(doc, issue.node, found[0], found[1]))
    return [issue.node]


def _now(doc: Document, issue) -> tuple[str, float] | None:
    """(the param's or setting's name, its value as a fraction) as `doc` is now."""
    if issue.node is None:  # a training setting, named by its field
        key = str(issue.data.get("field", "")).removeprefix("training.")
        value = percentage((doc.training or {}).get(key)) if key in SETTINGS else None
        return None if value is None else (key, value)
    node = doc.nodes.get(issue.node)
    p = param_of(node, issue.data.get("param"))
    value = fraction(p, node.params.get(p.name)) if p is not None else None
    return None if value is None else (p.name, value)
