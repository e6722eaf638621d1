"""What Continue offers for a run (no Qt): the epoch to train to and the learning rate.

Keras counts `fit(epochs=N, initial_epoch=k)` as training epochs k+1..N, so a target
epoch is stated, never a count added to the epochs already trained: a run set to 30
epochs and stopped after 6 continues to epoch 30 (24 more), unless the user asks for
more. Both come from the run record beside the run's saved model
(`runtime.run_record`, which `kerascanvas run --resume` reads too), whoever trained it;
a model without one (a run kept before records) goes by the run's listed epochs.

After a NaN loss a tenth of the rate that diverged is no safe suggestion: the rate
offered is the last one whose epoch ended with a finite loss, when the curves have one.
"""

from __future__ import annotations

import math

import numpy as np

from ...runtime import run_record


def saved_record(record) -> dict | None:
    """The run record beside `record`'s saved model; None without one (or unreadable)."""
    if not record.saved_path:
        return None
    try:
        return run_record.read(record.saved_path)
    except run_record.RecordMismatch:
        return None


def continue_start(record) -> int:
    """The epoch (as Keras counts) a continuation of `record` starts from: the epoch its
    saved model reached, by its run record, else by the run's listed epochs."""
    reached, _ = run_record.resume_point(saved_record(record))
    return reached if reached is not None else record.initial_epoch + record.epochs_done


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
    good = loss.x[np.isfinite(loss.y)]
    rates = [float(y) for x, y in zip(lr.x, lr.y, strict=True)
             if x in good and math.isfinite(y) and y > 0]
    return rates[-1] if rates else None


def suggested_rate(record) -> tuple[float | None, str]:
    """(the rate Continue offers for `record`, a note saying why when it is not a tenth
    of the run's rate). A NaN run offers its last rate with a finite loss, or none."""
    optimizer = record.settings.get("optimizer") or {}
    rate = optimizer.get("learning_rate", 0.001) if isinstance(optimizer, dict) else 0.001
    rate = float(rate) if isinstance(rate, int | float) else 0.001
    if not diverged(record):
        return rate / 10, ""
    finite = last_finite_rate(record)
    if finite is None:
        return None, (f"{record.label}'s loss became NaN and no epoch of it ended with a "
                      f"finite loss: type a learning rate well below {rate:g} to continue")
    return finite, (f"{record.label}'s loss became NaN at learning rate {rate:g}: Continue "
                    f"offers {finite:.3g}, the rate of its last epoch with a finite loss "
                    f"(a smaller one may be needed)")
