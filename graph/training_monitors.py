"""The values training logs, and the callbacks' monitors checked against them. Pure.

`logged_names` names what Keras' training logs for a document's losses and metrics;
`check_monitors` warns about a callback monitoring anything else (Keras only warns,
and the callback never acts); the fix that renames it writes through
`setting_paths.with_setting`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .document import Document
from .setting_issue import SettingIssue
from .training import output_name
from .training_outputs import _hinted, closest


def logged_names(doc: Document, settings: Mapping[str, Any]) -> list[str]:
    """The names Keras' training logs give the model's losses and metrics (without the
    `val_` twins that validation adds): "loss"; with several outputs, "OUT_loss" per
    output; each metric under the name it was given, "OUT_NAME" with several outputs.
    """
    outputs = [output_name(doc, o) for o in doc.outputs if doc.output_ref(o)[0] in doc.nodes]
    several = len(outputs) > 1
    names = ["loss"]
    for out in outputs:
        if several:
            names.append(f"{out}_loss")
        metrics = (settings.get("metrics") or {}).get(out) or []
        names += [f"{out}_{m}" if several else str(m) for m in metrics]
    return names


def check_monitors(doc: Document, settings: Mapping[str, Any]) -> list[SettingIssue]:
    # Keras only warns about a monitor it never sees, and the callback then does nothing.
    callbacks = settings.get("callbacks")
    if not isinstance(callbacks, list) or not doc.outputs:
        return []
    names = logged_names(doc, settings)
    offered = [*names, *(f"val_{name}" for name in names)]
    issues = []
    for i, cb in enumerate(callbacks):
        monitor = cb.get("monitor") if isinstance(cb, Mapping) else None
        if not isinstance(monitor, str) or monitor.removeprefix("val_") in names:
            continue
        issues.append(_hinted(f"training.callbacks[{i}].monitor",
                              f"{monitor!r} is not a value that training logs, so "
                              f"{cb.get('name')} would never act. Logged: {', '.join(names)} "
                              "(and val_ of each with validation data).",
                              closest(monitor, offered)))
    return issues

