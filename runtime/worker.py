"""Training in a subprocess that can be stopped, paused, resumed and killed.

The parent holds a `TrainingRun`. Its `start()` launches a process (spawn
context, so the child has fresh Keras global state and can be killed without
harm to the parent), which trains the document's model with the engine that
`kerascanvas run` uses (`runtime.train`) and sends the training events of
`runtime.events` over a multiprocessing queue (as plain data: `to_wire` in the
child, `from_wire` in the parent): those of `bridge.FastBridge`, then one final
`Result` (status "finished", "stopped" or "failed", the message, history and
metrics, the saved model's path, and the evaluation:
{"split": "test|validation|training", "metrics": {...},
"predictions": "model.predictions.npz"}).

The evaluation and the predictions NPZ behind the app's confusion matrix and
examples come from `runtime.run_evaluation`.

A run can continue a saved model (`initial_model`, `initial_epoch`): epochs
are numbered on from there, so the app's curves continue.

Commands go the other way ("stop", "pause", "resume"): a thread in the child
hands them to the bridge, so a stop takes effect after the current batch (of
training, of a validation pass, of the final evaluation or of the predictions; on
several processes too).
The child saves the model to `save_path` when training finishes, stops, or
fails with a NaN loss (with the last weights whose epoch loss was finite).
`kill()` ends the process at once, with every process it started (`worker_kill`); the run is
"killed", and keeps what it had written whole: after a kill in the final evaluation, the
model saved as training ended (`runtime.kill_keep`).
There is no Qt here: the app polls `poll_events()` from a timer. The child's side
(its commands, `train_document`) is `runtime.worker_child`; its names are importable
from here too.
"""

from __future__ import annotations

import dataclasses
import math
import multiprocessing
import queue
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from kerascanvas.graph.document import Document
from kerascanvas.graph.projectfile import to_dict

from .events import (
    FAILED,
    KILLED,
    RUNNING,
    BatchEnd,
    EpochEnd,
    Result,
    TrainingEvent,
    from_wire,
)
from .kill_keep import file_identity, kept_after_kill, own_files
from .launch import wait_ended
from .snapshot import kept_snapshot, snapshot_path
from .worker_child import (  # noqa: F401  (their home was here)
    NICENESS,
    Control,
    _child_main,
    _listen,
    _lower_priority,
    _trust_custom_code,
    failure_text,
    sender,
    train_document,
)
from .worker_kill import end_tree, ended_text

COMMANDS = ("stop", "pause", "resume")


@dataclasses.dataclass(frozen=True)
class Reached:
    """How far a run got, from its events: the last epoch it completed (counted from 1,
    0 for none) and the last batch it reported (epoch and batch 0-based, steps)."""

    epochs_done: int = 0
    batch: tuple[int, int, int | None] | None = None


def reached(so_far: Reached, event: TrainingEvent) -> Reached:
    if isinstance(event, EpochEnd):
        return Reached(event.epoch + 1, None)
    if isinstance(event, BatchEnd):
        return Reached(so_far.epochs_done, (event.epoch, event.batch, event.steps))
    return so_far


def where_text(where: Reached) -> str:
    """Where training was, for a message about a run that ended without a result:
    " during epoch 8, at batch 12 of 45 (epoch 7 was the last complete one)", " after
    epoch 7", or " before its first batch"."""
    done = (f"epoch {where.epochs_done} was the last complete one" if where.epochs_done
            else "no epoch completed")
    if where.batch is not None:
        epoch, batch, steps = where.batch
        return f" during epoch {epoch + 1}, at batch {batch + 1} of {steps or '?'} ({done})"
    return f" after epoch {where.epochs_done}" if where.epochs_done else \
        " before its first batch"


def kept_text(where: Reached) -> str:
    """What is left of such a run: its curves and the metrics of its complete epochs."""
    return (f" The curves and metrics up to epoch {where.epochs_done} are kept in the run."
            if where.epochs_done else "")


def crash_message(exitcode: int | None, where: Reached, snapshot: str | None = None) -> str:
    """What a run whose process ended without a result says: how it ended (the signal
    by name), where training was, and what is left of it: its curves, and the model's
    epoch-end `snapshot` when it kept one (`runtime.snapshot`).

    >>> crash_message(-9, Reached(7, (7, 11, 45)))[40:94]
    '(killed by SIGKILL) during epoch 8, at batch 12 of 45 '
    """
    from .snapshot import kept_text as snapshot_text

    lost = f". {snapshot_text(snapshot)}" if snapshot else "; the model was not saved."
    head = f"The training process ended unexpectedly ({ended_text(exitcode)}){where_text(where)}"
    return f"{head}{lost}{kept_text(where)}"


class TrainingRun:
    """One training run of a document in a child process, driven from the parent.

    Args:
        document: a Document or its project-file dict.
        overrides: training settings that replace the document's (epochs, data...).
        save_path: a `.keras` path the child saves the model to when it ends.
        fault: for tests and UI checks, `{"at_batch": N, "error": "oom"|"nan"}` makes
            the child fail that way at batch N of the first epoch, and
            `{"hold_in_validation": path}` holds its first validation pass until a
            stop, once it wrote `path` (`fault_callbacks.fault_callbacks`).
        initial_model: a saved `.keras` model (say, of a stopped run) to continue:
            its weights and optimizer state; the overrides may change the learning rate.
        initial_epoch: the epoch to continue from; events number epochs from it and
            `overrides["epochs"]` is the last epoch, as in Keras' `fit`.
        test_data: a data spec to evaluate the trained model on (instead of the
            validation data); the result's "evaluation" says which split was used.
        processes: data-parallel processes (torch DDP under torchrun, see
            `runtime.relay`); events and commands go through rank 0.
        trusted_code: digests of the CustomLayer code the user trusted (see
            `runtime.trust`); the child runs that code and no other.
    """

    def __init__(self, document: Document | Mapping[str, Any],
                 overrides: Mapping[str, Any] | None = None, save_path: str | None = None,
                 fault: Mapping[str, Any] | None = None, initial_model: str | None = None,
                 initial_epoch: int = 0, test_data: str | None = None, processes: int = 1,
                 trusted_code: Iterable[str] = ()):
        doc_dict = to_dict(document) if isinstance(document, Document) else dict(document)
        self.payload = {"document": doc_dict, "overrides": dict(overrides or {}),
                        "save": str(save_path) if save_path else None,
                        "fault": dict(fault) if fault else None,
                        "initial_model": str(initial_model) if initial_model else None,
                        "initial_epoch": int(initial_epoch), "test_data": test_data,
                        "processes": int(processes),
                        # the custom code the parent trusts; the file says nothing of it
                        "trusted_code": sorted(trusted_code)}
        self.status = "ready"
        self.result: Result | None = None
        self.process = None
        self._events = self._commands = None
        self._killing = False  # set before terminate(): a poll must not call it a crash
        self._files_before: dict[str, tuple | None] = {}  # the run's files as it began
        self._reached = Reached()
        self._snapshot_before: tuple | None = None  # an earlier run's snapshot, not this one's

    def start(self) -> None:
        """Launch the child process; events start arriving through `poll_events()`."""
        if self.process is not None:
            raise RuntimeError(f"This run was already started (status {self.status!r})")
        context = multiprocessing.get_context("spawn")
        self._events, self._commands = context.Queue(), context.Queue()
        self.process = context.Process(target=_child_main, daemon=True, name="kerascanvas-train",
                                       args=(self.payload, self._events, self._commands))
        self._files_before = {p: file_identity(p) for p in own_files(self.payload["save"])}
        self._snapshot_before = file_identity(snapshot_path(self.payload["save"])) \
            if self.payload["save"] else None
        self.process.start()
        self.status = RUNNING

    def _send(self, name: str) -> None:
        if self.status == RUNNING:
            self._commands.put(name)

    def stop(self) -> None:
        """Stop after the current batch; the child saves the model and reports "stopped"."""
        self._send("stop")

    def pause(self) -> None:
        """Hold training before the next batch (a "paused" event follows)."""
        self._send("pause")

    def resume(self) -> None:
        self._send("resume")

    def kill(self, timeout: float = 5.0) -> None:
        """End the child at once (last resort); status "killed".

        The child and every process it started (on several processes torchrun's agent and
        its ranks, also those it was still starting) are frozen, then killed with SIGKILL
        (`worker_kill.end_tree`): none saves or passes a signal on, where a SIGTERM from
        the agent would have rank 0 keep the model (`rank_end`). Once none of them can
        write anything more, what the run had written whole is kept (`kept_after_kill`):
        a kill in the final evaluation keeps the model saved as training ended. The
        result says what was kept.
        """
        if self.process is None or self.status != RUNNING or self._killing:
            return
        self._killing = True
        below = end_tree(self.process.pid, timeout)
        self.process.join(timeout)
        wait_ended(below, timeout)  # reaped by now, or zombies that write nothing more
        self.result = kept_after_kill(self.payload["save"], self._files_before,
                                      self._snapshot_before)
        self.status = KILLED

    def poll_events(self) -> list[TrainingEvent]:
        """The events that arrived since the last call, without blocking."""
        if self._events is None or self.status == KILLED:
            return []
        received = self._drain()
        if self.status == RUNNING and not self._killing and not self.process.is_alive():
            received += self._drain(wait=0.5)
            if self.status == RUNNING:
                self.status = FAILED
                self.result = self._crashed()
                received.append(self.result)
        return received

    def _crashed(self) -> Result:
        """The result of a child that ended without one: its epoch-end snapshot, if it
        kept one, is the run's model (Continue goes on from it)."""
        snapshot = kept_snapshot(self.payload["save"], self._snapshot_before)
        return Result(FAILED, crash_message(self.process.exitcode, self._reached, snapshot),
                      saved=snapshot)

    def _drain(self, wait: float = 0.0) -> list[TrainingEvent]:
        received = []
        while True:
            try:
                data = self._events.get(timeout=wait) if wait else self._events.get_nowait()
            except queue.Empty:
                return received
            event = from_wire(data)
            received.append(event)
            self._reached = reached(self._reached, event)
            if isinstance(event, Result):
                self.result, self.status = event, event.status
                self._commands.put(None)

    def wait(self, timeout: float | None = None, on_event: Callable | None = None) -> str:
        """Block until the run ends (or `timeout` seconds pass); return the status."""
        import time

        deadline = math.inf if timeout is None else time.monotonic() + timeout
        while self.status == RUNNING and time.monotonic() < deadline:
            for event in self.poll_events():
                if on_event is not None:
                    on_event(event)
            time.sleep(0.05)
        if self.status != RUNNING and self.process is not None:
            self.process.join(5)
        return self.status
