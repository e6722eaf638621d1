"""Trials whose process went away: failed with a message that says which process, how it
was found gone, and the last thing it reported.

Two ways to find them:

- a database study has Optuna heartbeats: each running trial's process records one
  every `HEARTBEAT_S` seconds, and a trial silent for twice that (its process killed,
  its machine down) is failed by the next process that starts a trial or joins the
  study (`HeartbeatStorage`, which writes the message before Optuna fails the trial);
- a journal file has none: a process that joins the study fails the trials that an
  ended process of this machine left running (`fail_orphans`).

(A trial's own worker process that dies while its driver lives is told by the driver:
"The trial's process ended unexpectedly (killed by SIGKILL). Last received: ...".)

Either way the trial keeps its curve (the epochs it reported), its `MESSAGE` says

    Its process (node7:4242) stopped answering: no heartbeat for over 120 s. Last
    received: epoch 3, val_accuracy=0.9125.

and its `LOST` user attribute marks it, so a summary can list such trials apart.
"""

from __future__ import annotations

import os
import socket
import warnings
from collections.abc import Mapping

import optuna

MESSAGE = "message"  # the user attribute that says why a trial failed or was pruned
OWNER = "process"  # the trial's user attribute: "host:pid" of the process that runs it
METRIC = "metric"  # the study's user attribute: the logged value it optimizes
LOST = "lost"  # the trial's user attribute: how its process was found gone
HEARTBEAT_S = 60  # a database study's trial without a heartbeat for twice this is failed


def last_received(curve: Mapping[int, float], metric: str | None) -> str:
    """`Last received: epoch 3, val_accuracy=0.9125.` from a trial's reported curve (epoch
    index -> the search metric)."""
    if not curve:
        return "Nothing was received: it had reported no epoch."
    step = max(curve)
    return f"Last received: epoch {step + 1}, {metric or 'value'}={curve[step]:.4g}."


def lost_message(trial, metric: str | None, why: str) -> str:
    owner = trial.user_attrs.get(OWNER) or "unknown"
    return f"Its process ({owner}) {why}. {last_received(trial.intermediate_values, metric)}"


class HeartbeatStorage(optuna.storages.RDBStorage):
    """An RDB storage with heartbeats whose stale trials get their message (which process,
    how long silent, what it last reported) while they can still take one: Optuna fails
    them without a word, and a failed trial's attributes are read-only."""

    def __init__(self, url: str, on_lost=None):
        with warnings.catch_warnings():  # heartbeats are "experimental" since Optuna 2.9
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            super().__init__(url, heartbeat_interval=HEARTBEAT_S,
                             heartbeat_stale_trial_callback=on_lost)

    def silence(self) -> str:
        return f"stopped answering: no heartbeat for over {2 * self.heartbeat_interval} s"

    def stale_trial_ids(self, study_id: int) -> list[int]:
        """The running trials silent for too long; nothing is written."""
        return super()._get_stale_trial_ids(study_id)

    def _get_stale_trial_ids(self, study_id: int) -> list[int]:
        stale = self.stale_trial_ids(study_id)
        metric = self.get_study_user_attrs(study_id).get(METRIC)
        why = self.silence()
        marked = []
        for trial_id in stale:
            trial = self.get_trial(trial_id)
            try:
                self.set_trial_user_attr(trial_id, MESSAGE, lost_message(trial, metric, why))
                self.set_trial_user_attr(trial_id, LOST, "heartbeat")
            except optuna.exceptions.UpdateFinishedTrialError:
                continue  # it ended meanwhile, or another process failed it first
            marked.append(trial_id)
        return marked


def fail_stale(study) -> None:
    """Fail the database study's silent trials now (Optuna does it when a trial starts)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)


def fail_lost(study, storage) -> list[int]:
    """Mark failed, with their message, the study's running trials whose process went
    away (a database's silent heartbeats; an ended process of this machine), as a
    process that joins the study does; returns their numbers (`--show` says so).
    `storage` is the study's (`study.open_storage`)."""
    lost = sorted(silent_trials(study, storage))
    if not lost:
        return []
    if isinstance(storage, HeartbeatStorage):
        fail_stale(study)
    else:
        fail_orphans(study)
    failed = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.FAIL,))
    return sorted({t.number for t in failed} & set(lost))


def silent_trials(study, storage) -> dict[int, tuple[str, str]]:
    """The study's running trials whose process went away, found without writing
    anything: number -> (how, the message they get once they are failed). `storage`
    is the study's (`study.open_storage`)."""
    running = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
    metric = study.user_attrs.get(METRIC)
    if isinstance(storage, HeartbeatStorage):
        stale = set(storage.stale_trial_ids(storage.get_study_id_from_name(study.study_name)))
        return {t.number: ("heartbeat", lost_message(t, metric, storage.silence()))
                for t in running if t._trial_id in stale}
    return {t.number: ("ended", lost_message(t, metric, "ended before the trial did"))
            for t in running if _ended(str(t.user_attrs.get(OWNER, "")))}


def owner() -> str:
    """`host:pid` of this process, which trials it runs record (`OWNER`)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _ended(owner_: str) -> bool:
    """Whether `host:pid` names a process of this machine that no longer exists."""
    host, _, pid = owner_.rpartition(":")
    if os.name != "posix" or host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's process (or no sure way to ask): left alone
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def fail_orphans(study) -> list[int]:
    """Mark failed the trials left "running" by a process of this machine that has
    ended (killed, or a hard abort) so that a resumed study neither lists them as
    running forever nor counts them; returns their numbers. Trials of live processes
    and of other machines are left alone."""
    orphans = [t for t in study.get_trials(deepcopy=False,
                                           states=(optuna.trial.TrialState.RUNNING,))
               if _ended(str(t.user_attrs.get(OWNER, "")))]
    metric = study.user_attrs.get(METRIC)
    for trial in orphans:  # Optuna has no public call to end another process's trial
        storage = study._storage
        storage.set_trial_user_attr(trial._trial_id, MESSAGE, lost_message(
            trial, metric, "ended before the trial did"))
        storage.set_trial_user_attr(trial._trial_id, LOST, "ended")
        storage.set_trial_state_values(trial._trial_id, optuna.trial.TrialState.FAIL)
    return [t.number for t in orphans]
