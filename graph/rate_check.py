"""A learning rate far too large for its optimizer: Adam at 1 (meant 1e-3), SGD at 50. Pure.

An adaptive optimizer (Adam, AdamW, Nadam, RMSprop, Adagrad) moves each weight by about
the learning rate a step whatever its gradient's size: at 1 or more the weights jump by
whole units in the first steps and the loss jumps and stays high or becomes NaN (on the
digits, a Dense(64)-Dense(10) model trained with Adam, RMSprop or Adagrad at 1 stays at
chance accuracy, 0.10, where Adam at 0.001 reaches 0.92 in 5 epochs). Plain SGD scales by
the gradient and takes larger rates (1 trains that model to 0.96), but not 10 (chance).
Such a rate gets a warning (a run still starts: the user may mean it) whose fix sets
Keras' default rate of the optimizer.

>>> too_large({"name": "adam", "learning_rate": 1}), too_large({"name": "sgd", "learning_rate": 1})
(True, False)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .document import Document
from .errors import DocumentError
from .setting_issue import SettingIssue
from .setting_paths import with_setting

CODE = "rate_too_large"
FIX = "use_default_rate"
LIMITS = {"adam": 1.0, "adamw": 1.0, "nadam": 1.0, "rmsprop": 1.0, "adagrad": 1.0,
          "sgd": 10.0}  # a rate at or above which the optimizer diverges
FIELD = "training.optimizer.learning_rate"


def too_large(optimizer: Any) -> bool:
    """Whether `optimizer` (resolved settings) has a rate at or above its `LIMITS`."""
    if not isinstance(optimizer, Mapping):
        return False
    name, rate = optimizer.get("name"), optimizer.get("learning_rate")
    limit = LIMITS.get(name.lower()) if isinstance(name, str) else None
    return limit is not None and not isinstance(rate, bool) and \
        isinstance(rate, int | float) and rate >= limit


def rate_issues(settings: Mapping[str, Any], defaults: Mapping[str, Mapping]) -> list:
    """The warning on a rate `too_large`; `defaults` are the optimizers' Keras defaults
    (`training_schema.OPTIMIZERS`), whose rate the fix sets."""
    optimizer = settings.get("optimizer")
    schedule = settings.get("schedule")
    if not too_large(optimizer) or (isinstance(schedule, Mapping) and
                                    schedule.get("values")):  # the schedule's own rates
        return []
    name, rate = optimizer["name"].lower(), optimizer["learning_rate"]
    default = defaults[name]["learning_rate"]
    how = ", which moves each weight by about the rate every step" if name != "sgd" else ""
    return [SettingIssue(
        FIELD, "warning", f"{FIELD}: {rate!r} is far too large for {name}{how}: the weights "
        "are thrown far off in the first steps, and the loss jumps and stays high (the "
        f"model stops learning) or becomes NaN. Keras' default for {name} is {default!r}; "
        f"rates between {default / 10:g} and {default * 10:g} are usual", CODE,
        fixes=(FIX,), data={"suggestion": default})]


def rate_label(issue, doc: Document | None = None) -> str | None:
    """"Set learning_rate to 0.001", from the issue's data."""
    value = issue.data.get("suggestion") if issue is not None else None
    return f"Set learning_rate to {value!r}" if isinstance(value, float) else None


def use_default_rate(doc: Document, issue, stack) -> list[str]:
    """Set the optimizer's learning rate to Keras' default (the issue's data)."""
    from . import commands as cmd

    value = issue.data.get("suggestion")
    if not isinstance(value, float):
        raise DocumentError(f"the issue names no learning rate to set: {issue.data!r}")
    training = with_setting(doc, FIELD, value)
    if training is None:
        raise DocumentError("training.optimizer is no optimizer now: "
                            f"{(doc.training or {}).get('optimizer')!r}")
    stack.push(cmd.SetTraining(doc, training))
    return []
