"""Training runs seen from the GUI: worker events become queued Qt signals; run history.

A run's events come from a `runtime.worker.TrainingRun` (a child process) or
any object with the same methods (tests use a scripted fake), as the typed
events of `runtime.events` (anything else is refused with a TypeError). A small reader
thread polls `poll_events()` and emits them with a Qt signal; since the
controller lives in the GUI thread the connection is queued, so the events are
applied there, in order, without the GUI ever waiting on the worker. Applying
an event only appends to numpy buffers (`plots.RunCurves`); the plots redraw
from their own timer.
"""

from __future__ import annotations

import collections
import copy
import math
import os
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from PySide6 import QtCore

from ...graph.document import Document
from ...graph.layers import custom
from ...graph.projectfile import to_dict
from ...graph.training import output_names
from ...runtime import events as ev
from .curves import RunCurves

ACTIVE = ("starting", "running", "paused", "stopping")
POLL_INTERVAL_S = 0.02


def default_run_factory(document: dict, overrides: dict, save_path: str, **extra):
    """A `runtime.worker.TrainingRun` (imported here: the worker module loads no keras)."""
    from ...runtime.worker import TrainingRun

    try:
        return TrainingRun(document, overrides, save_path=save_path, **extra)
    except TypeError as exc:
        raise RuntimeError(f"This training worker cannot continue a saved run "
                           f"(it does not accept {', '.join(sorted(extra))}): {exc}") from exc


def expected_metrics(doc: Document, settings: Mapping[str, Any]) -> list[str]:
    """The metric names Keras will log for these settings (a guess used for layout)."""
    outputs = output_names(doc)
    metrics = settings.get("metrics") or []
    per = metrics if isinstance(metrics, dict) else {n: metrics for n in outputs}
    names = []
    for output, listed in per.items():
        for metric in listed or []:
            name = metric if isinstance(metric, str) else str(dict(metric).get("name", ""))
            names.append(name if len(outputs) == 1 else f"{output}_{name}")
    return names


@dataclass
class RunRecord:
    """One training run: its settings, live curves, progress and final result."""

    number: int
    settings: dict[str, Any]
    source: Any = None
    status: str = "starting"
    curves: RunCurves = field(default_factory=RunCurves)
    epochs: int | None = None
    steps: int | None = None
    epoch: int = 0
    batch: int = -1
    initial_epoch: int = 0
    epoch_offset: int | None = None
    epochs_done: int = 0
    started_at: float | None = None
    eta_s: float | None = None
    samples_per_s: float | None = None
    message: str = ""
    result: ev.Result | None = None
    saved_path: str | None = None
    resumed_from: int | None = None
    processes: int = 1
    folder: str | None = None  # where its model is saved, with its project's other runs
    # What names it in its project's runs index (`runtime.run_record.merge_index`).
    uid: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def label(self) -> str:
        return f"Run {self.number}"

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def final_metrics(self) -> dict[str, float]:
        """The logs of the last finished epoch whose weights the run kept: after a NaN
        loss the weights are the last finite ones and the run's history ends at their
        epoch, while the live curves still hold the NaN epoch."""
        result = self.result
        if result is not None and result.nan:
            return {name: float(values[-1]) for name, values in result.history.items()
                    if values}
        return self.curves.last_epoch_logs()

    @property
    def dropped_note(self) -> str:
        """After a NaN loss, which epoch was dropped and whose weights were kept, from the
        result's fields (empty for other runs, and for results saved before the fields)."""
        result = self.result
        if result is None or result.dropped_epoch is None:
            return ""
        losses = ", ".join(result.nan_losses) or "loss"
        kept = (f"the weights of epoch {result.epochs_run} were kept" if result.epochs_run
                else "the initial weights were kept")
        return (f"Epoch {result.dropped_epoch} was dropped ({losses} not finite); {kept}, "
                f"with its metrics.")

    @property
    def fraction(self) -> float:
        """How much of this run's epochs is done, 0..1."""
        if not self.epochs or self.epochs <= self.initial_epoch:
            return 0.0
        done = self.epoch - self.initial_epoch + ((self.batch + 1) / self.steps
                                                  if self.steps else 0.0)
        return min(max(done / (self.epochs - self.initial_epoch), 0.0), 1.0)

    def summary(self) -> str:
        """One line: optimizer, learning rate, batch size, epochs."""
        opt = self.settings.get("optimizer") or {}
        opt = {"name": opt} if isinstance(opt, str) else opt
        ranks = f" processes={self.processes}" if self.processes > 1 else ""
        return (f"{opt.get('name', 'adam')} lr={opt.get('learning_rate', 'default')} "
                f"batch={self.settings.get('batch_size', 32)} "
                f"epochs={self.settings.get('epochs', 10)}{ranks}")


class _Reader(threading.Thread):
    """Polls one run's events off the GUI thread and hands them to `deliver`."""

    def __init__(self, record: RunRecord, deliver: Callable, interval: float):
        super().__init__(daemon=True, name=f"kerascanvas-events-{record.number}")
        self.record, self.deliver, self.interval = record, deliver, interval
        self.halted = threading.Event()

    def run(self) -> None:
        source = self.record.source
        while not self.halted.is_set():
            try:
                events = source.poll_events()
            except Exception as exc:  # a broken pipe must end the run, not the thread
                events = [ev.Result(ev.FAILED,
                                    f"Lost contact with the training process: {exc}")]
            if events and not self.halted.is_set():
                self.deliver(self.record, events)
            if any(isinstance(e, ev.Result) for e in events):
                return
            self.halted.wait(self.interval)


def format_logs(logs: Mapping[str, Any]) -> str:
    """"loss 0.4512, val_loss 0.5123" with training names first."""
    names = sorted(logs, key=lambda n: (n.startswith("val_"), n != "loss", n))
    return ", ".join(f"{n} {float(logs[n]):.4g}" for n in names
                     if isinstance(logs[n], int | float))


def format_eta(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "--:--"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return (f"{hours}:" if hours else "") + f"{rest // 60:02d}:{rest % 60:02d}"


class TrainingController(QtCore.QObject):
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

    def __init__(self, run_factory: Callable | None = None, save_dir: str | None = None,
                 poll_interval: float = POLL_INTERVAL_S, parent=None):
        super().__init__(parent)
        self.run_factory = run_factory or default_run_factory
        self._own_dir = save_dir is None
        self.save_dir = save_dir or tempfile.mkdtemp(prefix="kerascanvas-runs-")
        os.makedirs(self.save_dir, exist_ok=True)
        self.poll_interval = poll_interval
        self.runs: list[RunRecord] = []
        self.current: RunRecord | None = None
        self.clock = time.monotonic
        self._readers: dict[int, _Reader] = {}
        # Readers append from their threads; a GUI-thread timer drains the inbox. A deque's
        # append/popleft are atomic, and nothing crosses threads through Qt's event queue.
        self._inbox: collections.deque = collections.deque()
        self._drain_timer = QtCore.QTimer(self)
        self._drain_timer.setInterval(max(10, int(poll_interval * 1000)))
        self._drain_timer.timeout.connect(self._drain_inbox)

    # ---- commands ---------------------------------------------------------
    @property
    def is_active(self) -> bool:
        return self.current is not None and self.current.active

    def start(self, doc: Document, overrides: Mapping[str, Any] | None = None, *,
              resume_from: RunRecord | None = None,
              learning_rate: float | None = None, processes: int = 1) -> RunRecord:
        """Launch a run of `doc`; with `resume_from`, continue that run's saved model.

        With `processes` > 1 the run is data-parallel (torch DDP under torchrun); the
        curves and the result come from rank 0.

        Raises:
            RuntimeError: a run is still active, or the worker cannot continue a run.
            ValueError: `resume_from` has no saved model.
        """
        if self.is_active:
            raise RuntimeError(f"{self.current.label} is still {self.current.status}; "
                               "stop it first")
        overrides, extra = dict(copy.deepcopy(overrides or {})), {}
        number = max((r.number for r in self.runs), default=0) + 1
        record = RunRecord(number, {}, processes=max(int(processes), 1), folder=self.save_dir)
        if resume_from is not None:
            extra = self._continuation(doc, resume_from, overrides, learning_rate, record)
        if record.processes > 1:
            extra["processes"] = record.processes
        if custom.has_code(doc):  # the window's trust goes to the worker, never the file
            extra["trusted_code"] = sorted(custom.context(doc).trusted)
        record.settings = {**copy.deepcopy(doc.training or {}), **overrides}
        record.curves.expected = expected_metrics(doc, record.settings)
        # A project's runs folder is made with its first run: a new project has none yet.
        os.makedirs(self.save_dir, exist_ok=True)
        save = os.path.join(self.save_dir, f"run_{record.number}.keras")
        record.source = self.run_factory(to_dict(doc), overrides, save, **extra)
        self.runs.append(record)
        self.current = record
        record.source.start()
        record.status = "running"
        reader = _Reader(record, lambda rec, events: self._inbox.append((rec, events)),
                         self.poll_interval)
        self._readers[record.number] = reader
        reader.start()
        self._drain_timer.start()
        self.log_message.emit(f"{record.label} started: {record.summary()}")
        self.run_started.emit(record)
        self.status_changed.emit(record)
        return record

    def _continuation(self, doc, previous: RunRecord, overrides: dict,
                      learning_rate: float | None, record: RunRecord) -> dict[str, Any]:
        if not previous.saved_path or not os.path.exists(previous.saved_path):
            raise ValueError(f"{previous.label} has no saved model to continue from "
                             f"(status {previous.status!r})")
        start = previous.initial_epoch + previous.epochs_done
        if learning_rate is not None:
            optimizer = previous.settings.get("optimizer") or {}
            optimizer = {"name": optimizer} if isinstance(optimizer, str) else dict(optimizer)
            overrides["optimizer"] = {**optimizer, "learning_rate": float(learning_rate)}
        # Keras counts `epochs` as the last epoch index, so continuing adds to it.
        more = int(overrides.get("epochs", (doc.training or {}).get("epochs", 10)))
        overrides["epochs"] = start + more
        record.curves = previous.curves.copy(until=start)
        record.initial_epoch, record.resumed_from = start, previous.number
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
        """Terminate the current run's process at once; the run is marked "killed"."""
        record = self.current
        if record is None or not record.active:
            return
        self._halt_reader(record)
        # terminate() and join() may take a moment: never on the GUI thread.
        threading.Thread(target=record.source.kill, daemon=True).start()
        record.message = "Training was killed; the model was not saved."
        self._set_status(record, "killed", record.message)
        self.run_finished.emit(record)

    def show_runs(self, folder: str, records: list[RunRecord]) -> None:
        """Another project's runs, whose models go to `folder`. An active run of the
        previous project goes on and stays steerable; it is kept with that project."""
        if self._own_dir and not self.is_active:
            shutil.rmtree(self.save_dir, ignore_errors=True)
        self._own_dir = False
        self.save_dir = folder
        self.runs = list(records)

    def shutdown(self) -> None:
        """Kill any active run and stop reading events (call before the window closes)."""
        self._drain_timer.stop()
        self._inbox.clear()
        for record in self.runs:
            self._halt_reader(record)
            if record.active:
                try:
                    record.source.kill()
                except Exception:  # noqa: BLE001  closing must go on regardless
                    pass
                record.status = "killed"
        if self._own_dir:
            shutil.rmtree(self.save_dir, ignore_errors=True)

    def _halt_reader(self, record: RunRecord) -> None:
        reader = self._readers.pop(record.number, None)
        if reader is not None:
            reader.halted.set()

    def _set_status(self, record: RunRecord, status: str, message: str = "") -> None:
        record.status = status
        if message:
            self.log_message.emit(f"{record.label}: {message}")
        self.status_changed.emit(record)

    # ---- events (GUI thread) ------------------------------------------------
    def _drain_inbox(self) -> None:
        while self._inbox:
            record, events = self._inbox.popleft()
            self._on_events_arrived(record, events)
        if not self._readers or not any(r.is_alive() for r in self._readers.values()):
            if not self._inbox:  # the last reader has finished and nothing is left
                self._drain_timer.stop()

    def _on_events_arrived(self, record: RunRecord, events: list) -> None:
        if record.status != "killed":
            self.apply_events(record, events)

    def apply_events(self, record: RunRecord, events: list[ev.TrainingEvent]) -> None:
        """Bring `record` up to date with its run's `events` (typed: a dict is refused).

        Raises:
            TypeError: an event that is not one of `runtime.events`' kinds.
        """
        for event in events:
            self._HANDLERS[type(ev.require(event))](self, record, event)
        self.run_updated.emit(record)

    def _on_train_begin(self, record: RunRecord, event: ev.TrainBegin) -> None:
        record.epochs, record.steps = event.epochs, event.steps
        record.curves.last_epoch = record.epochs
        record.curves.version += 1  # the epoch axis is drawn to its length at once
        record.started_at = self.clock()
        self.log_message.emit(f"{record.label}: training on {event.samples or '?'} samples, "
                              f"{record.steps or '?'} batches per epoch")

    def _on_executor(self, record: RunRecord, event: ev.ExecutorChosen) -> None:
        # Which training step runs, and the reason when a faster one could not.
        self.log_message.emit(f"{record.label}: {event.message}")

    def _epoch(self, record: RunRecord, epoch: int) -> int:
        # A worker that numbers a continued run from 0 is shifted to continue the curves.
        if record.epoch_offset is None:
            record.epoch_offset = record.initial_epoch if epoch < record.initial_epoch else 0
        return epoch + record.epoch_offset

    def _on_epoch_begin(self, record: RunRecord, event: ev.EpochBegin) -> None:
        record.epoch, record.batch = self._epoch(record, event.epoch), -1

    def _on_batch_end(self, record: RunRecord, event: ev.BatchEnd) -> None:
        record.epoch = self._epoch(record, event.epoch)
        record.batch = event.batch
        record.steps = event.steps or record.steps
        notes = len(record.curves.nan_notes)
        record.curves.add_batch(record.epoch, record.batch, record.steps,
                                event.logs.get("loss"))
        self._estimate_eta(record, event.eta_s)
        self._report_nan(record, notes)

    def _on_epoch_end(self, record: RunRecord, event: ev.EpochEnd) -> None:
        epoch = self._epoch(record, event.epoch)
        record.epoch, record.batch = epoch + 1, -1
        record.epochs_done = epoch + 1 - record.initial_epoch
        notes = len(record.curves.nan_notes)
        logs = event.logs
        record.curves.add_epoch(epoch, logs, event.lr)
        record.samples_per_s = event.samples_per_s
        self._estimate_eta(record, event.eta_s)
        rate = record.samples_per_s
        speed = f" — {rate:,.0f} samples/s" if isinstance(rate, float | int) and \
            math.isfinite(rate) else ""
        lr = event.lr
        self.log_message.emit(f"Epoch {epoch + 1}/{record.epochs or '?'} — {format_logs(logs)}"
                              + (f" — lr {lr:.3g}" if isinstance(lr, float | int) else "")
                              + speed)
        self._report_nan(record, notes)

    def _estimate_eta(self, record: RunRecord, sent: float | None) -> None:
        fraction = record.fraction
        if sent is not None:
            record.eta_s = float(sent)
        elif record.started_at is not None and fraction > 0:
            elapsed = self.clock() - record.started_at
            record.eta_s = elapsed * (1.0 - fraction) / fraction

    def _report_nan(self, record: RunRecord, before: int) -> None:
        for _, _, text in record.curves.nan_notes[before:]:
            self.log_message.emit(f"{record.label}: {text}")
            self.nan_detected.emit(text)

    def _on_paused(self, record: RunRecord, event: ev.Paused) -> None:
        self._set_status(record, "paused", "paused")

    def _on_resumed(self, record: RunRecord, event: ev.Resumed) -> None:
        self._set_status(record, "running", "resumed")

    def _on_train_end(self, record: RunRecord, event: ev.TrainEnd) -> None:
        # The result follows, after the evaluation and the save; a stop cuts the evaluation.
        if event.stopped and record.status == "stopping":
            self.log_message.emit(f"{record.label}: training stopped; the model is scored "
                                  "unless the stop came during validation (Stop again skips it)")

    def _on_result(self, record: RunRecord, event: ev.Result) -> None:
        self._halt_reader(record)
        record.result = event
        record.message = event.message
        saved = event.saved
        record.saved_path = saved if saved and os.path.exists(saved) else None
        self._set_status(record, event.status, record.message or event.status)
        if record.dropped_note:  # the red NaN line ends on what the run kept
            self.nan_detected.emit(f"{record.label}: {record.dropped_note}")
        if event.issues:
            self.data_issues_found.emit(list(event.issues))
        self.run_finished.emit(record)

    _HANDLERS: dict[type[ev.TrainingEvent], Callable] = {
        ev.TrainBegin: _on_train_begin, ev.ExecutorChosen: _on_executor,
        ev.EpochBegin: _on_epoch_begin, ev.BatchEnd: _on_batch_end,
        ev.EpochEnd: _on_epoch_end, ev.Paused: _on_paused, ev.Resumed: _on_resumed,
        ev.TrainEnd: _on_train_end, ev.Result: _on_result,
    }
