"""A run's `Result`: always its last event (`runtime.events`), with the checks that
read its fields back from the wire (issues, NaN losses, the dropped epoch)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .event_base import FAILED, FINISHED, STOPPED, TrainingEvent, plain
from .event_base import shown as _shown


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
        early_stopped, kept_epoch: the epoch (from 1) after which EarlyStopping ended
            training, and the one whose weights it restored; None otherwise.
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
    early_stopped: int | None = None
    kept_epoch: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "issues", tuple(_issue(i) for i in self.issues))
        object.__setattr__(self, "nan_losses", _names(self.nan_losses))
        for name in ("dropped_epoch", "early_stopped", "kept_epoch"):
            epoch = getattr(self, name)
            if epoch is not None and (isinstance(epoch, bool) or not isinstance(epoch, int)
                                      or epoch < 1):
                raise ValueError(f"A result's {name} is an epoch number from 1, or null. "
                                 f"Received: {_shown(epoch)}")

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
                   nan_losses=tuple(result.nan_losses), early_stopped=result.early_stopped,
                   kept_epoch=result.kept_epoch, **fields)


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
