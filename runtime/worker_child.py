"""The training worker's child process: what `runtime.worker.TrainingRun` starts.

`_child_main` lowers the process's priority, ends the process once its parent is gone
(`_end_with_parent`), listens for the parent's commands ("stop",
"pause", "resume") on a thread that hands them to the bridge once it exists (`Control`),
trains the payload (`train_document`, or on several processes
`runtime.relay.train_on_ranks`) and sends every event over the events queue as plain
data (`sender`: `events.to_wire`), the last one the run's `Result`; any failure becomes
a "failed" `Result`, never a silent exit. `train_document` is also what every rank of a
window's run trains (`runtime.relay`) and what the tests call in-process.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import threading
import traceback
from collections.abc import Callable, Mapping
from typing import Any

from kerascanvas.graph.document import Document
from kerascanvas.graph.layers import custom
from kerascanvas.graph.project import Project

from .events import FAILED, Result, TrainingEvent, to_wire
from .launch import is_main

NICENESS = 10
PARENT_GONE_EXIT = 1  # no one hears it: the window that started the run is gone


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
    _end_with_parent()
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


def _end_with_parent() -> None:
    """End this process, and the ranks it started, once the window that started it is
    gone (killed with SIGKILL, a crash): no one would hear its events, stop it or list its
    end, and its full events queue would hold it at its end for good. It ends as a kill
    would end it: its epoch-end snapshot (`runtime.snapshot`) is what is left of the run."""
    import multiprocessing

    parent = multiprocessing.parent_process()
    if parent is None:  # run in-process (the tests)
        return

    def watch() -> None:
        from multiprocessing.connection import wait

        from .worker_kill import descendants

        wait([parent.sentinel])
        for pid in descendants(os.getpid()):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        os._exit(PARENT_GONE_EXIT)

    threading.Thread(target=watch, daemon=True, name="kerascanvas-parent-watch").start()


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
    from .data import DataError
    from .fault_callbacks import fault_callbacks
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
