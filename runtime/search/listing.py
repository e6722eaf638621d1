"""A project's study as it stands in its journal file, read without writing anything.

The Search tab lists the trials of the project's study when the project opens, and
follows them while another process (the command line, a second window) adds trials.
Reading never writes: a journal file that does not exist is not created, a trial left
"running" by a process that went away (killed) is shown failed with why, while the file
still lists it as running (`kerascanvas search --show`, or a search that joins the study,
marks it failed there), and a file that cannot be read is reported, never replaced.

A `StudyReader` keeps its journal storage between reads: Optuna's journal storage
reads only what was appended since, so following a growing study stays cheap.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TAIL_BYTES = 1 << 20  # a journal line (one trial's record) is far shorter


class StudyReadError(Exception):
    """The journal file cannot be read as a study; the message says where and what."""


@dataclass
class StoredStudy:
    """What the journal holds: the study's direction, metric and trials (as
    `study.trial_summary` gives them), its best trial's number, and `mismatch`, a
    sentence when its trials searched other parameters than the project does now."""

    storage: str
    name: str
    direction: str
    metric: str | None
    trials: list[dict[str, Any]] = field(default_factory=list)
    best: int | None = None
    mismatch: str = ""
    importances: dict[str, float] | None = None  # None: as at the previous read

    @property
    def running(self) -> bool:
        """Whether a trial is shown running (its process may end, or be killed, any time)."""
        return any(t["state"] == "running" for t in self.trials)


def stamp(storage: str) -> tuple[int, int] | None:
    """(size, modification time) of the journal file; None when there is none."""
    try:
        info = os.stat(storage)
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns


def check_tail(storage: str) -> None:
    """Refuse a journal file whose last whole line is not a record. Optuna skips such a
    line as a write still in progress, and the next record appended after it would leave
    the whole file unreadable; so nothing may be written to it.

    Raises:
        StudyReadError: the last line is damaged; the message says where and what.
    """
    if "://" in storage:
        return
    try:
        with open(storage, "rb") as handle:
            handle.seek(max(0, os.stat(storage).st_size - TAIL_BYTES))
            lines = handle.read().split(b"\n")
    except OSError:
        return  # no file yet: nothing to protect
    last = lines[-2] if len(lines) > 1 else b""  # lines[-1]: after the last newline
    if len(lines) < 2 or not last.strip():
        return
    try:
        json.loads(last)
    except ValueError as exc:
        raise StudyReadError(
            f"the study file {storage} ends with a damaged line, not a journal record "
            f"(it begins {last[:60]!r}); it is left as it is, and no study writes to it "
            "until that line is removed or the file moved away") from exc


UNMARKED = ("The study file still lists it as running; a search that joins the study marks "
            "it failed.")


def shown_trials(study, storage) -> list[dict[str, Any]]:
    """The study's trials as `study.trial_summary` gives them, except that a trial listed
    as running whose process went away (`lost.silent_trials`: ended on this machine, or a
    silent heartbeat) is shown failed, with how and what it last reported. `storage` is
    the study's (`study.open_storage`); nothing is written to it."""
    from . import study as studies
    from .lost import silent_trials

    trials = [studies.trial_summary(t) for t in study.get_trials(deepcopy=False)]
    silent = silent_trials(study, storage)
    for trial in trials:
        if trial["number"] in silent:
            how, message = silent[trial["number"]]
            trial.update(state="failed", lost=how, message=f"{message} {UNMARKED}")
    return trials


def space_mismatch(trials: Sequence[dict[str, Any]], keys: Sequence[str]) -> str:
    """Why the trials' parameters are not the searched `keys` ("" when they are)."""
    searched = {k for t in trials for k in t["params"]}
    gone, new = sorted(searched - set(keys)), sorted(set(keys) - searched)
    if not searched or not (gone or new):
        return ""
    parts = []
    if gone:
        parts.append(f"its trials searched {', '.join(gone)}, which the project no longer "
                     "searches")
    if new:
        parts.append(f"none of its trials searched {', '.join(new)}")
    return "; ".join(parts)


class StudyReader:
    """Reads study `name` of journal file `storage`; `read` again to see new trials."""

    def __init__(self, storage: str, name: str):
        self.storage, self.name = storage, name
        self._study = self._storage = None
        self._size = -1
        self._complete = -1  # complete trials at the last importances

    def read(self, keys: Sequence[str], importances: bool = True) -> StoredStudy | None:
        """The study as it stands (None: no journal file, or no such study in it yet);
        its importances when its complete trials changed since the last read that asked
        for them (`importances`).

        Raises:
            StudyReadError: the file is unreadable, not a journal, or damaged.
        """
        now = stamp(self.storage)
        if now is None:
            self._forget()
            return None
        if now[0] < self._size:  # rewritten shorter: read it again from its start
            self._forget()
        self._size = now[0]
        try:
            check_tail(self.storage)
            study = self._study or self._load()
            if study is None:
                return None
            self._study = study
            return self._stored(study, keys, importances)
        except StudyReadError:
            self._forget()
            raise
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            self._forget()
            raise StudyReadError(self._unreadable(exc)) from exc

    def _forget(self) -> None:
        self._study, self._complete = None, -1

    def _unreadable(self, exc: BaseException) -> str:
        what = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        return (f"the study file {self.storage} cannot be read as a study journal "
                f"({type(exc).__name__}: {what}); it is left as it is")

    def _load(self):
        import optuna

        from .study import open_storage

        if not Path(self.storage).is_file():
            raise StudyReadError(f"the study file {self.storage} is not a file")
        self._storage = storage = open_storage(self.storage)
        names = optuna.study.get_all_study_names(storage)
        if self.name not in names:
            if names:
                raise StudyReadError(
                    f"the study file {self.storage} holds no study {self.name!r} (it holds "
                    f"{', '.join(repr(n) for n in names)}); Start makes {self.name!r} in it")
            return None
        return optuna.load_study(study_name=self.name, storage=storage)

    def _stored(self, study, keys: Sequence[str], importances: bool) -> StoredStudy:
        from . import study as studies

        trials = shown_trials(study, self._storage)
        complete = sum(t["state"] == "complete" for t in trials)
        # fANOVA fits forests: only when asked, and when they can have changed
        fresh = importances and complete != self._complete
        if fresh:
            self._complete = complete
        best = studies.best_trial(study)
        mismatch = space_mismatch(trials, keys)
        return StoredStudy(
            self.storage, self.name, study.direction.name.lower(),
            study.user_attrs.get(studies.METRIC), trials,
            None if best is None else best.number,
            f"study {self.name!r} in {self.storage}: {mismatch}" if mismatch else "",
            studies.importances(study) if fresh else None)


def objective_mismatch(stored: StoredStudy, metric: str, direction: str) -> str:
    """Why Start would refuse to join `stored` with the project's objective ("" if not)."""
    if stored.direction != direction:
        return (f"study {stored.name!r} in {stored.storage} is set to {stored.direction}, "
                f"but the project would {direction} {metric}: Start refuses to join it")
    if stored.metric not in (None, metric):
        return (f"study {stored.name!r} in {stored.storage} optimizes {stored.metric!r}, "
                f"but the project optimizes {metric!r}: Start refuses to join it")
    return ""


def describe(stored: StoredStudy, metric: str, direction: str) -> str:
    """The tab's status line for a study read from its file."""
    counts: dict[str, int] = {}
    for trial in stored.trials:
        counts[trial["state"]] = counts.get(trial["state"], 0) + 1
    held = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "no trial"
    text = f"Study {stored.name!r} in {stored.storage} ({held}), read from its file"
    best = next((t for t in stored.trials if t["number"] == stored.best), None)
    if best is not None:
        text += f"; best: trial {best['number']}, {stored.metric or metric}={best['value']:.4g}"
    refusal = objective_mismatch(stored, metric, direction)
    text += "." if refusal else ". Start adds trials to it."
    for problem in (refusal, stored.mismatch):
        if problem:
            text += f" Note: {problem}."
    return text
