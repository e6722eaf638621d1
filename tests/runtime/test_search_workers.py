"""`kerascanvas search` with several workers and limits: a seed per trial (parallel
workers given one seed draw distinct values, reproducibly), trials whose process stopped
answering (told, with what they last reported), `--timeout` that stops the running
trials, and a study that already holds `--max-trials` (nothing checked or built).

Real Optuna studies in journal files and SQLite; one real trial (the timeout) on the tiny
MLP of `test_search.mlp_project`.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import signal

import optuna
import pytest

from kerascanvas.app.cli import main
from kerascanvas.graph.project import Project
from kerascanvas.runtime.cli.search_report import TrialLog
from kerascanvas.runtime.events import TrialEnd, TrialEpoch
from kerascanvas.runtime.search import lost
from kerascanvas.runtime.search import study as studies
from kerascanvas.runtime.search.driver import SearchDriver
from kerascanvas.runtime.search.space import suggest
from kerascanvas.runtime.search.study import importances
from tests.runtime.test_search import LR, UNITS, mlp_project, options


def heartbeat_long_ago(study) -> None:
    """Date the study's recorded heartbeats 10 s back, past twice a 1 s heartbeat, as if
    that much time had passed (the database keeps whole seconds; no sleep)."""
    import sqlalchemy

    storage = getattr(study._storage, "_backend", study._storage)
    with storage.engine.begin() as connection:
        connection.execute(sqlalchemy.text(
            "UPDATE trial_heartbeats SET heartbeat = datetime(heartbeat, '-10 seconds')"))


UNITS_DIST = optuna.distributions.IntDistribution(4, 32, step=4)


def _draw(study, doc) -> tuple[int, tuple]:
    trial = study.ask()
    values = tuple(suggest(trial, doc).values())
    study.tell(trial, 0.5)
    return trial.number, values


def test_workers_given_one_seed_draw_distinct_values_reproducibly(tmp_path):
    """Two processes started together on one storage with --seed 7 both found an empty
    study and seeded their samplers alike: every draw came twice."""
    doc = Project.open(mlp_project(tmp_path, [UNITS, {**LR, "high": 0.05}])).doc

    def two_workers(storage) -> list:
        made = [SearchDriver(doc, options(tmp_path, storage=str(storage), seed=7,
                                          sampler={"name": "random"})) for _ in range(2)]
        first, second = (driver.open() for driver in made)  # both join the empty study
        return [_draw(study, doc) for study in (first, second, second, first)]

    drawn = two_workers(tmp_path / "a.log")
    assert len({values for _, values in drawn}) == 4, drawn
    assert sorted(n for n, _ in drawn) == [0, 1, 2, 3]
    assert two_workers(tmp_path / "b.log") == drawn  # trial N, seed 7 + N: the same values


def test_jobs_in_one_process_draw_reproducibly_with_a_seed(tmp_path):
    """Optuna's threads (`--jobs`) reseeded the shared sampler at random: a seeded study
    drew other values on every run."""
    doc = Project.open(mlp_project(tmp_path, [UNITS, {**LR, "high": 0.05}])).doc

    def threaded(storage) -> dict:
        driver = SearchDriver(doc, options(tmp_path, storage=str(storage), seed=3, jobs=2))
        study = driver.open()
        study.optimize(lambda trial: len(suggest(trial, doc)) * 0.1, n_trials=6, n_jobs=2)
        return {t.number: t.params for t in study.trials}

    drawn = threaded(tmp_path / "a.log")
    assert len({tuple(p.values()) for p in drawn.values()}) == 6
    assert threaded(tmp_path / "b.log") == drawn


@pytest.mark.parametrize("name", list(studies.SAMPLERS))
def test_every_sampler_offered_draws_a_seeded_study(tmp_path, name):
    """--sampler cmaes was offered, but its package was not installed: each trial failed."""
    doc = Project.open(mlp_project(tmp_path, [UNITS, {**LR, "high": 0.05}])).doc
    study = SearchDriver(doc, options(tmp_path, seed=1, sampler={"name": name})).open()
    study.optimize(lambda trial: len(suggest(trial, doc)) * 0.1, n_trials=3)
    assert [t.state.name for t in study.trials] == ["COMPLETE"] * 3


def test_a_trial_whose_process_stopped_answering_is_told_with_its_last_epoch(
        tmp_path, monkeypatch, capsys):
    """A database study failed a silent trial (its process killed) without a word."""
    monkeypatch.setattr(lost, "HEARTBEAT_S", 1)
    project = mlp_project(tmp_path, [UNITS])
    url = f"sqlite:///{tmp_path}/study.db"
    study = studies.open_study("mlp", url, "maximize", metric="val_accuracy")
    study.add_trial(optuna.trial.create_trial(
        params={"hidden.units": 8}, distributions={"hidden.units": UNITS_DIST}, value=0.5))
    with pytest.warns(UserWarning, match="Heartbeat"):  # a trial asked outside optimize
        trial = study.ask()
    trial.suggest_int("hidden.units", 4, 32, step=4)
    trial.set_user_attr(studies.OWNER, "node7:4242")
    trial.report(0.75, 0)
    trial.report(0.8125, 1)
    study._storage.record_heartbeat(trial._trial_id)  # as Optuna's thread does, then dies
    heartbeat_long_ago(study)
    silent = ("Its process (node7:4242) stopped answering: no heartbeat for over 2 s. "
              "Last received: epoch 2, val_accuracy=0.8125.")
    told = []
    doc = Project.open(project).doc
    SearchDriver(doc, options(tmp_path, storage=url, study_name="mlp"),
                 on_event=told.append).open()
    expected = silent
    assert told == [TrialEnd(1, "failed", None, expected, None, {"hidden.units": trial.params[
        "hidden.units"]})]
    TrialLog(doc)(told[0])  # the command's line for it
    assert f"kerascanvas search: trial 1 failed: {expected}" in capsys.readouterr().err
    (stale,) = studies.load_study("mlp", url).get_trials(
        states=(optuna.trial.TrialState.FAIL,))
    assert stale.number == 1 and stale.intermediate_values == {0: 0.75, 1: 0.8125}
    assert main(["search", str(project), "--storage", url, "--show"]) == 0
    assert f"trial 1 failed: {expected}" in capsys.readouterr().out.splitlines()
    assert main(["search", str(project), "--storage", url, "--show", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["trials"][1]["lost"] == "heartbeat"
    assert summary["trials"][1]["message"] == expected


def gone_trial(storage: str, study_name: str = "t"):
    """A study with trial 0 listed as running by a process of this machine that is gone
    (a pid no process has), after it reported one epoch."""
    study = studies.open_study(study_name, storage, "maximize", metric="val_accuracy")
    trial = study.ask()
    trial.set_user_attr(studies.OWNER, f"{studies.owner().rpartition(':')[0]}:999999999")
    trial.report(0.25, 0)
    return study


def test_a_trial_an_ended_process_left_running_says_what_it_last_reported(tmp_path):
    storage = str(tmp_path / "s.log")
    gone_trial(storage)
    told = []
    project = mlp_project(tmp_path, [UNITS])
    doc = Project.open(project).doc
    driver = SearchDriver(doc, options(tmp_path), on_event=lambda e: told.append(e) or (
        importances(driver.study)))  # as the window's listener does
    driver.open()
    assert [(e.number, e.state) for e in told] == [(0, "failed")]
    assert told[0].message.endswith(
        ":999999999) ended before the trial did. Last received: epoch 1, val_accuracy=0.25.")


@pytest.mark.parametrize("as_json", [False, True])
def test_show_marks_failed_a_running_trial_whose_process_is_gone_and_says_so(
        tmp_path, capsys, as_json):
    """`--show` listed a trial whose process had been killed as running, forever."""
    storage = str(tmp_path / "s.log")
    study = gone_trial(storage)
    alive = study.ask()  # this process's: alive, so it stays running
    alive.set_user_attr(studies.OWNER, studies.owner())
    project = mlp_project(tmp_path, [UNITS])
    show = ["search", str(project), "--storage", storage, "--study", "t", "--show"]
    assert main(show + ["--json"] * as_json) == 0
    out, err = capsys.readouterr()
    message = (f"Its process ({studies.owner().rpartition(':')[0]}:999999999) ended before "
               "the trial did. Last received: epoch 1, val_accuracy=0.25.")
    if as_json:
        summary = json.loads(out)
        assert [(t["state"], t["lost"]) for t in summary["trials"]] == [
            ("failed", "ended"), ("running", None)]
        assert summary["trials"][0]["message"] == message
        assert ("trial 0 was listed as running, but its process is gone: marked failed "
                "(see the message of each)") in err
    else:
        lines = out.splitlines()
        assert lines[0] == "Study t: no complete trial (1 failed, 1 running)."
        rows = [line.split()[:2] for line in lines[2:] if line.split()[0].isdigit()]
        assert rows == [["0", "failed"], ["1", "running"]]  # the table of every trial
        assert lines[-1] == (f"trial 0 was listed as running; its process is gone, so it is "
                             f"now marked failed: {message}")
    states = [t.state.name for t in studies.load_study("t", storage).trials]
    assert states == ["FAIL", "RUNNING"]
    assert main(show) == 0  # marked once: a second look tells it as an earlier failure
    assert capsys.readouterr().out.splitlines()[-1] == f"trial 0 failed: {message}"


@pytest.mark.slow  # SQLAlchemy, and the heartbeat's two whole seconds
def test_show_marks_failed_a_database_trial_whose_heartbeat_stopped(
        tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(lost, "HEARTBEAT_S", 1)
    url = f"sqlite:///{tmp_path}/study.db"
    study = studies.open_study("mlp", url, "maximize", metric="val_accuracy")
    with pytest.warns(UserWarning, match="Heartbeat"):  # a trial asked outside optimize
        trial = study.ask()
    trial.set_user_attr(studies.OWNER, "node7:4242")
    trial.report(0.5, 0)
    study._storage.record_heartbeat(trial._trial_id)  # as Optuna's thread does, then dies
    heartbeat_long_ago(study)
    project = mlp_project(tmp_path, [UNITS])
    assert main(["search", str(project), "--storage", url, "--show"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "trial 0 was listed as running; its process is gone, so it is now marked failed: "
        "Its process (node7:4242) stopped answering: no heartbeat for over 2 s. Last "
        "received: epoch 1, val_accuracy=0.5.")
    (failed,) = studies.load_study("mlp", url).trials
    assert failed.state.name == "FAIL" and failed.user_attrs[studies.LOST] == "heartbeat"


def test_a_killed_trial_worker_is_told_with_its_last_epoch(tmp_path):
    """A trial whose worker process was killed said only its exit code."""
    doc = Project.open(mlp_project(tmp_path, [UNITS], epochs=400)).doc
    epochs = []

    def kill_after_an_epoch(event) -> None:
        if isinstance(event, TrialEpoch) and not epochs:
            epochs.append(event)
            (worker,) = [p for p in multiprocessing.active_children()
                         if p.name == f"kerascanvas-trial-{event.number}"]
            os.kill(worker.pid, signal.SIGKILL)

    driver = SearchDriver(doc, options(tmp_path, trials=1, pruner={"name": "none"}),
                          on_event=kill_after_an_epoch)
    (trial,) = driver.run().trials
    assert trial.state == optuna.trial.TrialState.FAIL
    (first,) = epochs
    assert trial.intermediate_values[first.epoch] == first.value
    last = max(trial.intermediate_values)  # an epoch may end before the kill lands
    assert trial.user_attrs[studies.MESSAGE] == (
        "The trial's process ended unexpectedly (killed by SIGKILL). Last received: epoch "
        f"{last + 1}, val_accuracy={trial.intermediate_values[last]:.4g}.")


def test_timeout_stops_the_running_trial_after_its_batch(tmp_path):
    """The timeout only stopped new trials from starting: a long trial ran to its end."""
    doc = Project.open(mlp_project(tmp_path, [UNITS], epochs=400)).doc
    ends = []
    driver = SearchDriver(doc, options(tmp_path, trials=3, timeout=3, pruner={"name": "none"}),
                          on_event=lambda e: ends.append(e) if isinstance(e, TrialEnd) else 0)
    (trial,) = driver.run().trials  # no trial after the limit
    assert driver.timed_out and driver.cut == [0]
    assert trial.state == optuna.trial.TrialState.FAIL
    # the limit counts from the study's start: a cold trial server may take it all
    assert re.fullmatch(r"Stopped by the study's time limit \(3 s\) (after epoch \d+|before "
                        r"its first epoch ended)\.", trial.user_attrs[studies.MESSAGE])
    assert [(e.number, e.state) for e in ends] == [(0, "failed")]


@pytest.mark.slow  # the command's checks build models with Keras before the trial
def test_the_command_says_what_its_timeout_stopped(tmp_path, capsys):
    project = mlp_project(tmp_path, [UNITS], epochs=400)
    code = main(["search", str(project), "--trials", "1", "--timeout", "4", "--pruner",
                 "none"])
    err = capsys.readouterr().err
    assert code == 3, err  # no trial of this run completed
    assert ("--timeout 4 s reached: trial 0 stopped after its current batch and marked "
            "failed (no value); 0 trials of this run completed") in err
    (trial,) = studies.load_study("mlp", str(tmp_path / "mlp.study.log")).trials
    assert trial.state == optuna.trial.TrialState.FAIL
    assert f"trial 0 failed in {trial.duration.total_seconds():.1f}s: Stopped by the " \
           "study's time limit (4 s) " in err


def test_a_study_that_holds_max_trials_is_not_checked_or_built(tmp_path, capsys,
                                                               monkeypatch):
    from kerascanvas.runtime.search import checks

    def no_check(payload):
        raise AssertionError("the checks ran for a complete study")

    monkeypatch.setattr(checks, "start_check", no_check)
    project = mlp_project(tmp_path, [UNITS])
    study = studies.open_study("mlp", str(tmp_path / "mlp.study.log"), "maximize",
                               metric="val_accuracy")
    for value, units in ((0.5, 8), (0.75, 24)):
        study.add_trial(optuna.trial.create_trial(
            params={"hidden.units": units}, distributions={"hidden.units": UNITS_DIST},
            value=value))
    best = tmp_path / "best.json"
    assert main(["search", str(project), "--max-trials", "2", "--best-project",
                 str(best), "--best-model", str(tmp_path / "best.keras")]) == 0
    out, err = capsys.readouterr()
    assert ("the study holds 2 complete or pruned trials already (--max-trials 2): it is "
            "complete; nothing was checked, built or trained") in err
    assert f"--best-model {tmp_path / 'best.keras'} was not written: no trial ran" in err
    assert out.startswith("Study mlp (2 complete): best trial 1, val_accuracy=0.7500 with "
                          "hidden.units=24")
    assert Project.open(best).doc.find("hidden").params["units"] == 24
    assert len(studies.load_study("mlp", str(tmp_path / "mlp.study.log")).trials) == 2


@pytest.mark.parametrize("trials", [["complete"], []])
def test_the_timeout_line_names_the_stopped_trials(trials):
    from kerascanvas.runtime.cli.search_report import timeout_line

    line = timeout_line([4, 3], trials, 2.5)
    assert line.startswith("--timeout 2.5 s reached: trials 3, 4 stopped after their "
                           "current batch and marked failed (no value); ")
    assert line.endswith(f"{len(trials)} trial{'s' * (len(trials) != 1)} of this run "
                         "completed")
