"""What Continue offers for a run (no Qt): the epoch to train to and the learning rate.

Keras counts `fit(epochs=N, initial_epoch=k)` as training epochs k+1..N, so a target
epoch is stated, never a count added to the epochs already trained: a run set to 30
epochs and stopped after 6 continues to epoch 30 (24 more), unless the user asks for
more. Both come from the run record beside the run's saved model
(`runtime.run_record`, which `kerascanvas run --resume` reads too), whoever trained it;
a model without one (a run kept before records) goes by the run's listed epochs.

The rate offered is the one the run ended with, as Keras continues it: what its schedule
or ReduceLROnPlateau had reached (its saved optimizer's, from the record), else its last
logged rate, else its settings' rate. After a NaN loss that rate is no safe suggestion:
the rate offered is a tenth of the last one whose epoch ended with a finite loss, when the
curves have one: the kept model holds that epoch's weights, and at a constant rate the
next epoch from them diverged at that very rate.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ...runtime import run_record

NAN_BACKOFF = 0.1  # of the last rate with a finite loss, offered after a NaN


class Suggestion(NamedTuple):
    """The rate Continue offers (None: none is safe) and a sentence saying where it comes
    from (after a NaN loss: why it is not the run's own)."""

    rate: float | None
    why: str


def saved_record(record) -> dict | None:
    """The run record beside `record`'s saved model; None without one (or unreadable)."""
    if not record.saved_path:
        return None
    try:
        return run_record.read(record.saved_path)
    except run_record.RecordMismatch:
        return None


def other_data_note(doc, previous, overrides: dict, label: str) -> str:
    """What the log says when the continuation `label` of `previous` trains on data other
    than its run record names (the project's data setting changed since, or `kerascanvas
    run --data` trained it); "" when it is the same, or unknown."""
    recorded = (saved_record(previous) or {}).get("data")
    data = overrides.get("data", (doc.training or {}).get("data"))
    if recorded is None or data is None or recorded == data:
        return ""
    return (f"{label} continues {previous.label} on the project's data {data!r}; "
            f"{previous.label} was trained on {recorded!r} (its run record)")


def continue_start(record) -> int:
    """The epoch (as Keras counts) a continuation of `record` starts from: the epoch its
    saved model reached, by its run record, else by the run's result after a NaN loss
    (its dropped epoch ended, and was listed as done before that was known), else by the
    run's listed epochs."""
    reached, _ = run_record.resume_point(saved_record(record))
    if reached is not None:
        return reached
    return record.result.epochs_run if diverged(record) else \
        record.initial_epoch + record.epochs_done


def default_target(record, epochs_setting: int) -> int:
    """The epoch to continue `record` to: the rest of its plan (its record's, else its
    `epochs`), or, when it trained them all, `epochs_setting` more."""
    start = continue_start(record)
    _, planned = run_record.resume_point(saved_record(record))
    planned = planned or record.epochs or 0
    return planned if planned > start else start + max(int(epochs_setting), 1)


def diverged(record) -> bool:
    """Whether `record` ended on a NaN or infinite loss."""
    return record.result is not None and bool(record.result.nan)


def last_finite_rate(record) -> float | None:
    """The learning rate of `record`'s last epoch whose loss was finite; None without one
    (no epoch ended finite, or the rates were not logged)."""
    loss, lr = record.curves.epochs.get("loss"), record.curves.lr
    if loss is None or not len(lr):
        return None
    dropped = record.curves.dropped  # a NaN epoch whose loss stayed finite: not good
    good = loss.x[np.isfinite(loss.y) & (loss.x < (dropped or math.inf))]
    rates = [float(y) for x, y in zip(lr.x, lr.y, strict=True)
             if x in good and math.isfinite(y) and y > 0]
    return rates[-1] if rates else None


def _settings_rate(record) -> float:
    optimizer = record.settings.get("optimizer") or {}
    rate = optimizer.get("learning_rate", 0.001) if isinstance(optimizer, dict) else 0.001
    return float(rate) if isinstance(rate, int | float) else 0.001


def ended_rate(record) -> Suggestion:
    """The learning rate `record`'s run ended with, and where that comes from."""
    saved = run_record.reached_rate(saved_record(record))
    if saved is not None:
        return Suggestion(saved, f"Continue offers {saved:.3g} for {record.label}: the learning "
                                 "rate it ended with, read from its saved optimizer (after "
                                 "any schedule or ReduceLROnPlateau)")
    finite = record.curves.lr.y[np.isfinite(record.curves.lr.y) & (record.curves.lr.y > 0)]
    if len(finite):
        rate = float(finite[-1])
        return Suggestion(rate, f"Continue offers {rate:.3g} for {record.label}: the last "
                                "learning rate it logged (its model has no run record)")
    rate = _settings_rate(record)
    return Suggestion(rate, f"Continue offers {rate:.3g} for {record.label}: its settings' "
                            "learning rate (it logged none)")


def optimizer_rate(record, start_rate: float) -> float:
    """The optimizer's learning rate that has a continuation of `record` start at
    `start_rate`: itself, unless its settings decay the rate by a schedule, which goes on
    from the saved step count (`runtime.optim.carry_state`): then the settings' rate
    scaled by `start_rate` over the rate the run ended with, so the rate offered (that
    one) keeps the schedule as it was, where it was, instead of decaying it again."""
    schedule = record.settings.get("schedule") or "constant"
    name = schedule.get("name") if isinstance(schedule, dict) else schedule
    ended = run_record.reached_rate(saved_record(record))
    if name == "constant" or ended is None:
        return start_rate
    return _settings_rate(record) * start_rate / ended


def suggested_rate(record) -> Suggestion:
    """The rate Continue offers for `record`: the one it ended with (`ended_rate`); after a
    NaN loss a tenth of its last rate with a finite loss, or none."""
    if not diverged(record):
        return ended_rate(record)
    rate, finite = _settings_rate(record), last_finite_rate(record)
    if finite is None:
        return Suggestion(None, f"{record.label}'s loss became NaN and no epoch of it ended "
                                f"with a finite loss: type a learning rate well below {rate:g} "
                                "to continue")
    offered = finite * NAN_BACKOFF
    return Suggestion(offered, f"{record.label}'s loss became NaN at learning rate {rate:g}: "
                               f"Continue offers {offered:.3g}, a tenth of {finite:.3g}, the "
                               "rate of its last epoch with a finite loss (the epoch after it "
                               "diverged from those weights)")
