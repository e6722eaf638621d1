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
    TrialPaused(number=3, epoch=2, batch=5, batches=12) / TrialResumed(number=3, ...)
    TrialEnd(number=3, state="complete|pruned|failed", value=0.95, message="",
             duration_s=4.2, params={...})

A pause is told per trial as its process confirms it (`holds`), and the time a trial is
held paused is left out of its duration.

A trial whose graph is invalid for its values, whose training fails (a NaN
loss, an error, no memory), or that is stopped, ends "failed" with the message.

A stop (the user's, the pruner's, or the time limit's: `options.timeout` stops the
running trials too, not only the start of new ones) ends a trial after its current
training or validation batch; one that outlives the stop by STOP_GRACE_S is killed
(`trial_process`, which holds the running trials and passes the controls on).
"""

from __future__ import annotations

import math
import queue
import threading
from collections.abc import Callable, Mapping
from typing import Any

import optuna

from kerascanvas.graph.document import Document
from kerascanvas.graph.projectfile import to_dict
from kerascanvas.graph.search import objective, with_values
from kerascanvas.graph.validate import analyze

from ..events import (
    FINISHED,
    STOPPED,
    EpochEnd,
    Result,
    StudyEvent,
    TrialEnd,
    TrialEpoch,
    TrialStart,
)
from . import study as studies
from .best_model import BestModel
from .child import start_trial
from .custom_trust import TrialShapes, trust
from .holds import TrialHold
from .lost import fail_stale
from .options import SearchOptions  # noqa: F401  (its home was here)
from .seeding import seeded_sampler
from .slots import available_cpus, plan_slots, visible_gpus  # noqa: F401  (homes were here)
from .space import suggest
from .trial_process import STOP_GRACE_S, TrialProcesses  # noqa: F401  (its home was here)


class TrialFailed(Exception):
    """The trial could not give a value; Optuna records it as failed with the message."""


# ---- the driver ------------------------------------------------------------------------------
class SearchDriver:
    """Runs (or joins) the study of `doc`'s search section; see the module doc."""

    def __init__(self, doc: Document, options: SearchOptions,
                 on_event: Callable[[StudyEvent], None] | None = None):
        from ..overrides import with_overrides

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
        self.trials = TrialProcesses()
        self.shapes = TrialShapes()  # the custom-layer shape worker, started when needed
        self.timed_out = False  # the time limit stopped the study (`options.timeout`)
        self.cut: list[int] = []  # trials the time limit stopped, marked failed

    # ---- control (any thread) ----------------------------------------------------------
    def pause(self) -> None:
        """Hold running trials before their next batch; start no new trial."""
        self.trials.pause()

    def resume(self) -> None:
        self.trials.resume()

    def stop(self, grace_s: float | None = None) -> None:
        """Stop running trials after their current batch (they end failed, "stopped"),
        start no new one; `run` returns once they have ended. A trial still running
        `grace_s` seconds later (STOP_GRACE_S by default) is killed."""
        self.trials.stop(grace_s)

    request_stop = stop  # as a training bridge is stopped (the CLI's Ctrl+C handler)

    def running_trials(self) -> list[int]:
        """The numbers of the trials whose processes run now."""
        return self.trials.numbers()

    @property
    def stopped(self) -> bool:
        return self.trials.stopped

    @property
    def paused(self) -> bool:
        return self.trials.paused

    # ---- running -----------------------------------------------------------------------
    def open(self):
        """Create or join the study (done by `run` when not done before). With a seed,
        trial N draws with a sampler seeded seed + N (`seeding`): parallel workers and a
        resumed study draw new values, reproducibly. Trials whose process went away (an
        ended process of this machine; in a database, a silent heartbeat) are failed with
        a message and told as `TrialEnd` events (`lost`)."""
        opts = self.options
        trust(self.doc, self.options.trusted_code)
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
            self.shapes.close()
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
        if not self.stopped:  # a stop asked before the limit stays the user's
            self.timed_out = True
            self.stop()

    def _carry_custom(self, trial, trial_doc: Document) -> None:
        """Trusted custom code: the trial's document shares the trust, and Keras computes
        the shapes its values ask for (`custom_trust.TrialShapes`)."""
        from ..custom_worker import WorkerError

        try:
            self.shapes.carry(self.doc, trial_doc)
        except WorkerError as exc:
            raise self._fail(trial, str(exc)) from None

    def _on_trial_end(self, study, trial) -> None:
        summary = studies.trial_summary(trial)
        self.on_event(TrialEnd(**{k: summary[k] for k in (
            "number", "state", "value", "message", "duration_s", "params")}))
        if self.stopped:
            study.stop()

    def _objective(self, trial) -> float:
        # a wait while the study was paused is time held, which its duration leaves out
        hold = TrialHold(trial, self.on_event, self.trials.wait_go())
        if self.stopped:
            raise self._fail(trial, "Not run: the study's time limit "
                                    f"({self.options.timeout:g} s) was reached before it "
                                    "began." if self.timed_out else
                             "Stopped by the user before it began.")
        trial.set_user_attr(studies.OWNER, studies.owner())
        values = suggest(trial, self.doc)
        self.on_event(TrialStart(trial.number, dict(trial.params)))
        trial_doc = with_values(self.doc, values)
        self._carry_custom(trial, trial_doc)
        errors = analyze(trial_doc).blocking
        if errors:
            where = trial_doc.nodes.get(errors[0].node)
            raise self._fail(trial, "The graph is invalid with these values: "
                             f"{where.name + ': ' if where else ''}{errors[0].message}")
        slot = self.slots.get()
        try:
            result = self._train(trial, trial_doc, slot, hold)
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

    def _train(self, trial, trial_doc: Document, slot: Mapping[str, Any],
               hold: TrialHold) -> Result:
        payload = {"number": trial.number, "document": to_dict(trial_doc),
                   "threads": slot["threads"], "env": slot["env"], "device": slot["device"],
                   "trusted_code": sorted(self.options.trusted_code),
                   "save": self.models.path_for(trial.number)}
        process, events, commands = start_trial(payload)
        self.trials.add(trial.number, commands)
        try:
            return self.trials.follow(trial.number, process, events, self.metric,
                                      lambda event: self._report(trial, event, commands)
                                      if isinstance(event, EpochEnd) else hold.on_event(event))
        finally:
            self.trials.remove(trial.number)
            hold.close()  # a trial may end while held (killed, or its process went away)
            commands.put(None)
            process.join(10)
            if process.is_alive():
                process.kill()

    def _report(self, trial, event: EpochEnd, commands) -> None:
        logs, epoch = event.logs, event.epoch
        if self.metric not in logs:
            self.trials.ask_stop(trial.number, commands)
            trial.set_user_attr("missing_metric", sorted(logs))
            return
        value = float(logs[self.metric])
        trial.report(value, step=epoch)
        self.on_event(TrialEpoch(trial.number, epoch, value, dict(logs)))
        if "pruned_at" not in trial.user_attrs and trial.should_prune():
            trial.set_user_attr("pruned_at", epoch)
            trial.set_user_attr(studies.MESSAGE, f"Pruned after epoch {epoch + 1}: "
                                                 f"{self.metric}={value:.4g}.")
            self.trials.ask_stop(trial.number, commands)

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
            killed = self.trials.killed(result)
            raise self._fail(trial, f"{text} {result.message}" if killed else text)
        if status != FINISHED:
            raise self._fail(trial, result.message or f"Training ended {status}.")
        curve = result.history.get(self.metric) or []
        value = float(curve[-1]) if curve else math.nan
        if not math.isfinite(value):
            raise self._fail(trial, f"The search metric {self.metric} is {value} at the end.")
        return value
