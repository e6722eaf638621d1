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
(`trial_process`, which holds the running trials and passes the controls on). The time
limit counts search time: the time the study is held paused is not spent (`time_limit`).
What a trial's training comes to, its value or its failure, is `trial_outcome`'s.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import optuna

from kerascanvas.graph.document import Document
from kerascanvas.graph.projectfile import to_dict
from kerascanvas.graph.search import objective, with_values
from kerascanvas.graph.validate import analyze

from ..events import EpochEnd, Result, StudyEvent, TrialEnd, TrialStart
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
from .time_limit import TimeLimit
from .trial_outcome import TrialFailed, TrialOutcome
from .trial_process import STOP_GRACE_S, TrialProcesses  # noqa: F401  (its home was here)


# ---- the driver ------------------------------------------------------------------------------
class SearchDriver(TrialOutcome):
    """Runs (or joins) the study of `doc`'s search section; see the module doc. `clock`:
    the time limit's (tests drive it)."""

    def __init__(self, doc: Document, options: SearchOptions,
                 on_event: Callable[[StudyEvent], None] | None = None,
                 clock: Callable[[], float] = time.monotonic):
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
        self.limit = TimeLimit(options.timeout, self._on_time_up, clock)
        self._holds: dict[int, TrialHold] = {}  # the trials begun, by number: their pauses
        self._holds_lock = threading.RLock()  # reentrant: Ctrl+C's handler stops here too

    # ---- control (any thread) ----------------------------------------------------------
    def pause(self) -> None:
        """Hold running trials before their next batch; start no new trial. The time limit
        waits once each running trial holds."""
        self.trials.pause()
        self._update_hold()

    def resume(self) -> None:
        self.trials.resume()
        self._update_hold()

    def stop(self, grace_s: float | None = None) -> None:
        """Stop running trials after their current batch (they end failed, "stopped"),
        start no new one; `run` returns once they have ended. A trial still running
        `grace_s` seconds later (STOP_GRACE_S by default) is killed."""
        self.trials.stop(grace_s)
        self._update_hold()

    def held_outside(self, seconds: float) -> None:
        """The running trials were held `seconds` otherwise than by Pause (the command and
        its trial processes suspended by Ctrl+Z: `cli.search_suspend`, which holds the time
        limit itself): their durations leave it out too."""
        with self._holds_lock:
            for hold in self._holds.values():
                hold.held_outside(seconds)

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
        """Run trials until the count, the time limit, the study's `max_trials` or a stop;
        return the study."""
        study = self.open()
        cap = self.options.max_trials
        if cap is not None and studies.counted(study) >= cap:
            return study  # the study is done already: not one more trial
        ends = [self._on_trial_end] + ([] if cap is None else [optuna.study.MaxTrialsCallback(
            cap, states=studies.COUNTED)])
        self.limit.start()  # Optuna's timeout would count the time paused
        try:
            study.optimize(self._objective, n_trials=self.options.trials,
                           n_jobs=self.options.jobs, catch=(TrialFailed,), callbacks=ends)
        finally:
            self.limit.close()
            self.shapes.close()
        return study

    def _on_time_up(self) -> None:
        """The search time reached `options.timeout`: stop the running trials as a stop
        does (after their current batch), and start no new one."""
        if not self.stopped:  # a stop asked before the limit stays the user's
            self.timed_out = True
            self.stop()

    def _update_hold(self) -> None:
        """Whether the study holds, for the time limit: paused, and each trial begun (its
        wait to begin over) confirmed that it holds."""
        with self._holds_lock:
            self.limit.held(self.paused and all(h.paused for h in self._holds.values()))

    def _tell_hold(self, event: StudyEvent) -> None:
        """A trial's pause confirmed, or its end: the time limit knows before the listener."""
        self._update_hold()
        self.on_event(event)

    def _hold_trial(self, number: int, hold: TrialHold | None) -> None:
        """List a trial that began (`hold`), or that ended (None), for `_update_hold`."""
        with self._holds_lock:
            if hold is None:
                self._holds.pop(number, None)
            else:
                self._holds[number] = hold
        self._update_hold()

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
        self.limit.check()  # between trials too, not only in the limit's thread
        if self.stopped:
            study.stop()

    def _objective(self, trial) -> float:
        # a wait while the study was paused is time held, which its duration leaves out
        hold = TrialHold(trial, self._tell_hold, self.trials.wait_go())
        self._hold_trial(trial.number, hold)
        try:
            return self._run_trial(trial, hold)
        finally:
            self._hold_trial(trial.number, None)

    def _run_trial(self, trial, hold: TrialHold) -> float:
        if self.stopped:
            raise self._not_run(trial)
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

    def _train(self, trial, trial_doc: Document, slot: Mapping[str, Any],
               hold: TrialHold) -> Result:
        payload = {"number": trial.number, "document": to_dict(trial_doc),
                   "threads": slot["threads"], "env": slot["env"], "device": slot["device"],
                   "trusted_code": sorted(self.options.trusted_code),
                   "save": self.models.path_for(trial.number)}
        process, events, commands = start_trial(payload)
        self.trials.add(trial.number, commands)
        last = int(trial_doc.training.get("epochs") or 1) - 1
        try:
            return self.trials.follow(trial.number, process, events, self.metric,
                                      lambda event: self._report(trial, event, commands, last)
                                      if isinstance(event, EpochEnd) else hold.on_event(event))
        finally:
            self.trials.remove(trial.number)
            hold.close()  # a trial may end while held (killed, or its process went away)
            commands.put(None)
            process.join(10)
            if process.is_alive():
                process.kill()
