"""Training runs seen from the GUI: start, steer and keep them; report them as Qt signals.

A run's events come from a `runtime.worker.TrainingRun` (a child process) or
any object with the same methods (tests use a scripted fake), as the typed
events of `runtime.events` (anything else is refused with a TypeError). A small reader
thread per run polls `poll_events()` into an inbox that a GUI-thread timer drains, so
the events are applied there, in order, without the GUI ever waiting on the worker
(`run_events`; a kill's end, `run_kill`; the runs' end with the window, `run_closing`).
Applying an event only appends to numpy
buffers (`curves.RunCurves`); the plots redraw from their own timer. The records
themselves are in `records`.
"""

from __future__ import annotations

import collections
import copy
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from typing import Any

from PySide6 import QtCore

from ...graph.document import Document
from ...graph.initial_weights import anchored
from ...graph.layers import custom
from ...graph.projectfile import to_dict
from ...runtime import run_record
from .continue_plan import continue_start, optimizer_rate, other_data_note
from .records import RunRecord, expected_metrics
from .run_closing import RunsClosingMixin
from .run_events import EventReader, RunEventsMixin
from .run_kill import RunKiller

POLL_INTERVAL_S = 0.02
SILENT_AFTER_S = 120.0  # a training run silent this long is told in the log


def default_run_factory(document: dict, overrides: dict, save_path: str, **extra):
    """A `runtime.worker.TrainingRun` (imported here: the worker module loads no keras)."""
    from ...runtime.worker import TrainingRun

    try:
        return TrainingRun(document, overrides, save_path=save_path, **extra)
    except TypeError as exc:
        raise RuntimeError(f"This training worker cannot continue a saved run "
                           f"(it does not accept {', '.join(sorted(extra))}): {exc}") from exc


class TrainingController(RunEventsMixin, RunsClosingMixin, QtCore.QObject):
    """Starts, steers and records training runs; reports them as Qt signals.

    Args:
        run_factory: `(document_dict, overrides, save_path, **extra) -> run`, where the
            run has start/stop/pause/resume/kill/poll_events/status. `extra` holds
            `initial_model` and `initial_epoch` when a saved run is continued.
        save_dir: where runs save their models (a temporary folder by default).
    """

    run_started = QtCore.Signal(object)
    run_updated = QtCore.Signal(object)
    status_changed = QtCore.Signal(object)
    run_finished = QtCore.Signal(object)
    log_message = QtCore.Signal(str)
    nan_detected = QtCore.Signal(str)
    # Data that does not fit the model: `graph.inference.Issue`s, each naming its node.
    data_issues_found = QtCore.Signal(object)
    # A run refused for its data (at Start, or by the run's own check): show the findings.
    data_refused = QtCore.Signal(object)

    def __init__(self, run_factory: Callable | None = None, save_dir: str | None = None,
                 poll_interval: float = POLL_INTERVAL_S, parent=None):
        super().__init__(parent)
        self.run_factory = run_factory or default_run_factory
        self._own_dir = save_dir is None
        self.save_dir = save_dir or tempfile.mkdtemp(prefix="kerascanvas-runs-")
        os.makedirs(self.save_dir, exist_ok=True)
        self.poll_interval = poll_interval
        self.silent_after_s = SILENT_AFTER_S
        self.runs: list[RunRecord] = []
        self.current: RunRecord | None = None
        self.clock = time.monotonic
        self._readers: dict[int, EventReader] = {}
        # Readers append from their threads; a GUI-thread timer drains the inbox. A deque's
        # append/popleft are atomic, and nothing crosses threads through Qt's event queue.
        self._inbox: collections.deque = collections.deque()
        self._drain_timer = QtCore.QTimer(self)
        self._drain_timer.setInterval(max(10, int(poll_interval * 1000)))
        self._drain_timer.timeout.connect(self._drain_inbox)
        # The window's runs index writer (`index_writes.IndexWrites`), set by the panel: a
        # run killed with the window is written after the listings it still holds.
        self.index_writes = None

    # ---- commands ---------------------------------------------------------
    @property
    def is_active(self) -> bool:
        return self.current is not None and self.current.active

    def start(self, doc: Document, overrides: Mapping[str, Any] | None = None, *,
              resume_from: RunRecord | None = None,
              learning_rate: float | None = None, to_epoch: int | None = None,
              processes: int = 1, folder: str | os.PathLike | None = None) -> RunRecord:
        """Launch a run of `doc`; with `resume_from`, continue that run's saved model, to
        epoch `to_epoch` (as Keras counts: `fit(initial_epoch=k, epochs=to_epoch)`), or
        by the settings' epochs more without it.
        `folder`: the project's, where a relative initial weights file is read.

        With `processes` > 1 the run is data-parallel (torch DDP under torchrun); the
        curves and the result come from rank 0.

        Raises:
            RuntimeError: a run is still active, or the worker cannot continue a run.
            ValueError: `resume_from` has no saved model, or `to_epoch` is not past
                the epochs it trained.
        """
        if self.is_active:
            raise RuntimeError(f"{self.current.label} is still {self.current.status}; "
                               "stop it first")
        overrides, extra = dict(copy.deepcopy(overrides or {})), {}
        record = RunRecord(self._reserve_number(), {}, processes=max(int(processes), 1),
                           folder=self.save_dir)
        if resume_from is not None:
            extra = self._continuation(doc, resume_from, overrides, learning_rate, record,
                                       to_epoch)
        if record.processes > 1:
            extra["processes"] = record.processes
        if custom.has_code(doc):  # the window's trust goes to the worker, never the file
            extra["trusted_code"] = sorted(custom.context(doc).trusted)
        record.settings = {**copy.deepcopy(doc.training or {}), **overrides}
        record.curves.expected = expected_metrics(doc, record.settings)
        # A project's runs folder is made with its first run: a new project has none yet.
        os.makedirs(self.save_dir, exist_ok=True)
        save = os.path.join(self.save_dir, f"run_{record.number}.keras")
        record.source = self.run_factory(_anchored(doc, folder), overrides, save, **extra)
        try:
            record.source.start()
        except Exception as exc:  # no process began: there is no run to list or wait for
            raise RuntimeError(f"{record.label} could not start: {exc}") from exc
        self.runs.append(record)
        self.current = record
        record.status = "running"
        reader = EventReader(record, lambda rec, events: self._inbox.append((rec, events)),
                         self.poll_interval)
        self._readers[record.number] = reader
        reader.start()
        self._drain_timer.start()
        self.log_message.emit(f"{record.label} started: {record.summary()}")
        self.run_started.emit(record)
        self.status_changed.emit(record)
        return record

    def _reserve_number(self) -> int:
        """The new run's number, taken in its runs folder's index when it starts, so that
        a run `kerascanvas run` lists meanwhile is numbered past it and neither changes
        (`runtime.run_record.reserve_number`)."""
        floor = max((r.number for r in self.runs), default=0) + 1
        try:
            return run_record.reserve_number(self.save_dir, floor)
        except (OSError, TimeoutError) as exc:  # filelock's Timeout is one
            self.log_message.emit(f"Could not take a run number in {self.save_dir} ({exc}); "
                                  f"numbered {floor} here, which may change when it is kept")
            return floor

    def _continuation(self, doc, previous: RunRecord, overrides: dict,
                      learning_rate: float | None, record: RunRecord,
                      to_epoch: int | None = None) -> dict[str, Any]:
        if not previous.saved_path or not os.path.exists(previous.saved_path):
            raise ValueError(f"{previous.label} has no saved model to continue from "
                             f"(status {previous.status!r})")
        start = continue_start(previous)  # by its run record, as `--resume` counts
        if learning_rate is not None:
            optimizer = previous.settings.get("optimizer") or {}
            optimizer = {"name": optimizer} if isinstance(optimizer, str) else dict(optimizer)
            overrides["optimizer"] = {**optimizer, "learning_rate": optimizer_rate(
                previous, float(learning_rate))}
        # Keras counts `epochs` as the last epoch index: the target, not a count to add.
        if to_epoch is not None and int(to_epoch) <= start:
            raise ValueError(f"{previous.label} has trained {start} epochs: continue it to a "
                             f"later epoch than {int(to_epoch)}")
        more = int(overrides.get("epochs", (doc.training or {}).get("epochs", 10)))
        overrides["epochs"] = int(to_epoch) if to_epoch is not None else start + more
        record.curves = previous.curves.copy(until=start)
        record.initial_epoch, record.resumed_from = start, previous.number
        note = other_data_note(doc, previous, overrides, record.label)
        if note:
            self.log_message.emit(note)
        return {"initial_model": previous.saved_path, "initial_epoch": start}

    def stop(self) -> None:
        """Ask the current run to end after its batch (the model is kept)."""
        if self.is_active:
            self.current.source.stop()
            self._set_status(self.current, "stopping", "Stopping after the current batch…")

    def pause(self) -> None:
        if self.is_active and self.current.status == "running":
            self.current.source.pause()

    def resume(self) -> None:
        if self.is_active and self.current.status == "paused":
            self.current.source.resume()

    def kill(self) -> None:
        """End the current run's processes at once; the run is marked "killed" at once, and
        ends (`run_finished`) once its worker is gone, with the model the run had saved
        before the kill, if any (`runtime.kill_keep`), as its saved model."""
        record = self.current
        if record is None or not record.active:
            return
        self._halt_reader(record)
        # Ending and joining the processes may take a moment: never on the GUI thread.
        killer = RunKiller(record, lambda rec, events: self._inbox.append((rec, events)))
        self._readers[record.number] = killer  # the inbox is drained until it reports
        killer.start()
        self._drain_timer.start()
        self._set_status(record, "killed")

    def show_runs(self, folder: str, records: list[RunRecord]) -> None:
        """Another project's runs, whose models go to `folder`. An active run of the
        previous project goes on and stays steerable; it is kept with that project."""
        if self._own_dir and not self.is_active:
            shutil.rmtree(self.save_dir, ignore_errors=True)
        self._own_dir = False
        self.save_dir = folder
        self.runs = list(records)

    def _halt_reader(self, record: RunRecord) -> None:
        reader = self._readers.pop(record.number, None)
        if reader is not None:
            reader.halted.set()

    def _set_status(self, record: RunRecord, status: str, message: str = "") -> None:
        record.status = status
        if message:
            self.log_message.emit(f"{record.label}: {message}")
        self.status_changed.emit(record)


def _anchored(doc: Document, folder) -> dict:
    """The project file's dict of `doc`, a relative initial weights file under `folder`."""
    data = to_dict(doc)
    if "weights" in data:
        holder = Document()
        holder.weights = data["weights"]
        anchored(holder, folder)
        data["weights"] = holder.weights
    return data
