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
`kill()` terminates the process; the parent marks the run "killed".
There is no Qt here: the app polls `poll_events()` from a timer.
"""

from __future__ import annotations

import dataclasses
import math
import multiprocessing
import os
import queue
import threading
import traceback
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from kerascanvas.graph.document import Document
from kerascanvas.graph.layers import custom
from kerascanvas.graph.project import Project
from kerascanvas.graph.projectfile import to_dict

from .events import FAILED, KILLED, RUNNING, Result, TrainingEvent, from_wire, to_wire
from .launch import is_main

COMMANDS = ("stop", "pause", "resume")
NICENESS = 10


class Control:
    """Commands for a bridge that may not exist yet (the model is still being built)."""

    def __init__(self):
        self.bridge = None
        self._pending: list[str] = []
        self._lock = threading.Lock()

    def command(self, name: str) -> None:
        with self._lock:
            if self.bridge is None:
                self._pending.append(name)
            else:
                _apply(self.bridge, name)

    def attach(self, bridge) -> None:
        with self._lock:
            self.bridge = bridge
            for name in self._pending:
                _apply(bridge, name)
            self._pending.clear()


def _apply(bridge, name: str) -> None:
    {"stop": bridge.request_stop, "pause": bridge.pause, "resume": bridge.resume}[name]()


def _listen(commands, control: Control) -> None:
    while True:
        name = commands.get()
        if name is None:
            return
        control.command(name)


def sender(events) -> Callable[[TrainingEvent], None]:
    """A sink that puts each event on the multiprocessing queue `events`, as plain data."""
    return lambda event: events.put(to_wire(event))


def _child_main(payload: dict, events, commands) -> None:
    from .keras_env import ensure_backend

    _lower_priority()
    ensure_backend()
    control = Control()
    threading.Thread(target=_listen, args=(commands, control), daemon=True).start()
    send = sender(events)
    try:
        if int(payload.get("processes") or 1) > 1:
            from .relay import train_on_ranks

            result = train_on_ranks(payload, send, control)
        else:
            result = train_document(payload, send, control)
    except BaseException as exc:  # noqa: B036  the parent must hear of any failure
        result = Result(FAILED, failure_text(exc), traceback=traceback.format_exc())
    send(result)
    events.close()
    events.join_thread()


def _lower_priority() -> None:
    # Before the heavy imports: the GUI (and the user's other work) wins the CPU.
    try:
        os.nice(NICENESS)
    except (AttributeError, OSError):  # no nice() here, or not permitted: train anyway
        pass


def failure_text(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return f"Training failed: {text}"


# ---- the child's side: runs in the child (tests also call it in-process) ------------
def train_document(payload: Mapping[str, Any], sink: Callable[[TrainingEvent], None],
                   control: Control | None = None) -> Result:
    """Check the settings and data, then train with `runtime.train.train`.

    Args:
        payload: {"document": project dict, "overrides": {...}, "save": path or None,
            "initial_model": path or None, "initial_epoch": 0,
            "fault": None or {"at_batch": N, "error": "oom"|"nan"}}.
        sink: receives the bridge's events.
        control: hands stop/pause/resume commands to the bridge once it exists.

    Returns:
        The `Result`. Settings, data and build problems, NaN losses and running
        out of memory all become a "failed" result with a message, never an exception.
    """
    from .bridge import CutOnStop, FastBridge
    from .callbacks import fault_callbacks
    from .data import DataError
    from .run_evaluation import evaluation_fields
    from .train import TrainingRefused, load_checked_data, prepare, train

    try:
        project = Project.from_dict(payload["document"])
        _trust_custom_code(project.doc, set(payload.get("trusted_code") or ()))
        doc, settings = prepare(project.doc, payload.get("overrides"), project.analysis)
        data = load_checked_data(doc, settings, analysis=project.analysis)
    except (TrainingRefused, DataError) as exc:  # the message names the field or node
        return Result(FAILED, str(exc), issues=tuple(getattr(exc, "issues", ())))
    bridge = FastBridge(sink)
    (control or Control()).attach(bridge)
    fault = payload.get("fault")
    try:
        result = train(doc, data, bridge=bridge, save=payload.get("save"),
                       callbacks=fault_callbacks(fault),
                       initial_model=payload.get("initial_model"),
                       initial_epoch=int(payload.get("initial_epoch") or 0),
                       resolved=settings, analysis=project.analysis)
    except TrainingRefused as exc:
        return Result(FAILED, str(exc))
    event = Result.of(result)
    # Rank 0 predicts; not after a stop left the run without a score (`result.unscored`).
    if result.ok and result.model is not None and is_main() and not result.unscored:
        # Rank 0 predicts alone (the other ranks are done): its Stop ends the pass after
        # the current batch, as in a one-process run, not only where the ranks agree.
        bridge.stop_at_once = True
        event = dataclasses.replace(event, **evaluation_fields(
            result, doc, data, payload, project.analysis, CutOnStop(bridge)))
    return event


def _trust_custom_code(doc: Document, digests) -> None:
    """The parent's trust in custom code (digests it listed), and Keras' shapes for it.

    Raises:
        TrainingRefused: a CustomLayer whose code the parent did not trust.
    """
    if not custom.has_code(doc):
        return
    from kerascanvas.graph import training_code

    from .custom_code import resolve
    from .train import TrainingRefused

    custom.set_context(doc, custom.CustomContext(trusted=frozenset(digests)))
    untrusted = [n.name for n in custom.custom_nodes(doc)
                 if custom.code_digest(n.params) not in digests]
    if training_code.digest(doc.training) not in {None, *digests}:
        untrusted.append("the training code (custom losses and metrics)")
    if untrusted:
        raise TrainingRefused(f"custom code not trusted: {', '.join(untrusted)}; nothing "
                              f"ran. {custom.TRUST_HINT[0].upper()}{custom.TRUST_HINT[1:]}")
    resolve(doc)


class TrainingRun:
    """One training run of a document in a child process, driven from the parent.

    Args:
        document: a Document or its project-file dict.
        overrides: training settings that replace the document's (epochs, data...).
        save_path: a `.keras` path the child saves the model to when it ends.
        fault: for tests and UI checks, `{"at_batch": N, "error": "oom"|"nan"}` makes
            the child fail that way at batch N of the first epoch, and
            `{"hold_in_validation": path}` holds its first validation pass until a
            stop, once it wrote `path` (`callbacks.fault_callbacks`).
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

    def start(self) -> None:
        """Launch the child process; events start arriving through `poll_events()`."""
        if self.process is not None:
            raise RuntimeError(f"This run was already started (status {self.status!r})")
        context = multiprocessing.get_context("spawn")
        self._events, self._commands = context.Queue(), context.Queue()
        self.process = context.Process(target=_child_main, daemon=True, name="kerascanvas-train",
                                       args=(self.payload, self._events, self._commands))
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
        """Terminate the child at once (last resort: nothing is saved); status "killed"."""
        if self.process is None or self.status != RUNNING:
            return
        self._killing = True
        self.process.terminate()
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout)
        self.status = KILLED
        self.result = Result(KILLED, "Training was killed; the model was not saved.")

    def poll_events(self) -> list[TrainingEvent]:
        """The events that arrived since the last call, without blocking."""
        if self._events is None or self.status == KILLED:
            return []
        received = self._drain()
        if self.status == RUNNING and not self._killing and not self.process.is_alive():
            received += self._drain(wait=0.5)
            if self.status == RUNNING:
                self.status = FAILED
                self.result = Result(FAILED, (
                    f"The training process ended unexpectedly (exit code "
                    f"{self.process.exitcode}); the model was not saved."))
                received.append(self.result)
        return received

    def _drain(self, wait: float = 0.0) -> list[TrainingEvent]:
        received = []
        while True:
            try:
                data = self._events.get(timeout=wait) if wait else self._events.get_nowait()
            except queue.Empty:
                return received
            event = from_wire(data)
            received.append(event)
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
