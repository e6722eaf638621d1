"""One trial's worker process: train a document with our engine, send epoch events.

The parent starts `trial_main` in a process of its own (`start_trial`), so each
trial has fresh Keras state, its own CPU threads or GPU, and can be stopped
(the pruner, the user) or killed. On Linux the processes fork from a server
that has imported keras and torch once (multiprocessing's forkserver with a
preload), so a trial starts in a fraction of a second instead of re-importing
keras; elsewhere they are spawned. The server lowers its own priority before
those imports (`server_priority`, the first module it preloads), as each trial
does before it trains, so neither competes with the window for the CPU.

A trial trains with `stopping.TrialBridge`: a stop ends training or the
validation pass after the current batch, and skips the final evaluation.

Events sent back (the training events of `runtime.events`, as plain data
through `to_wire`; the driver reads them with `from_wire`): the bridge's
`TrainBegin`, `EpochEnd`, `Paused` and `Resumed` (the trial confirms that it holds, and
where: `holds`), then the trial's `Result`.

Commands go the other way ("stop", "pause", "resume"), as with the app's worker.

A trial ends itself when the process that runs the study is gone (killed: it could tell
nobody). Its events would never be read: it trained on, then waited forever to hand them
over, keeping its Keras and torch in memory.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Mapping
from typing import Any

from kerascanvas.graph.project import Project

from ..events import FAILED, EpochEnd, Paused, Result, Resumed, TrainBegin
from ..worker_child import Control, _listen, _lower_priority, _trust_custom_code, sender

SENT = (TrainBegin, EpochEnd, Paused, Resumed)  # batch events stay in the child
# What every trial imports: the server imports it once and each trial forks from it.
_PRELOAD = ["kerascanvas.runtime.search.server_priority",  # first: before torch and keras
            "torch", "keras", "sklearn.datasets", "kerascanvas.runtime.search.child",
            "kerascanvas.runtime.train", "kerascanvas.runtime.bridge",
            "kerascanvas.runtime.sources"]
STUDY_POLL_S = 1.0  # how often a trial looks whether the study's process is still there
_context_lock = threading.Lock()
_context = None


def context():
    """The multiprocessing context trials start in (forkserver with keras preloaded)."""
    global _context
    with _context_lock:
        if _context is None:
            from ..keras_env import ensure_backend

            ensure_backend()  # the server reads the backend when it imports keras
            if sys.platform.startswith("linux"):
                _context = multiprocessing.get_context("forkserver")
                _context.set_forkserver_preload(_PRELOAD)
            else:
                _context = multiprocessing.get_context("spawn")
        return _context


def start_trial(payload: Mapping[str, Any]):
    """(process, events queue, commands queue) of a started trial."""
    ctx = context()
    events, commands = ctx.Queue(), ctx.Queue()
    payload = {**payload, "study_pid": os.getpid()}
    process = ctx.Process(target=trial_main, args=(payload, events, commands),
                          daemon=True, name=f"kerascanvas-trial-{payload.get('number')}")
    process.start()
    return process, events, commands


def trial_main(payload: dict, events, commands) -> None:
    """The child: set the GPU and threads, train, put every event and the result."""
    for name, value in (payload.get("env") or {}).items():
        os.environ[name] = str(value)  # CUDA_VISIBLE_DEVICES before torch touches CUDA
    _lower_priority()
    if os.name == "posix" and payload.get("study_pid"):
        threading.Thread(target=_end_with, args=(payload["study_pid"],), daemon=True,
                         name="study-watch").start()
    control = Control()
    threading.Thread(target=_listen, args=(commands, control), daemon=True).start()
    send = sender(events)
    try:
        result = train_trial(payload, send, control)
    except BaseException as exc:  # noqa: B036  the parent must hear of any failure
        text = str(exc).strip() or type(exc).__name__
        result = Result(FAILED, f"{type(exc).__name__}: {text}")
    send(result)
    events.close()
    events.join_thread()


def _end_with(pid: int) -> None:
    """In a thread of the trial: end its process once the study's process `pid` is gone.
    (The trial's parent is the fork server, which lives as long as its trials do.)"""
    while not _gone(pid):
        time.sleep(STUDY_POLL_S)
    os._exit(1)


def _gone(pid: int) -> bool:
    """Whether process `pid` has ended; one killed that nobody reaped (a zombie) has."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rpartition(")")[2].split()[0] == "Z"
    except (OSError, IndexError):
        return False  # no /proc to ask: alive as far as can be told


def train_trial(payload: Mapping[str, Any], sink, control: Control) -> Result:
    """Check the settings and the data, train, and return the `Result`.

    Args:
        payload: {"document": project dict (the trial's values already in),
            "threads": torch CPU threads or None, "device": "auto|cpu|cuda" or None,
            "trusted_code": digests of the custom code the parent trusts,
            "save": a `.keras` path for the trained model of a trial that finishes}.
        sink: receives the events of SENT.
        control: hands stop/pause/resume to the bridge (`stopping.TrialBridge`).
    """
    from ..data import DataError
    from ..train import TrainingRefused, load_checked_data, prepare, train
    from .stopping import TrialBridge

    try:
        project = Project.from_dict(payload["document"])
        _trust_custom_code(project.doc, set(payload.get("trusted_code") or ()))
        doc, settings = prepare(project.doc, analysis=project.analysis)
        data = load_checked_data(doc, settings, analysis=project.analysis)
    except (TrainingRefused, DataError) as exc:
        return Result(FAILED, str(exc))
    bridge = TrialBridge(lambda event: sink(event) if isinstance(event, SENT) else None)
    control.attach(bridge)
    try:
        result = train(doc, data, bridge=bridge, threads=payload.get("threads"),
                       device=payload.get("device"), resolved=settings,
                       analysis=project.analysis)
    except TrainingRefused as exc:
        return Result(FAILED, str(exc))
    return Result.of(_saved(result, payload.get("save")))


def _saved(result, path: str | None):
    """`result`, its model saved at `path` when it is given and the trial finished (a
    stopped, pruned or failed trial has no model worth keeping)."""
    from ..callbacks import save_atomic
    from ..train import OK

    if path and result.status == OK and result.model is not None:
        save_atomic(result.model, path)
        result.saved = path
    return result
