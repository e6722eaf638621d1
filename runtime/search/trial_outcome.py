"""What a trial's training comes to: each epoch's metric to the pruner, then its value or
why it has none.

`TrialOutcome` is a part of `SearchDriver` (it reads the driver's metric, trial processes,
options and time limit). Every epoch's metric is reported to the trial, and a trial the
pruner prunes before its last epoch is asked to stop. Once its training ended, a trial
gets its metric's last value, or fails with a message that says why it has none: the
metric is not logged, the pruner pruned it, the user or the study's time limit stopped it
(after which epoch; a trial killed after the grace says so too), its training failed, or
the value is not a finite number.
"""

from __future__ import annotations

import math

import optuna

from ..events import FINISHED, STOPPED, EpochEnd, Result, TrialEpoch
from . import study as studies


class TrialFailed(Exception):
    """The trial could not give a value; Optuna records it as failed with the message."""


class TrialOutcome:
    """The driver's judgement of its trials (see the module doc)."""

    def _fail(self, trial, message: str) -> TrialFailed:
        trial.set_user_attr(studies.MESSAGE, message)
        return TrialFailed(message)

    def _stopped_by(self) -> str:
        if self.timed_out:
            return f"Stopped by the study's time limit ({self.options.timeout:g} s)"
        return "Stopped by the user"

    def _not_run(self, trial) -> TrialFailed:
        """A trial Optuna began after a stop: it does not train."""
        return self._fail(trial, f"Not run: the study's time limit ({self.options.timeout:g} s) "
                                 "was reached before it began." if self.timed_out
                          else "Stopped by the user before it began.")

    def _report(self, trial, event: EpochEnd, commands, last: int) -> None:
        """`last`: the trial's last epoch, after which it is never pruned: its training
        is over, so its value counts (pruned, a whole trial's training was thrown away)."""
        logs, epoch = event.logs, event.epoch
        if self.metric not in logs:
            self.trials.ask_stop(trial.number, commands)
            trial.set_user_attr("missing_metric", sorted(logs))
            return
        value = float(logs[self.metric])
        trial.report(value, step=epoch)
        self.on_event(TrialEpoch(trial.number, epoch, value, dict(logs)))
        if epoch < last and "pruned_at" not in trial.user_attrs and trial.should_prune():
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
        if result.status == STOPPED:
            raise self._cut(trial, result)
        if result.status != FINISHED:
            raise self._fail(trial, result.message or f"Training ended {result.status}.")
        curve = result.history.get(self.metric) or []
        value = float(curve[-1]) if curve else math.nan
        if not math.isfinite(value):
            raise self._fail(trial, f"The search metric {self.metric} is {value} at the end.")
        return value

    def _cut(self, trial, result: Result) -> TrialFailed:
        """A trial the user or the time limit stopped: after which complete epoch (a
        cut-short one is not counted), and whether it was killed after the grace."""
        done = result.epochs_run
        text = (f"{self._stopped_by()} after epoch {done}." if done else
                f"{self._stopped_by()} before its first epoch ended.")
        if self.timed_out:
            self.cut.append(trial.number)
        killed = self.trials.killed(result)
        return self._fail(trial, f"{text} {result.message}" if killed else text)
