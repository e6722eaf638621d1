"""A kill's end, apart from the events of a run that ends by itself: the thread that kills
a run's worker (`RunKiller`) and what the killed run kept (`take_kill`: its saved model, its
epoch-end snapshot, or where training was), said as `runtime.kill_keep` says it."""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Callable

from ...runtime import events as ev
from ...runtime.kill_keep import AS_IT_ENDED, NOT_SAVED, killed_message
from ...runtime.snapshot import kept_text as snapshot_text
from ...runtime.snapshot import snapshot_path
from ...runtime.worker import Reached, kept_text, where_text
from .records import RunRecord


class RunKiller(threading.Thread):
    """Kills one run's worker off the GUI thread (ending and joining its processes may take
    a moment), then hands `deliver` its "killed" result, which says what the run kept."""

    def __init__(self, record: RunRecord, deliver: Callable):
        super().__init__(daemon=True, name=f"kerascanvas-kill-{record.number}")
        self.record, self.deliver = record, deliver
        self.halted = threading.Event()

    def run(self) -> None:
        try:
            self.record.source.kill()
        finally:
            if not self.halted.is_set():
                self.deliver(self.record, [killed_result(self.record.source)])


def killed_result(source) -> ev.Result:
    """The result of a killed worker (`runtime.kill_keep`): the model it kept, if any; a
    worker that says nothing kept nothing."""
    result = getattr(source, "result", None)
    if isinstance(result, ev.Result) and result.status == ev.KILLED:
        return result
    return ev.Result(ev.KILLED, NOT_SAVED)


def take_kill(record: RunRecord, result: ev.Result) -> None:
    """Take what the kill of `record`'s worker kept into the record (no Qt: the window may
    be closing): the model it saved, said with what it holds, and the predictions; killed
    in training, the epoch-end snapshot it kept (`runtime.snapshot`). A kill that kept no
    model says where training was and what the run keeps (its curves), as a worker that
    died does; one before any batch says only that nothing was saved."""
    saved = result.saved if result.saved and os.path.exists(result.saved) else None
    record.status, record.saved_path = ev.KILLED, saved
    record.message = _killed_text(record, result, saved)
    record.result = dataclasses.replace(result, message=record.message, saved=saved)


def _killed_text(record: RunRecord, result: ev.Result, saved: str | None) -> str:
    where = _reached(record)
    if saved and _is_snapshot(record, saved):
        return f"Training was killed{where_text(where)}. {snapshot_text(saved)}" \
            f"{kept_text(where)}"
    if saved:
        return killed_message(saved, bool(result.evaluation), _held(record))
    if result.message == NOT_SAVED and (where.epochs_done or where.batch):
        return (f"Training was killed{where_text(where)}; the model was not saved."
                f"{kept_text(where)}")
    return result.message


def _is_snapshot(record: RunRecord, saved: str) -> bool:
    """Whether `saved` is the epoch-end snapshot of `record`'s `run_N.keras`."""
    return saved == snapshot_path(os.path.join(os.path.dirname(saved),
                                               f"run_{record.number}.keras"))


def _reached(record: RunRecord) -> Reached:
    """How far `record`'s run got, as its events said (epochs counted from the run's
    start, continued runs included)."""
    batch = (record.epoch, record.batch, record.steps) if record.batch >= 0 else None
    return Reached(record.initial_epoch + record.epochs_done, batch)


def _held(record: RunRecord) -> str:
    """What a model saved as training ended holds: "trained to the end, epoch 3 of 3", or
    "as training ended, in epoch 2 of 10" (a stop, an early stop)."""
    done, last = record.initial_epoch + record.epochs_done, record.epochs or "?"
    if done == record.epochs:
        return f"trained to the end, epoch {done} of {last}"
    where = f"in epoch {record.epoch + 1}" if record.batch >= 0 else f"after epoch {done}"
    return f"{AS_IT_ENDED}, {where} of {last}"
