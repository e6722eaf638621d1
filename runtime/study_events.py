"""A design-space search's events, trial by trial (in one process: the driver's threads
to its listener); `runtime.events` re-exports them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from .event_base import shown as _shown


@dataclass(frozen=True)
class StudyEvent:
    """One thing that happened in a design-space search (`runtime.search.driver`)."""

    kind: ClassVar[str] = ""


@dataclass(frozen=True)
class TrialStart(StudyEvent):
    kind: ClassVar[str] = "trial_start"
    number: int = 0
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TrialEpoch(StudyEvent):
    """An epoch of a trial, with the value of the search metric the pruner was given."""

    kind: ClassVar[str] = "trial_epoch"
    number: int = 0
    epoch: int = 0
    value: float = 0.0
    logs: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class TrialPaused(StudyEvent):
    """A trial's training confirmed the pause: it holds before `batch` (0-based: that many
    of the epoch's `batches` are done; None where not known) of `epoch`."""

    kind: ClassVar[str] = "trial_paused"
    number: int = 0
    epoch: int = 0
    batch: int | None = None
    batches: int | None = None


@dataclass(frozen=True)
class TrialResumed(StudyEvent):
    """A paused trial's training goes on (resumed, or released by a stop); `paused_s`: the
    trial's time held paused so far, which its duration leaves out."""

    kind: ClassVar[str] = "trial_resumed"
    number: int = 0
    epoch: int = 0
    paused_s: float = 0.0


@dataclass(frozen=True)
class TrialEnd(StudyEvent):
    """A trial ended: state "complete", "pruned" or "failed" (the message says why)."""

    kind: ClassVar[str] = "trial_end"
    number: int = 0
    state: str = ""
    value: float | None = None
    message: str = ""
    duration_s: float | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Importances(StudyEvent):
    """The parameters' importances after a trial (name -> share), for the window."""

    kind: ClassVar[str] = "importances"
    importances: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class StudyEnd(StudyEvent):
    """The study stopped running; `error` is empty when it ended normally."""

    kind: ClassVar[str] = "study_end"
    error: str = ""


STUDY_KINDS: dict[str, type[StudyEvent]] = {k.kind: k for k in (
    TrialStart, TrialEpoch, TrialPaused, TrialResumed, TrialEnd, Importances, StudyEnd)}


def require_study(event: Any) -> StudyEvent:
    """`event` itself when it is a study event; else a TypeError saying what came."""
    if isinstance(event, StudyEvent) and type(event) in STUDY_KINDS.values():
        return event
    raise TypeError(f"Expected a study event (runtime.events), received "
                    f"{type(event).__name__} {_shown(event)}")
