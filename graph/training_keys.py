"""Keys of the training settings that generated code would write as keyword arguments.

The training script writes optimizer options (and the runtime passes schedule and
callback options) as `keyword=value`. Python folds non-ASCII identifiers by NFKC,
so a full-width `ｌｅａｒｎｉｎｇ_rate` beside `learning_rate` becomes the same keyword
twice, and `class=` or `None=` does not parse at all. Such a key is refused as an
error (code "bad_keyword") naming its field, before any code is generated. Pure.

>>> [i.field for i in keyword_issues({"optimizer": {"name": "adam", "class": 1}})]
['training.optimizer.class']
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Mapping
from typing import Any

from .document import identifier_problem

CODE = "bad_keyword"
# The settings objects whose keys are option names (the top level, optimizer, schedule)
# and the list whose items are (callbacks).
SECTIONS = ("optimizer", "schedule")
LISTS = ("callbacks",)


def _objects(training: Mapping[str, Any]) -> Iterator[tuple[str, Mapping]]:
    """(field, settings object) for each object whose keys are option names."""
    yield "training", training
    for key in SECTIONS:
        if isinstance(training.get(key), Mapping):
            yield f"training.{key}", training[key]
    for key in LISTS:
        items = training.get(key)
        for i, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, Mapping):
                yield f"training.{key}[{i}]", item


def _key_problem(key: Any, keys: Mapping) -> str | None:
    if not isinstance(key, str):
        return None  # JSON keys are strings
    folded = unicodedata.normalize("NFKC", key)
    if folded != key and folded in keys:
        return (f"{key!r} reads as {folded!r} in Python (NFKC folding), which is also given, "
                "so generated code would repeat that keyword")
    if problem := identifier_problem(key):
        return f"a setting name must be {problem} (code passes settings as keyword arguments)"
    return None


def keyword_issues(training: Any) -> list:
    """A `SettingIssue` (severity "error", code "bad_keyword") per key that cannot be a
    keyword argument of the generated code, naming its field."""
    from .setting_issue import SettingIssue

    if not isinstance(training, Mapping):
        return []
    issues = []
    for field, options in _objects(training):
        for key in options:
            if problem := _key_problem(key, options):
                where = f"{field}.{key}"
                issues.append(SettingIssue(where, "error", f"{where}: {problem}. "
                                                           f"Received: {key!r}", CODE))
    return issues
