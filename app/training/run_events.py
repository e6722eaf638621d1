"""A run's worker events applied on the GUI thread: the reader thread that polls them, and
the handlers that turn each typed event (`runtime.events`) into the record's progress,
curves, log lines and result. A kill's end is `run_kill`."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from ...runtime import events as ev
from .records import RunRecord, format_logs, speed_text
from .run_kill import take_kill


class EventReader(threading.Thread):
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


class RunEventsMixin:
    """Mixed into `TrainingController`: applies events to records and emits its signals."""

    def _drain_inbox(self) -> None:
        while self._inbox:
            record, events = self._inbox.popleft()
            self._on_events_arrived(record, events)
        if self.current is not None:
            self._tell_silence(self.current)
        if not self._readers or not any(r.is_alive() for r in self._readers.values()):
            if not self._inbox:  # the last reader has finished and nothing is left
                self._drain_timer.stop()

    def _on_events_arrived(self, record: RunRecord, events: list) -> None:
        if record.status != "killed":
            self.apply_events(record, events)
        elif [type(e) for e in events] == [ev.Result] and events[0].status == ev.KILLED:
            self._on_killed(record, events[0])  # from its `RunKiller`

    def _on_killed(self, record: RunRecord, result: ev.Result) -> None:
        """The worker of a run killed is gone: the run ends with what it kept."""
        self._halt_reader(record)
        take_kill(record, result)
        self.log_message.emit(f"{record.label}: {record.message}")
        self.status_changed.emit(record)
        self.run_finished.emit(record)

    def apply_events(self, record: RunRecord, events: list[ev.TrainingEvent]) -> None:
        """Bring `record` up to date with its run's `events` (typed: a dict is refused).

        Raises:
            TypeError: an event that is not one of `runtime.events`' kinds.
        """
        for event in events:
            self._HANDLERS[type(ev.require(event))](self, record, event)
            self._heard(record, event)
        self.run_updated.emit(record)

    def _heard(self, record: RunRecord, event: ev.TrainingEvent) -> None:
        """Note when the run last spoke while it trains (not while paused, nor after
        training: the final evaluation and the predictions send nothing)."""
        ended = isinstance(event, ev.TrainEnd | ev.Result | ev.Paused)
        if ended or (record.heard_at is None and not isinstance(event, ev.TrainBegin |
                                                                 ev.Resumed)):
            record.heard_at = None
        else:
            record.heard_at, record.silence_told = self.clock(), False

    def _tell_silence(self, record: RunRecord) -> None:
        """Say once, in the log, that a training run has sent nothing for
        `silent_after_s`: its process (rank 0, on several processes) may be stuck."""
        if record.heard_at is None or record.silence_told or \
                record.status not in ("running", "stopping"):
            return
        silent = self.clock() - record.heard_at
        if silent < self.silent_after_s:
            return
        record.silence_told = True
        who = "its training process" if record.processes <= 1 else \
            f"rank 0 of its {record.processes} processes"
        where = _doing(record)
        self.log_message.emit(
            f"{record.label}: no word from {who} for {silent:.0f} s (last: {where}); it may "
            f"be in a long step, or hung. Stop cannot reach a process that hangs: Kill "
            f"ends it.")

    def _on_validating(self, record: RunRecord, event: ev.Validating) -> None:
        record.epoch = self._epoch(record, event.epoch)
        record.validating = (event.batch, event.batches)

    def _on_train_begin(self, record: RunRecord, event: ev.TrainBegin) -> None:
        record.epochs, record.steps = event.epochs, event.steps
        record.curves.last_epoch = record.epochs
        record.curves.version += 1  # the epoch axis is drawn to its length at once
        record.started_at = self.clock()
        self.log_message.emit(f"{record.label}: training on {event.samples or '?'} samples, "
                              f"{record.steps or '?'} batches per epoch")
        if event.note:  # a setting the run does not use
            self.log_message.emit(f"{record.label}: {event.note}")

    def _on_executor(self, record: RunRecord, event: ev.ExecutorChosen) -> None:
        # Which training step runs, and the reason when a faster one could not.
        self.log_message.emit(f"{record.label}: {event.message}")

    def _on_weights(self, record: RunRecord, event: ev.WeightsLoaded) -> None:
        # Which layers start from the project's initial weights file, which fresh.
        self.log_message.emit(f"{record.label}: {event.message}")

    def _epoch(self, record: RunRecord, epoch: int) -> int:
        # A worker that numbers a continued run from 0 is shifted to continue the curves.
        if record.epoch_offset is None:
            record.epoch_offset = record.initial_epoch if epoch < record.initial_epoch else 0
        return epoch + record.epoch_offset

    def _on_epoch_begin(self, record: RunRecord, event: ev.EpochBegin) -> None:
        record.epoch, record.batch = self._epoch(record, event.epoch), -1
        record.validating = None

    def _on_batch_end(self, record: RunRecord, event: ev.BatchEnd) -> None:
        record.epoch = self._epoch(record, event.epoch)
        record.batch, record.validating = event.batch, None  # the epoch's last comes after it
        record.steps = event.steps or record.steps
        notes = len(record.curves.nan_notes)
        record.curves.add_batch(record.epoch, record.batch, record.steps, event.loss,
                                event.lr)
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
        lr = event.lr
        self.log_message.emit(f"Epoch {epoch + 1}/{record.epochs or '?'} — {format_logs(logs)}"
                              + (f" — lr {lr:.3g}" if isinstance(lr, float | int) else "")
                              + speed_text(record.samples_per_s, " — "))
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

    def _on_rank_silent(self, record: RunRecord, event: ev.RankSilent) -> None:
        # A rank that hangs holds the others: the user can only kill the run.
        text = event.text()
        self.log_message.emit(f"{record.label}: {text[0].upper()}{text[1:]}.")

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
        if event.nan:  # the NaN epoch's end was heard, but it was dropped: not done
            record.epochs_done = max(event.epochs_run - record.initial_epoch, 0)
            record.curves.dropped = event.dropped_epoch  # nor drawn
            record.curves.version += 1
        reached = record.epoch + (record.batch >= 0)  # a cut epoch's batches are drawn
        if 0 < reached < (record.curves.last_epoch or 0):  # ended early: the axis fits it
            record.curves.last_epoch = reached
            record.curves.version += 1
        self._set_status(record, event.status, record.message or event.status)
        if record.dropped_note:  # the red NaN line ends on what the run kept
            self.nan_detected.emit(f"{record.label}: {record.dropped_note}")
        if event.issues:
            self.data_issues_found.emit(list(event.issues))
            self.data_refused.emit(list(event.issues))
        self.run_finished.emit(record)

    _HANDLERS: dict[type[ev.TrainingEvent], Callable] = {
        ev.TrainBegin: _on_train_begin, ev.ExecutorChosen: _on_executor,
        ev.WeightsLoaded: _on_weights, ev.EpochBegin: _on_epoch_begin, ev.BatchEnd: _on_batch_end,
        ev.Validating: _on_validating,
        ev.EpochEnd: _on_epoch_end, ev.Paused: _on_paused, ev.Resumed: _on_resumed,
        ev.RankSilent: _on_rank_silent, ev.TrainEnd: _on_train_end, ev.Result: _on_result,
    }


def _doing(record: RunRecord) -> str:
    """What the run said it was doing last: "training, epoch 2, batch 5" or "validating,
    epoch 2, batch 30 of 120" (1-based, as the window shows them)."""
    if record.validating is not None:
        batch, batches = record.validating
        return f"validating, epoch {record.epoch + 1}, batch {batch + 1}" + (
            f" of {batches}" if batches else "")
    return f"training, epoch {record.epoch + 1}" + (
        f", batch {record.batch + 1}" if record.batch >= 0 else "")
