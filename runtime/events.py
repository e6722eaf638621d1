"""The training protocol: every event of a run, and its result, as one typed kind each.

(A design-space search's own events, trial by trial, are here too: `StudyEvent`.)

The bridge (`runtime.bridge`), the engine (`runtime.train`), the worker, the
command line and the search make these events; the app's training controller,
the progress bar, the event log and the search driver read their fields. Where
an event leaves its process (the worker's and the trials' multiprocessing
queues, rank 0's link to the window, the `--log` JSON lines), it goes as plain
data through one pair of functions, `to_wire` and `from_wire`:

>>> event = EpochEnd(epoch=2, logs={"loss": 0.25}, lr=0.001)
>>> wire = to_wire(event)
>>> wire["event"], wire["logs"]
('epoch_end', {'loss': 0.25})
>>> from_wire(wire) == event
True

A consumer handed plain data instead of an event refuses it (`require`), so a
producer that builds a dict of its own is found at once. No keras here: the app
imports this module.

The progress events and the wire are here; what every event shares (statuses, `plain`,
`TrainingEvent`) is in `runtime.event_base`, the run's `Result` in
`runtime.result_event`, a search's events in `runtime.study_events`, and all of their
names are importable from here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .event_base import (  # noqa: F401  (the protocol's names, importable from here)
    FAILED,
    FINISHED,
    KILLED,
    KIND_FIELD,
    RUNNING,
    STOPPED,
    TrainingEvent,
    plain,
)
from .event_base import shown as _shown
from .result_event import Result
from .study_events import (  # noqa: F401
    STUDY_KINDS,
    Importances,
    StudyEnd,
    StudyEvent,
    TrialEnd,
    TrialEpoch,
    TrialPaused,
    TrialResumed,
    TrialStart,
    require_study,
)


@dataclass(frozen=True)
class TrainBegin(TrainingEvent):
    """Training starts: the resolved settings and the size of the run."""

    kind: ClassVar[str] = "train_begin"
    settings: dict[str, Any] = field(default_factory=dict)
    epochs: int | None = None
    steps: int | None = None
    samples: int | None = None
    batch_size: int | None = None
    initial_epoch: int = 0
    note: str = ""  # a setting the run does not use, and why; the data check's warnings


@dataclass(frozen=True)
class ExecutorChosen(TrainingEvent):
    """Which training step runs ("cuda-graph", "lean", "keras"), and why not a faster one."""

    kind: ClassVar[str] = "executor"
    path: str = ""
    reasons: list[str] = field(default_factory=list)
    message: str = ""


@dataclass(frozen=True)
class WeightsLoaded(TrainingEvent):
    """The initial weights a project names were loaded: which layers got them."""

    kind: ClassVar[str] = "weights"
    source: str = ""
    loaded: list[str] = field(default_factory=list)
    fresh: list[str] = field(default_factory=list)
    message: str = ""


@dataclass(frozen=True)
class EpochBegin(TrainingEvent):
    """Keras' epoch number: a run continued from epoch 5 begins with epoch 5."""

    kind: ClassVar[str] = "epoch_begin"
    epoch: int = 0


@dataclass(frozen=True)
class BatchEnd(TrainingEvent):
    """Progress within an epoch; `logs` are Keras' running means since the epoch began,
    `batch_logs` the losses ("loss" and each output's) of the batches since the previous
    BatchEnd of the epoch (events written before it existed have none)."""

    kind: ClassVar[str] = "batch_end"
    epoch: int = 0
    batch: int = 0
    steps: int | None = None
    logs: dict[str, float] = field(default_factory=dict)
    lr: float | None = None
    samples_per_s: float | None = None
    eta_s: float | None = None
    batch_logs: dict[str, float] = field(default_factory=dict)

    @property
    def loss(self) -> Any:
        """The loss of the batches this event covers (the running mean in older events)."""
        return self.batch_logs.get("loss", self.logs.get("loss"))


@dataclass(frozen=True)
class EpochEnd(TrainingEvent):
    """An epoch's logs (validation metrics included), learning rate, speed, time left."""

    kind: ClassVar[str] = "epoch_end"
    epoch: int = 0
    logs: dict[str, float] = field(default_factory=dict)
    lr: float | None = None
    samples_per_s: float | None = None
    eta_s: float | None = None


@dataclass(frozen=True)
class Validating(TrainingEvent):
    """The epoch's validation pass goes on: it begins validation batch `batch` (from 0)
    of `batches` (None: not known). Sent as the pass begins and then at most every few
    seconds (`bridge.VALIDATING_EVERY_S`), reading no metric: a pass that lasts longer
    than the window waits for a word is not taken for a hung run."""

    kind: ClassVar[str] = "validating"
    epoch: int = 0
    batch: int = 0
    batches: int | None = None


@dataclass(frozen=True)
class Paused(TrainingEvent):
    """Training holds before `batch` (0-based: that many batches of `epoch` are done; None
    where the bridge does not know) until it is resumed or stopped."""

    kind: ClassVar[str] = "paused"
    epoch: int = 0
    batch: int | None = None


@dataclass(frozen=True)
class Resumed(TrainingEvent):
    kind: ClassVar[str] = "resumed"
    epoch: int = 0


@dataclass(frozen=True)
class RankSilent(TrainingEvent):
    """On several processes, rank 0 has waited `seconds` for `rank`, whose last word was
    `last` ("epoch 2, batch 5": the step it began last); sent once per wait
    (`runtime.rank_watch`)."""

    kind: ClassVar[str] = "rank_silent"
    rank: int = 0
    seconds: float = 0.0
    last: str = ""

    def text(self) -> str:
        return (f"rank {self.rank} has been silent for {self.seconds:.0f} s (its last word: "
                f"{self.last}); the other ranks wait for it, and a stop cannot reach them: "
                f"kill the run to end it")


@dataclass(frozen=True)
class TrainEnd(TrainingEvent):
    """Keras' training loop ended (the evaluation and the save come after it)."""

    kind: ClassVar[str] = "train_end"
    epochs_run: int = 0
    stopped: bool = False
    logs: dict[str, float] = field(default_factory=dict)


KINDS: dict[str, type[TrainingEvent]] = {k.kind: k for k in (
    TrainBegin, ExecutorChosen, WeightsLoaded, EpochBegin, BatchEnd, Validating, EpochEnd,
    Paused, Resumed, RankSilent, TrainEnd, Result)}


# ---- across processes -------------------------------------------------------------
def require(event: Any) -> TrainingEvent:
    """`event` itself when it is a training event; else a TypeError saying what came."""
    if isinstance(event, TrainingEvent) and type(event) in KINDS.values():
        return event
    raise TypeError(f"Expected a training event (runtime.events), received "
                    f"{type(event).__name__} {_shown(event)}; plain data from another "
                    f"process is read with runtime.events.from_wire")


def to_wire(event: TrainingEvent) -> dict[str, Any]:
    """The event as plain, JSON-friendly data: {"event": kind, field: value, ...}."""
    require(event)
    fields = {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}
    return {KIND_FIELD: event.kind, **plain(fields)}


def from_wire(data: Any) -> TrainingEvent:
    """The event that `to_wire` wrote.

    Raises:
        ValueError: not a mapping, an unknown kind, or a field the kind does not have,
            each named with what was received.
    """
    if not isinstance(data, Mapping):
        raise ValueError(f"A training event is a mapping with an {KIND_FIELD!r} field. "
                         f"Received: {type(data).__name__}")
    kind = data.get(KIND_FIELD)
    cls = KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ValueError(f"Unknown training event kind {kind!r}; expected one of "
                         f"{', '.join(KINDS)}")
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names - {KIND_FIELD})
    if unknown:
        raise ValueError(f"The {kind!r} event has no field {unknown[0]!r}; its fields are "
                         f"{', '.join(sorted(names))}")
    return cls(**{k: v for k, v in data.items() if k != KIND_FIELD})
