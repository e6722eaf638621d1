"""Run a study: trials in parallel worker processes, epoch metrics to the pruner.

`SearchDriver(doc, options).run()` blocks until the study ends (trial count,
timeout, or `stop()`); the CLI calls it in its main thread, the window in a
thread of its own. Optuna's threads (`n_jobs`) only wait: each trial trains in
its own process (`child`), on a slot of this machine: a share of the CPU
threads, or one GPU. The driver reports every epoch's metric to the trial (the
pruner decides) and tells the listener, from those threads, with the study
events of `runtime.events`:

    TrialStart(number=3, params={"conv1.filters": 16, ...})
    TrialEpoch(number=3, epoch=0, value=0.91, logs={...})
    TrialEnd(number=3, state="complete|pruned|failed", value=0.95, message="",
             duration_s=4.2, params={...})

A trial whose graph is invalid for its values, whose training fails (a NaN
loss, an error, no memory), or that is stopped, ends "failed" with the message.

A stop (the user's, the pruner's, or the time limit's: `options.timeout` stops the
running trials too, not only the start of new ones) ends a trial after its current
training or validation batch (`stopping.TrialBridge`). A trial whose process has not ended
STOP_GRACE_S seconds after it was asked (it is reading its data, building its
model, or inside one long batch) is killed, and ends as stopped.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import optuna

from kerascanvas.graph.document import Document
from kerascanvas.graph.layers import custom
from kerascanvas.graph.projectfile import to_dict
from kerascanvas.graph.search import objective, with_values
from kerascanvas.graph.validate import analyze

from ..custom_code import carry_context
from ..events import (
    FAILED,
    FINISHED,
    STOPPED,
    EpochEnd,
    Result,
    StudyEvent,
    TrialEnd,
    TrialEpoch,
    TrialStart,
    from_wire,
)
from . import study as studies
from .best_model import BestModel
from .child import start_trial
from .lost import ended_text, fail_stale, last_received
from .options import SearchOptions  # noqa: F401  (its home was here)
from .seeding import seeded_sampler
from .slots import available_cpus, plan_slots, visible_gpus  # noqa: F401  (homes were here)
from .space import suggest

STOP_GRACE_S = 5.0  # seconds a trial may take to end after a stop before it is killed
KILLED = "Its process did not end within {:g} s of the stop and was killed."


class TrialFailed(Exception):
    """The trial could not give a value; Optuna records it as failed with the message."""


# ---- the driver ------------------------------------------------------------------------------
class SearchDriver:
    """Runs (or joins) the study of `doc`'s search section; see the module doc."""

    def __init__(self, doc: Document, options: SearchOptions,
                 on_event: Callable[[StudyEvent], None] | None = None):
        from ..train import with_overrides

        self.doc, self.options = with_overrides(doc, options.overrides), options
        self.on_event = on_event or (lambda event: None)
        self.metric, self.direction = objective(doc)
        device = options.device or (doc.training or {}).get("device") or "auto"
        self.slots: queue.Queue = queue.Queue()
        for slot in plan_slots(options.jobs, device):
            self.slots.put(slot)
        self.study = None
        self.orphans: list[int] = []  # trials an ended process left running, marked failed
        self.models = BestModel(options.best_model, self.direction)
        self._running: dict[int, Any] = {}  # trial number -> commands queue
        self._stop_asked: dict[int, float] = {}  # trial number -> when it was told to stop
        self._lock = threading.Lock()
        self._custom_lock = threading.Lock()
        self._shapes = None  # the custom-layer shape worker, started when first needed
        self._go = threading.Event()
        self._go.set()
        self._stopped = False
        self._grace_s: float | None = None  # STOP_GRACE_S unless a stop gives its own
        self.timed_out = False  # the time limit stopped the study (`options.timeout`)
        self.cut: list[int] = []  # trials the time limit stopped, marked failed

    # ---- control (any thread) ----------------------------------------------------------
    def pause(self) -> None:
        """Hold running trials before their next batch; start no new trial."""
        self._go.clear()
        self._tell_all("pause")

    def resume(self) -> None:
        self._go.set()
        self._tell_all("resume")

    def stop(self, grace_s: float | None = None) -> None:
        """Stop running trials after their current batch (they end failed, "stopped"),
        start no new one; `run` returns once they have ended. A trial still running
        `grace_s` seconds later (STOP_GRACE_S by default) is killed."""
        self._stopped = True
        if grace_s is not None:
            self._grace_s = float(grace_s)
        with self._lock:
            for number, commands in self._running.items():
                self._ask_stop(number, commands)
        self._go.set()

    request_stop = stop  # as a training bridge is stopped (the CLI's Ctrl+C handler)

    def running_trials(self) -> list[int]:
        """The numbers of the trials whose processes run now."""
        with self._lock:
            return sorted(self._running)

    @property
    def stopped(self) -> bool:
        return self._stopped

    @property
    def paused(self) -> bool:
        return not self._go.is_set()

    def _tell_all(self, command: str) -> None:
        with self._lock:
            for commands in self._running.values():
                commands.put(command)

    def _ask_stop(self, number: int, commands) -> None:
        self._stop_asked.setdefault(number, time.monotonic())
        commands.put("stop")

    # ---- running -----------------------------------------------------------------------
    def open(self):
        """Create or join the study (done by `run` when not done before). With a seed,
        trial N draws with a sampler seeded seed + N (`seeding`): parallel workers and a
        resumed study draw new values, reproducibly. Trials whose process went away (an
        ended process of this machine; in a database, a silent heartbeat) are failed with
        a message and told as `TrialEnd` events (`lost`)."""
        opts = self.options
        self._trust_custom_code()
        # Trials are reported by us: Optuna's own log repeats each failure with a traceback.
        optuna.logging.set_verbosity(optuna.logging.ERROR)
        if self.study is None:
            sampler = seeded_sampler(opts.sampler, opts.seed, studies.make_sampler)
            # set first: a listener of the lost trials' events may read the study
            self.study = study = studies.open_study(opts.study_name, opts.storage,
                                                    self.direction,
                                                    pruner=studies.make_pruner(opts.pruner),
                                                    sampler=sampler, metric=self.metric,
                                                    on_lost=lambda _s, t: self._on_lost(t))
            self.orphans = studies.fail_orphans(study)
            for trial in study.get_trials(deepcopy=False):
                if trial.number in self.orphans:
                    self._on_lost(trial)
            fail_stale(study)  # a database's silent trials are told now, not at a trial
        return self.study

    def _on_lost(self, trial) -> None:
        """Tell of a trial whose process went away (see `lost`); it ran elsewhere, so its
        duration here means nothing."""
        summary = studies.trial_summary(trial)
        self.on_event(TrialEnd(trial.number, "failed", None, summary["message"], None,
                               summary["params"]))

    def _trust_custom_code(self) -> None:
        """Trust exactly `options.trusted_code` in the driver's document (the shapes the
        caller computed are kept); refuse, before any trial, custom code outside it."""
        from kerascanvas.graph import training_code

        if not custom.has_code(self.doc):
            return
        trusted = frozenset(self.options.trusted_code)
        untrusted = [f"{n.name!r} ({n.params.get('class_name')})"
                     for n in custom.custom_nodes(self.doc)
                     if str(n.params.get("source") or "").strip()
                     and custom.code_digest(n.params) not in trusted]
        if training_code.digest(self.doc.training) not in {None, *trusted}:
            untrusted.append("the training code (custom losses and metrics)")
        if untrusted:
            raise studies.StudyError(
                f"custom code not trusted: {', '.join(untrusted)}; no trial started, nothing "
                f"ran. {custom.TRUST_HINT[0].upper()}{custom.TRUST_HINT[1:]}")
        known = custom.context(self.doc).results
        custom.set_context(self.doc, custom.CustomContext(trusted=trusted, results=known))

    def run(self):
        """Run trials until the count, the timeout, the study's `max_trials` or a stop;
        return the study."""
        study = self.open()
        cap = self.options.max_trials
        if cap is not None and studies.counted(study) >= cap:
            return study  # the study is done already: not one more trial
        ends = [self._on_trial_end] + ([] if cap is None else [optuna.study.MaxTrialsCallback(
            cap, states=studies.COUNTED)])
        timer = self._time_limit()
        try:
            study.optimize(self._objective, n_trials=self.options.trials,
                           timeout=self.options.timeout, n_jobs=self.options.jobs,
                           catch=(TrialFailed,), callbacks=ends)
        finally:
            if timer is not None:
                timer.cancel()
            if self._shapes is not None:
                self._shapes.close()
        return study

    def _time_limit(self) -> threading.Timer | None:
        """At `options.timeout` seconds, stop the running trials as a stop does (after
        their current batch): Optuna's own timeout only stops starting new ones."""
        if not self.options.timeout:
            return None
        timer = threading.Timer(self.options.timeout, self._on_time_up)
        timer.daemon = True
        timer.start()
        return timer

    def _on_time_up(self) -> None:
        if not self._stopped:  # a stop asked before the limit stays the user's
            self.timed_out = True
            self.stop()

    def _carry_custom(self, trial, trial_doc: Document) -> None:
        """Trusted custom code: the trial's document shares the trust, and Keras computes
        the shapes its values ask for in a worker process (never in this one, which may
        be the window's)."""
        from ..custom_worker import WorkerError, WorkerSolver

        if not custom.has_code(trial_doc):
            return
        with self._custom_lock:  # one context for every trial thread, one worker
            def solve(requests):
                if self._shapes is None:
                    self._shapes = WorkerSolver()
                return self._shapes(requests)
            try:
                carry_context(self.doc, trial_doc, solve)
            except WorkerError as exc:
                self._shapes = None
                raise self._fail(trial, str(exc)) from None

    def _on_trial_end(self, study, trial) -> None:
        summary = studies.trial_summary(trial)
        self.on_event(TrialEnd(**{k: summary[k] for k in (
            "number", "state", "value", "message", "duration_s", "params")}))
        if self._stopped:
            study.stop()

    def _objective(self, trial) -> float:
        while not self._go.wait(0.2):
            pass
        if self._stopped:
            raise self._fail(trial, "Not run: the study's time limit "
                                    f"({self.options.timeout:g} s) was reached before it "
                                    "began." if self.timed_out else
                             "Stopped by the user before it began.")
        trial.set_user_attr(studies.OWNER, studies.owner())
        values = suggest(trial, self.doc)
        self.on_event(TrialStart(trial.number, dict(trial.params)))
        trial_doc = with_values(self.doc, values)
        self._carry_custom(trial, trial_doc)
        errors = analyze(trial_doc).errors
        if errors:
            where = trial_doc.nodes.get(errors[0].node)
            raise self._fail(trial, "The graph is invalid with these values: "
                             f"{where.name + ': ' if where else ''}{errors[0].message}")
        slot = self.slots.get()
        try:
            result = self._train(trial, trial_doc, slot)
        finally:
            self.slots.put(slot)
        try:
            value = self._value(trial, result)
        except BaseException:
            self.models.drop(result.saved)
            raise
        self.models.offer(trial.number, value, result.saved)
        return value

    def _stopped_by(self) -> str:
        if self.timed_out:
            return f"Stopped by the study's time limit ({self.options.timeout:g} s)"
        return "Stopped by the user"

    def _fail(self, trial, message: str) -> TrialFailed:
        trial.set_user_attr(studies.MESSAGE, message)
        return TrialFailed(message)

    def _train(self, trial, trial_doc: Document, slot: Mapping[str, Any]) -> Result:
        payload = {"number": trial.number, "document": to_dict(trial_doc),
                   "threads": slot["threads"], "env": slot["env"], "device": slot["device"],
                   "trusted_code": sorted(self.options.trusted_code),
                   "save": self.models.path_for(trial.number)}
        process, events, commands = start_trial(payload)
        with self._lock:
            self._running[trial.number] = commands
            if self._stopped:
                self._ask_stop(trial.number, commands)
            elif self.paused:
                commands.put("pause")
        try:
            return self._follow(trial, process, events, commands)
        finally:
            with self._lock:
                self._running.pop(trial.number, None)
                self._stop_asked.pop(trial.number, None)
            commands.put(None)
            process.join(10)
            if process.is_alive():
                process.kill()

    def _follow(self, trial, process, events, commands) -> Result:
        """Read the trial's events until its result; report epochs, prune when told; kill
        it when it has not ended STOP_GRACE_S after a stop."""
        epochs, curve = 0, {}
        while True:
            try:
                event = from_wire(events.get(timeout=0.25))
            except queue.Empty:
                if not process.is_alive():
                    return self._lost(process, events, curve)
                if self._overdue(trial.number):
                    process.kill()
                    return Result(STOPPED, KILLED.format(self._grace()), epochs_run=epochs)
                continue
            if isinstance(event, Result):
                return event
            if isinstance(event, EpochEnd):
                epochs = event.epoch + 1
                if self.metric in event.logs:
                    curve[event.epoch] = float(event.logs[self.metric])
                self._report(trial, event, commands)

    def _overdue(self, number: int) -> bool:
        with self._lock:
            asked = self._stop_asked.get(number)
        return asked is not None and time.monotonic() - asked > self._grace()

    def _grace(self) -> float:
        return STOP_GRACE_S if self._grace_s is None else self._grace_s

    def _lost(self, process, events, curve) -> Result:
        """The result the ended process left on the queue, or a failure saying how it
        ended and what it last reported."""
        try:
            while not isinstance(event := from_wire(events.get(timeout=1.0)), Result):
                pass
            return event
        except queue.Empty:
            pass
        return Result(FAILED, f"The trial's process ended unexpectedly "
                              f"({ended_text(process.exitcode)}). "
                              f"{last_received(curve, self.metric)}")

    def _report(self, trial, event: EpochEnd, commands) -> None:
        logs, epoch = event.logs, event.epoch
        if self.metric not in logs:
            self._ask_stop(trial.number, commands)
            trial.set_user_attr("missing_metric", sorted(logs))
            return
        value = float(logs[self.metric])
        trial.report(value, step=epoch)
        self.on_event(TrialEpoch(trial.number, epoch, value, dict(logs)))
        if "pruned_at" not in trial.user_attrs and trial.should_prune():
            trial.set_user_attr("pruned_at", epoch)
            trial.set_user_attr(studies.MESSAGE, f"Pruned after epoch {epoch + 1}: "
                                                 f"{self.metric}={value:.4g}.")
            self._ask_stop(trial.number, commands)

    def _value(self, trial, result: Result) -> float:
        attrs = trial.user_attrs
        if "missing_metric" in attrs:
            raise self._fail(trial, f"The search metric {self.metric!r} is not logged by this "
                                    f"training. Logged: {', '.join(attrs['missing_metric'])}")
        if "pruned_at" in attrs:
            raise optuna.TrialPruned(attrs[studies.MESSAGE])
        status = result.status
        if status == STOPPED:
            done = result.epochs_run  # the complete epochs (a cut-short one is not counted)
            text = (f"{self._stopped_by()} after epoch {done}." if done else
                    f"{self._stopped_by()} before its first epoch ended.")
            if self.timed_out:
                self.cut.append(trial.number)
            killed = result.message == KILLED.format(self._grace())
            raise self._fail(trial, f"{text} {result.message}" if killed else text)
        if status != FINISHED:
            raise self._fail(trial, result.message or f"Training ended {status}.")
        curve = result.history.get(self.metric) or []
        value = float(curve[-1]) if curve else math.nan
        if not math.isfinite(value):
            raise self._fail(trial, f"The search metric {self.metric} is {value} at the end.")
        return value
