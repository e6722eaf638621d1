"""Checks of single training setting values, each returning what was expected or None. Pure.

`number(...)`, `one_of(...)`, `boolean` and `text` make the checks that
`graph.training_schema.RULES` assigns to each option; `check_schedule` and
`check_class_weight` check the two settings whose values need more than one rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .setting_issue import SettingIssue, _issue

Check = Callable[[Any], str | None]


def number(low: float | None = None, high: float | None = None, integer: bool = False,
           allow_none: bool = False, low_open: bool = False) -> Check:
    """A check that a value is a number within bounds; returns the expectation or None."""
    kind = "an integer" if integer else "a number"
    bounds = []
    if low is not None:
        bounds.append(f"{'>' if low_open else '>='} {low}")
    if high is not None:
        bounds.append(f"<= {high}")
    expected = f"{kind}{' ' + ' and '.join(bounds) if bounds else ''}"
    expected += " or null" if allow_none else ""

    def check(value):
        if value is None:
            return None if allow_none else expected
        types = (int,) if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, types):
            return expected
        if value != value:  # NaN: every comparison with a bound is False
            return expected
        if low is not None and (value < low or (low_open and value == low)):
            return expected
        return expected if high is not None and value > high else None

    return check


def one_of(*choices) -> Check:
    def check(value):
        return None if value in choices else f"one of {', '.join(map(repr, choices))}"

    check.choices = choices  # read by `value_fix` for the name a mistyped one meant
    return check


def boolean(value) -> str | None:
    return None if isinstance(value, bool) else "true or false"


def text(value) -> str | None:
    return None if isinstance(value, str) and value.strip() else "a non-empty string"


def data_spec(value) -> str | None:
    """A data spec is text, parsed where the data is read (`runtime.sources`)."""
    return None if isinstance(value, str) and value.strip() else \
        "a data spec such as 'synthetic:N', 'sklearn:NAME' or 'FILE.npz'"


def optional_data_spec(value) -> str | None:
    return None if value is None else data_spec(value)


POSITIVE = number(0, low_open=True)
OPTIONAL_POSITIVE = number(0, low_open=True, allow_none=True)


def check_schedule(schedule: Mapping[str, Any]) -> list[SettingIssue]:
    if schedule.get("name") != "step":
        return []
    bounds, values = schedule.get("boundaries"), schedule.get("values")
    if not isinstance(bounds, list) or any(number(0, low_open=True)(b) for b in bounds) \
            or bounds != sorted(set(bounds)):
        return [_issue("training.schedule.boundaries",
                       f"expected increasing positive epoch numbers. Received: {bounds!r}")]
    if values is not None and (not isinstance(values, list) or len(values) != len(bounds) + 1
                               or any(POSITIVE(v) for v in values)):
        return [_issue("training.schedule.values",
                       f"expected {len(bounds) + 1} positive learning rates (one more than "
                       f"the boundaries). Received: {values!r}")]
    return []


def check_class_weight(value: Any, outputs: int) -> list[SettingIssue]:
    field = "training.class_weight"
    if value is None:
        return []
    if outputs != 1:
        return [_issue(field, f"class weights apply to a model with one output. "
                              f"This model has {outputs}")]
    if value == "balanced":
        return []
    if not isinstance(value, Mapping):
        return [_issue(field, f"expected null, 'balanced' or {{class id: weight}}. "
                              f"Received: {value!r}")]
    for key, weight in value.items():
        if not str(key).isdigit() or POSITIVE(weight):
            return [_issue(f"{field}.{key}", f"expected a class id (0, 1, ...) mapped to a "
                                             f"positive weight. Received: {key!r}: {weight!r}")]
    return []
