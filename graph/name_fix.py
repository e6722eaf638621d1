"""A mistyped name where Keras takes one of a list: `activation="Relu"`, `"he_normall"`,
`padding="Same"`, optimizer `"adamm"`, callback `"early_stoping"`. Pure.

The refusal names the values allowed; where one of them is close to what was typed (the
same but for case, '-' or ' ' for '_', else a near spelling), it gets a fix that sets it:
`use_choice` for a layer's param, `use_suggested_name` for the name of the optimizer, the
schedule or a callback of the training settings.

>>> closest("Relu", ("relu", "elu")), closest("he_normall", ("he_normal", "he_uniform"))
('relu', 'he_normal')
>>> closest("early stopping", ("early_stopping",)), closest("tanh", ("relu", "elu"))
('early_stopping', None)
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from .document import Document
from .errors import DocumentError
from .node_result import param_of
from .params import ParamSpec

FIX = "use_choice"
CUTOFF = 0.75  # difflib's ratio a near spelling needs


def _plain(name: str) -> str:
    return re.sub(r"[\s-]+", "_", name.strip().lower())


def closest(value, names: Iterable) -> str | None:
    """The name of `names` that `value` was most likely meant to be, or None."""
    if not isinstance(value, str):
        return None
    names = [n for n in names if isinstance(n, str)]
    by_plain = {_plain(n): n for n in names}
    if _plain(value) in by_plain:
        return by_plain[_plain(value)]
    found = difflib.get_close_matches(_plain(value), list(by_plain), n=1, cutoff=CUTOFF)
    return by_plain[found[0]] if found else None


def suggestion(p: ParamSpec, value) -> str | None:
    """The allowed value of `p` that `value` (refused) was meant to be, or None."""
    return closest(value, p.allowed) if p.allowed else None


def choice_label(issue, doc: Document | None = None) -> str | None:
    """"Set activation to 'relu'", from the issue's data."""
    name, value = issue.data.get("param"), issue.data.get("suggestion")
    return f"Set {name} to {value!r}" if isinstance(name, str) and isinstance(value, str) \
        else None


def use_choice(doc: Document, issue, stack) -> list[str]:
    """Set the refused param to the allowed value the issue suggests."""
    from . import commands as cmd

    node = doc.nodes.get(issue.node)
    name, value = issue.data.get("param"), issue.data.get("suggestion")
    p = param_of(node, name)
    if p is None or value not in p.allowed or node.params.get(name) in p.allowed:
        raise DocumentError(f"{name!r} of node {issue.node!r} is no mistyped name now")
    stack.push(cmd.SetParam(doc, node.id, name, value))
    return [node.id]

