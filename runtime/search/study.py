"""Optuna studies: where they are kept, how they sample and prune, what they found.

A study lives in a storage that several processes share:

- a path (the default: `PROJECT.study.log` beside the project) is an Optuna
  journal file, which processes on one machine (or on a shared file system with
  working locks) append to;
- a URL (`sqlite:///study.db`, `postgresql://user@host/db`, `mysql+pymysql://...`)
  is a database, which `kerascanvas search` processes on many machines join.

Samplers and pruners are named as on the command line, with Optuna's own
keyword arguments: `tpe:multivariate=true`, `median:n_warmup_steps=2`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import optuna

from .holds import worked_s
from .lost import (  # noqa: F401  (fail_orphans, owner: their home was here)
    LOST,
    MESSAGE,
    METRIC,
    OWNER,
    HeartbeatStorage,
    fail_orphans,
    owner,
)
from .options import default_storage  # noqa: F401  (its home was here)

SAMPLERS = {"tpe": optuna.samplers.TPESampler, "random": optuna.samplers.RandomSampler,
            "gp": optuna.samplers.GPSampler, "qmc": optuna.samplers.QMCSampler,
            "cmaes": optuna.samplers.CmaEsSampler}
PRUNERS = {"median": optuna.pruners.MedianPruner, "percentile": optuna.pruners.PercentilePruner,
           "hyperband": optuna.pruners.HyperbandPruner,
           "successive_halving": optuna.pruners.SuccessiveHalvingPruner,
           "threshold": optuna.pruners.ThresholdPruner, "wilcoxon": optuna.pruners.WilcoxonPruner,
           "none": optuna.pruners.NopPruner}
SEEDED = ("tpe", "random", "gp", "qmc", "cmaes")
STATES = {optuna.trial.TrialState.COMPLETE: "complete", optuna.trial.TrialState.PRUNED: "pruned",
          optuna.trial.TrialState.FAIL: "failed", optuna.trial.TrialState.RUNNING: "running",
          optuna.trial.TrialState.WAITING: "waiting"}
COUNTED = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)  # max_trials


class StudyError(ValueError):
    """A study cannot be opened or configured as asked; the message says why."""


def open_storage(where: str, on_lost=None):
    """An Optuna storage for a database URL, or a journal file for a path.

    A database storage gets heartbeats: a trial whose process stops sending them
    (killed, or its machine went down) is failed, with a message that says so, by the
    next process that starts a trial (`lost.HeartbeatStorage`), which then calls
    `on_lost(study, trial)`. A journal file has none; `fail_orphans` covers this
    machine's processes."""
    if "://" in where:
        return _database(where, on_lost)
    from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock, JournalStorage

    Path(where).parent.mkdir(parents=True, exist_ok=True)
    # Symlink locks (the default) need POSIX; the open lock works everywhere.
    lock = None if os.name == "posix" else JournalFileOpenLock(where)
    return JournalStorage(JournalFileBackend(where, lock_obj=lock))


def _database(url: str, on_lost=None):
    """The database storage at `url`, or StudyError saying why it cannot be opened (an
    unknown dialect, a driver not installed, a server or file that cannot be reached),
    with the URL's password hidden."""
    import sqlalchemy

    try:
        return HeartbeatStorage(url, on_lost)
    except (ImportError, ValueError, sqlalchemy.exc.SQLAlchemyError) as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        shown, password = _without_password(url)
        if password:
            reason = reason.replace(password, "***")
        raise StudyError(f"cannot open the study database {shown}: {reason}") from None


def _without_password(url: str) -> tuple[str, str | None]:
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - not a URL SQLAlchemy reads: shown as given
        return url, None
    return parsed.render_as_string(hide_password=True), parsed.password


def _made(table: Mapping[str, type], options: Mapping[str, Any], what: str):
    options = dict(options)
    name = options.pop("name", None)
    if name not in table:
        raise StudyError(f"unknown {what} {name!r}; expected one of {', '.join(table)}")
    problem = _option_type_problem(table[name], options)
    if problem:
        raise StudyError(f"{what} {name}: {problem}")
    try:
        return table[name](**options)
    except (TypeError, ValueError, ImportError) as exc:
        raise StudyError(f"{what} {name}: {exc}") from exc


_KINDS = {"bool": ((bool,), "true or false"), "int": ((int,), "an integer"),
          "float": ((int, float), "a number")}


def _option_type_problem(cls: type, options: Mapping[str, Any]) -> str | None:
    """An option whose value is not of the kind its default or annotation says (a number,
    true/false): Optuna keeps it and fails only when it first samples
    (n_startup_trials='abc')."""
    import inspect

    parameters = inspect.signature(cls).parameters
    for key, value in options.items():
        kind = _kind(parameters[key]) if key in parameters else None
        if kind is None or (value is None and _optional(parameters[key])):
            continue
        kinds, expected = _KINDS[kind]
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            return f"{key} expects {expected}. Received: {key}={value!r}"
    return None


def _kind(parameter) -> str | None:
    default = parameter.default
    if default is not None and default is not parameter.empty:
        kind = type(default).__name__
    else:  # `int | None` and the like, as written in the signature
        annotation = parameter.annotation
        text = annotation if isinstance(annotation, str) else ""
        kind = text.removesuffix(" | None")
    return kind if kind in _KINDS else None


def _optional(parameter) -> bool:
    annotation = parameter.annotation
    return parameter.default is None or (isinstance(annotation, str) and "None" in annotation)


def make_sampler(options: Mapping[str, Any], seed: int | None = None):
    """`{"name": "tpe", ...keywords}` as an Optuna sampler; `seed` unless given."""
    options = dict(options)
    if seed is not None and options.get("name") in SEEDED:
        options.setdefault("seed", seed)
    return _made(SAMPLERS, options, "sampler")


def make_pruner(options: Mapping[str, Any]):
    """`{"name": "median", ...keywords}` as an Optuna pruner."""
    return _made(PRUNERS, options, "pruner")


def open_study(name: str, storage: str, direction: str, sampler=None, pruner=None,
               metric: str | None = None, on_lost=None):
    """Create the study, or join it when it exists (another process may be running it,
    or it is resumed). The first process records `metric` in the study.

    Raises:
        StudyError: the existing study optimizes in the other direction, or another metric,
            or the journal file ends with a damaged line (nothing is written to it then).
    """
    refuse_damaged(storage)
    study = optuna.create_study(storage=open_storage(storage, on_lost), study_name=name,
                                direction=direction, sampler=sampler, pruner=pruner,
                                load_if_exists=True)
    _check_joined(study, storage, direction, metric)
    if metric is not None and METRIC not in study.user_attrs:
        study.set_user_attr(METRIC, metric)
    return study


def refuse_damaged(storage: str) -> None:
    """StudyError when the journal file's last line is damaged: Optuna would skip it and
    append after it, which leaves the whole file unreadable (`listing.check_tail`)."""
    from .listing import StudyReadError, check_tail

    try:
        check_tail(storage)
    except StudyReadError as exc:
        raise StudyError(str(exc)) from exc


def join_refusal(name: str, storage: str, direction: str, metric: str) -> str | None:
    """Why `open_study` would refuse the journal file's existing study `name`, told
    before any work (None: it would not, or the study does not exist yet; a database is
    asked when the study opens)."""
    if "://" in storage or not Path(storage).is_file():
        return None
    try:
        refuse_damaged(storage)
    except StudyError as exc:
        return str(exc)
    try:
        study = load_study(name, storage)
    except KeyError:  # no such study in the file yet
        return None
    try:
        _check_joined(study, storage, direction, metric)
    except StudyError as exc:
        return str(exc)
    return None


def _check_joined(study, storage: str, direction: str, metric: str | None) -> None:
    kept = study.direction.name.lower()
    if kept != direction:
        raise StudyError(f"study {study.study_name!r} in {storage} is set to {kept}, but this "
                         f"search would {direction}; use another --study name or storage")
    kept = study.user_attrs.get(METRIC)
    if None not in (kept, metric) and kept != metric:
        raise StudyError(f"study {study.study_name!r} in {storage} optimizes {kept!r}, but "
                         f"this search would optimize {metric!r}: their values cannot be "
                         "compared; use another --study name or storage, or --metric "
                         f"{kept}")


def counted(study) -> int:
    """The study's trials that count towards `SearchOptions.max_trials`."""
    return len(study.get_trials(deepcopy=False, states=COUNTED))


def load_study(name: str, storage: str):
    return optuna.load_study(study_name=name, storage=open_storage(storage))


# ---- what a study found ------------------------------------------------------------------
def _number(value) -> float | None:
    return None if value is None else float(value)


def trial_summary(trial) -> dict[str, Any]:
    """One trial as plain data: number, state, value, params, message, duration, curve."""
    duration = worked_s(trial.duration.total_seconds() if trial.duration is not None else None,
                        trial.user_attrs)  # the time held paused left out
    return {"number": trial.number, "state": STATES.get(trial.state, trial.state.name.lower()),
            "value": _number(trial.value) if trial.state.name == "COMPLETE" else None,
            "params": dict(trial.params), "message": trial.user_attrs.get(MESSAGE, ""),
            "lost": trial.user_attrs.get(LOST),
            "duration_s": duration,
            "curve": {int(k): _number(v) for k, v in sorted(trial.intermediate_values.items())}}


def best_trial(study):
    """The best complete trial, or None when none completed."""
    done = [t for t in study.get_trials(deepcopy=False)
            if t.state == optuna.trial.TrialState.COMPLETE and t.value is not None
            and math.isfinite(t.value)]
    if not done:
        return None
    pick = max if study.direction == optuna.study.StudyDirection.MAXIMIZE else min
    return pick(done, key=lambda t: t.value)


def importances(study) -> dict[str, float]:
    """Each parameter's share of the metric's variance (fANOVA); {} until enough trials."""
    complete = [t for t in study.get_trials(deepcopy=False)
                if t.state == optuna.trial.TrialState.COMPLETE]
    if len(complete) < 2:
        return {}
    try:
        return {k: float(v) for k, v in optuna.importance.get_param_importances(study).items()}
    except (ValueError, RuntimeError, ZeroDivisionError):
        return {}  # e.g. every trial has the same value: nothing to apportion


def summary(study, metric: str, storage: str = "",
            with_importances: bool = True) -> dict[str, Any]:
    """The study as JSON-ready data: its trials, their states, values, params, the best,
    and the importances unless not wanted (fANOVA imports scikit-learn's forests and
    fits them: seconds)."""
    trials = [trial_summary(t) for t in study.get_trials(deepcopy=False)]
    best = best_trial(study)
    counts: dict[str, int] = {}
    for t in trials:
        counts[t["state"]] = counts.get(t["state"], 0) + 1
    return {"study": study.study_name, "storage": storage, "metric": metric,
            "direction": study.direction.name.lower(), "counts": counts, "trials": trials,
            "best": None if best is None else {"number": best.number, "value": best.value,
                                                "params": dict(best.params)},
            "importances": importances(study) if with_importances else {}}
