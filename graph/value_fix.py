"""A training setting written in the wrong type: `"learning_rate": "1e-3"`, `"epochs": "10"`,
`"batch_size": 32.0`, `"shuffle": "true"` (a hand-edited or generated file), or a name of
a list mistyped (`"mode": "Min"`, `"mixed_precision": "mixed_float_16"`). Pure.

The setting's check refuses it and names what it expected; where the text reads as a
number (true or false), or the float is a whole number for an integer setting, and that
value passes the same check, the refusal gets a fix that writes the value in its type.

>>> from kerascanvas.graph.setting_values import boolean, number
>>> typed("1e-3", number(0, low_open=True)), typed(32.0, number(1, integer=True))
(0.001, 32)
>>> typed("true", boolean), typed("ten", number(1)), typed("0", number(1)) is None
(True, None, True)
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from typing import Any

from .document import Document
from .errors import DocumentError
from .name_fix import closest
from .setting_paths import with_setting

FIX = "use_typed_value"


def _readings(value) -> list:
    """What `value` may have been meant as, in the order tried."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return [int(value)]
    if not isinstance(value, str):
        return []
    text = value.strip()
    if text.lower() in ("true", "false"):
        return [text.lower() == "true"]
    for cast in (int, float):
        try:
            found = cast(text)
        except ValueError:
            continue
        if isinstance(found, float) and not math.isfinite(found):
            return []
        return [found, int(found)] if isinstance(found, float) and found.is_integer() \
            else [found]
    return []


def typed(value, check) -> Any:
    """The value `value` was meant as, which `check` passes; None where there is none."""
    return next((v for v in _readings(value) if check(v) is None), None)


def offer(issue, value, check):
    """`issue` (a SettingIssue refusing `value`) with the fix, where `typed` finds one, or
    where `check` takes one of a list of names (`setting_values.one_of`) and one is close
    to `value` ('Min' for 'min', 'mixed_float_16' for 'mixed_float16')."""
    meant = typed(value, check)
    if meant is None and getattr(check, "choices", None):
        meant = closest(value, check.choices)
    return issue if meant is None else replace(issue, fixes=(FIX,),
                                               data={**issue.data, "value": meant})


def typed_label(issue, doc: Document | None = None) -> str | None:
    """"Set learning_rate to 0.001", from the issue's data."""
    field, value = issue.data.get("field"), issue.data.get("value")
    if not isinstance(field, str) or value is None:
        return None
    name = re.split(r"[.\]]", field)[-1] or field
    return f"Set {name} to {value!r}"


def use_typed_value(doc: Document, issue, stack) -> list[str]:
    """Write the setting the issue names as the value its data holds."""
    from . import commands as cmd

    field, value = issue.data.get("field"), issue.data.get("value")
    training = with_setting(doc, field, value) if isinstance(field, str) else None
    if training is None or value is None:
        raise DocumentError(f"{field!r} names no setting of the project now")
    stack.push(cmd.SetTraining(doc, training))
    return []

