"""What every training event shares: the run statuses, the wire's kind field, `plain`
(JSON-friendly copies of logs and settings) and the `TrainingEvent` base class.

`runtime.events` is the protocol's home and re-exports all of these; no keras here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

# A run's status, as the worker and the app's run list report it.
RUNNING, FINISHED, STOPPED, KILLED, FAILED = "running", "finished", "stopped", "killed", "failed"
# The wire field that names the kind.
KIND_FIELD = "event"


def plain(value: Any) -> Any:
    """A JSON-friendly copy: numbers become float/int (NaN stays a float), tuples lists,
    dataclasses (an `Issue`) dicts of their fields.

    >>> plain({"loss": 1, "shape": (2, 3), 4: None})
    {'loss': 1, 'shape': [2, 3], '4': None}
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return plain(dataclasses.asdict(value))
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, bool | int | str) or value is None:
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


@dataclass(frozen=True)
class TrainingEvent:
    """One thing that happened in a run; `kind` is its name on the wire."""

    kind: ClassVar[str] = ""


def shown(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 80 else shown[:77] + "..."
