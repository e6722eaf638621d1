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
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class ExecutorChosen(TrainingEvent):
    """Which training step runs ("cuda-graph", "lean", "keras"), and why not a faster one."""

    kind: ClassVar[str] = "executor"
    path: str = ""
    reasons: list[str] = field(default_factory=list)
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
    kind: ClassVar[str] = "paused"
    epoch: int = 0


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


@dataclass(frozen=True)
class Result(TrainingEvent):
    """How a run ended: always its last event.

    Attributes:
        status: FINISHED, STOPPED (on request), FAILED or KILLED.
        message: a sentence for the user; empty when all went well.
        history: Keras' epoch logs, name -> one value per epoch.
        metrics: the final evaluation, on `evaluated_on` data.
        epochs_run, initial_epoch: as Keras counts epochs.
        saved: the saved model's path, or None.
        device: "cpu" or "cuda". nan, oom: why a failed run failed.
        dropped_epoch: after a NaN loss, the epoch (counted from 1, as Keras numbers a
            continued run) whose loss was not finite: it is in neither `history` nor
            `epochs_run`; None otherwise, and in events written before it was a field.
        nan_losses: the training losses of that epoch that were not finite ("loss",
            "out_loss"...); empty otherwise.
        evaluation: {"split", "metrics", "predictions"} of the trained model, if made.
        evaluation_error: why there is no evaluation, when it failed.
        issues: data or settings problems (`graph.inference.Issue`, each naming its
            node), for the window to pin to nodes and fix; on the wire each is a dict
            of the issue's fields, its `data` a dict (none in older events: empty).
        traceback: the worker's traceback of an unexpected failure.
        processes: data-parallel processes the run used.
    """

    kind: ClassVar[str] = "result"
    status: str = FAILED
    message: str = ""
    history: dict[str, list[float]] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    evaluated_on: str = ""
    epochs_run: int = 0
    initial_epoch: int = 0
    saved: str | None = None
    device: str = ""
    nan: bool = False
    oom: bool = False
    evaluation: dict[str, Any] | None = None
    evaluation_error: str = ""
    issues: tuple[Any, ...] = ()
    traceback: str = ""
    processes: int = 1
    dropped_epoch: int | None = None
    nan_losses: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "issues", tuple(_issue(i) for i in self.issues))
        object.__setattr__(self, "nan_losses", _names(self.nan_losses))
        dropped = self.dropped_epoch
        if dropped is not None and (isinstance(dropped, bool) or not isinstance(dropped, int)
                                    or dropped < 1):
            raise ValueError(f"A result's dropped_epoch is an epoch number from 1, or null. "
                             f"Received: {_shown(dropped)}")

    @classmethod
    def of(cls, result, **fields: Any) -> Result:
        """The result of a `runtime.train.TrainResult` (statuses in the protocol's words)."""
        from .train import NAN, OK, OOM
        from .train import STOPPED as TRAIN_STOPPED

        status = {OK: FINISHED, TRAIN_STOPPED: STOPPED}.get(result.status, FAILED)
        return cls(status, result.message, history=plain(result.history),
                   metrics=plain(result.metrics), evaluated_on=result.evaluated_on,
                   epochs_run=result.epochs_run, initial_epoch=result.initial_epoch,
                   saved=result.saved, device=result.device, nan=result.status == NAN,
                   oom=result.status == OOM, dropped_epoch=result.dropped_epoch,
                   nan_losses=tuple(result.nan_losses), **fields)


def _names(value: Any) -> tuple[str, ...]:
    """A result's `nan_losses` as a tuple of names (a list on the wire)."""
    if isinstance(value, str) or not isinstance(value, list | tuple) or \
            not all(isinstance(name, str) for name in value):
        raise ValueError(f"A result's nan_losses is a list of loss names. "
                         f"Received: {_shown(value)}")
    return tuple(value)


def _issue(value: Any):
    """An `Issue`, from itself or from its fields (as `to_wire` writes them)."""
    from kerascanvas.graph.inference import Issue

    if isinstance(value, Issue):
        return value
    names = [f.name for f in dataclasses.fields(Issue)]
    if not isinstance(value, Mapping) or set(value) - set(names):
        raise ValueError(f"A result's issue has the fields {', '.join(names)}. "
                         f"Received: {_shown(value)}")
    fields = {name: value.get(name) for name in names[:5]}
    # An event written before issues carried data has none: it loads with empty data.
    return Issue(**fields, fixes=tuple(value.get("fixes") or ()),
                 data=_issue_data(value.get("data")))


def _issue_data(value: Any):
    from kerascanvas.graph.issue_data import IssueData

    try:
        return IssueData.of(value)
    except TypeError as exc:
        raise ValueError(f"A result's issue data: {exc}") from None


KINDS: dict[str, type[TrainingEvent]] = {k.kind: k for k in (
    TrainBegin, ExecutorChosen, EpochBegin, BatchEnd, Validating, EpochEnd, Paused, Resumed,
    RankSilent, TrainEnd, Result)}


# ---- a study's events (in one process: the driver's threads to its listener) ------
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
    TrialStart, TrialEpoch, TrialEnd, Importances, StudyEnd)}


def require_study(event: Any) -> StudyEvent:
    """`event` itself when it is a study event; else a TypeError saying what came."""
    if isinstance(event, StudyEvent) and type(event) in STUDY_KINDS.values():
        return event
    raise TypeError(f"Expected a study event (runtime.events), received "
                    f"{type(event).__name__} {_shown(event)}")


def _shown(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 80 else shown[:77] + "..."


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
