"""`kerascanvas search` as careful as the window: the window's checks (Keras builds of
sampled models) before any trial, Ctrl+C that keeps the study and exits 130, a resumed
study (a new seed stream, the metric kept, trials of ended processes failed), and the
best trial's project written where its data still resolves.

Real Optuna and Keras on tiny models (`test_search.mlp_project`: an MLP on 360 digits).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import optuna
import pytest

from kerascanvas.app.cli import main
from kerascanvas.graph.project import Project
from kerascanvas.runtime.cli.search_report import write_best
from kerascanvas.runtime.search import lost
from kerascanvas.runtime.search import study as studies
from kerascanvas.runtime.search.driver import SearchDriver
from tests.runtime.test_search import LR, UNITS, check_best_model, mlp_project, options
from tests.runtime.test_search_checks import pooled_project


@pytest.mark.slow  # a custom layer: its shapes come from a Keras process of their own
def test_a_space_keras_cannot_build_is_refused_before_any_trial_naming_node_and_value(
        tmp_path, capsys):
    """The highs give the custom Pool 64 features, which its code refuses when Keras
    builds the model; the graph's rules alone cannot know. The window refuses it too
    (tests/app/test_search_checks.py, in the default suite, from the same checks)."""
    marker = tmp_path / "pids.txt"
    project = pooled_project(tmp_path, marker)
    assert main(["search", project, "--trust-custom-code", "--trials", "3"]) == 1
    err = capsys.readouterr().err
    assert "kerascanvas search: check: building model 2 of" in err  # each step is said
    refusal = [line for line in err.splitlines() if "trial build of" in line]
    assert refusal and refusal[0].startswith(
        "kerascanvas search: trial build of the highs (hidden.units=64): "), err
    assert "pool" in refusal[0] and "Pool takes at most 32 features. Received: 64" in err
    assert "\x1b[" not in err  # Keras' terminal styling is taken out of its message
    assert not (tmp_path / "pooled.study.log").exists()  # no study, no trial
    pids = {int(line) for line in marker.read_text().split()}
    assert pids and os.getpid() not in pids  # the user's code ran in the check process


@pytest.mark.parametrize("flag, value", [("--timeout", "0"), ("--timeout", "-5"),
                                         ("--timeout", "soon"), ("--trials", "0")])
def test_nonsense_limits_are_refused_by_the_parser(tmp_path, capsys, flag, value):
    project = mlp_project(tmp_path, [UNITS])
    with pytest.raises(SystemExit) as exit_:
        main(["search", str(project), flag, value])
    assert exit_.value.code == 2
    assert f"{flag}: expected a positive" in capsys.readouterr().err


def test_a_bad_pruner_option_is_refused_before_the_checks(tmp_path, capsys):
    project = mlp_project(tmp_path, [UNITS])
    assert main(["search", str(project), "--pruner", "median:n_warmup_steps=x"]) == 1
    err = capsys.readouterr().err
    assert "pruner median" in err and "checking the study" not in err


def _signal_after_a_complete_trial(storage: Path, signum: int) -> threading.Thread:
    """Send this process `signum` once the study in `storage` holds a complete trial."""
    def watch():
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if storage.exists():
                study = studies.load_study("mlp", str(storage))
                if study.get_trials(states=(optuna.trial.TrialState.COMPLETE,)):
                    os.kill(os.getpid(), signum)
                    return
            time.sleep(0.2)
    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("signum, code, name", [
    (signal.SIGINT, 130, "SIGINT (Ctrl+C)"),
    pytest.param(signal.SIGTERM, 143, "SIGTERM", marks=pytest.mark.slow)])
def test_ctrl_c_keeps_the_finished_trials_writes_the_best_project_and_exits_130(
        tmp_path, capsys, signum, code, name):
    project = mlp_project(tmp_path, [UNITS], epochs=4)
    best = tmp_path / "best.json"
    storage = tmp_path / "mlp.study.log"
    _signal_after_a_complete_trial(storage, signum)
    exit_code = main(["search", str(project), "--trials", "20", "--pruner", "none",
                      "--best-project", str(best), "--best-model", str(tmp_path / "best.keras")])
    out, err = capsys.readouterr()
    assert exit_code == code, err
    assert f"stopped after the trials' batch by {name}" in err
    assert "again kills the running trials; the finished ones stay" in err  # not run's
    assert f"every finished trial is kept in {storage}" in err
    study = studies.load_study("mlp", str(storage))
    states = [t.state.name for t in study.trials]
    assert states[0] == "COMPLETE" and len(states) < 20  # no new trial after the stop
    assert "RUNNING" not in states
    assert out.startswith(f"Study mlp ({states.count('COMPLETE')} complete")
    units = Project.open(best).doc.find("hidden").params["units"]
    assert units == study.best_trial.params["hidden.units"]
    check_best_model(tmp_path / "best.keras", study.best_trial.params)


# ---- resuming a study from its storage (no training: the study's own records) ----------
def test_a_resumed_study_does_not_draw_its_first_runs_values_again(tmp_path):
    doc = Project.open(mlp_project(tmp_path, [UNITS, {**LR, "high": 0.05}])).doc
    drawn = []
    for _ in range(2):  # the same command twice, with the same seed
        driver = SearchDriver(doc, options(tmp_path, sampler={"name": "random"}, seed=0))
        study = driver.open()
        trial = study.ask()
        drawn.append((trial.suggest_int("hidden.units", 4, 32, step=4),
                      trial.suggest_float("training.optimizer.learning_rate", 1e-4, 0.05,
                                          log=True)))
        study.tell(trial, 0.5)
    assert drawn[0] != drawn[1]
    again = SearchDriver(doc, options(tmp_path, sampler={"name": "random"}, seed=0))
    assert len(again.open().trials) == 2  # the study was joined, not replaced
    # Trials are reported by the driver's events: Optuna's own log would repeat every
    # failed trial with a traceback on the terminal.
    assert optuna.logging.get_verbosity() == optuna.logging.ERROR


def test_a_study_keeps_its_metric_and_refuses_another(tmp_path):
    storage = str(tmp_path / "s.log")
    studies.open_study("s", storage, "minimize", metric="val_loss")
    again = studies.open_study("s", storage, "minimize", metric="val_loss")
    assert again.user_attrs[studies.METRIC] == "val_loss"
    with pytest.raises(studies.StudyError, match="optimizes 'val_loss', but this search "
                                                 "would optimize 'loss'"):
        studies.open_study("s", storage, "minimize", metric="loss")


def test_trials_an_ended_process_left_running_are_failed_when_the_study_is_joined(tmp_path):
    storage = str(tmp_path / "s.log")
    study = studies.open_study("s", storage, "minimize")
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    host = studies.owner().rpartition(":")[0]
    for who in (f"{host}:{ended.stdout.strip()}", studies.owner(), "elsewhere:1"):
        study.ask().set_user_attr(studies.OWNER, who)
    joined = studies.open_study("s", storage, "minimize")
    assert studies.fail_orphans(joined) == [0]
    states = [t.state.name for t in studies.load_study("s", storage).trials]
    assert states == ["FAIL", "RUNNING", "RUNNING"]  # this process's, another machine's
    assert "ended before the trial did" in joined.trials[0].user_attrs[studies.MESSAGE]


def test_the_best_project_written_elsewhere_still_finds_its_data(tmp_path):
    project = mlp_project(tmp_path, [UNITS])
    data = json.loads(project.read_text())
    data["training"]["data"] = "digits.npz"  # relative to the project's folder
    project.write_text(json.dumps(data))
    (tmp_path / "out").mkdir()
    doc = Project.open(project).doc
    write_best(doc, {"number": 3, "params": {"hidden.units": 28}},
               str(tmp_path / "out" / "best.json"), str(project))
    written = Project.open(tmp_path / "out" / "best.json").doc
    assert written.find("hidden").params["units"] == 28
    assert Path(written.training["data"]) == tmp_path / "digits.npz"
    assert written.search == doc.search


@pytest.mark.parametrize("path, expected", [
    ("missing/best.keras", "--best-model {tmp}/missing/best.keras: the folder "
                           "{tmp}/missing does not exist"),
    ("best.h5", "--best-model {tmp}/best.h5: expected a .keras path")])
def test_a_best_model_path_that_cannot_be_written_is_refused_before_any_work(
        tmp_path, capsys, path, expected):
    project = mlp_project(tmp_path, [UNITS])
    assert main(["search", str(project), "--best-model", str(tmp_path / path)]) == 1
    err = capsys.readouterr().err
    assert expected.format(tmp=tmp_path) in err and "checking the study" not in err


def test_a_study_that_optimizes_another_metric_is_refused_before_the_checks(tmp_path, capsys):
    project = mlp_project(tmp_path, [UNITS])  # maximizes val_accuracy
    studies.open_study("mlp", str(tmp_path / "mlp.study.log"), "maximize", metric="val_loss")
    assert main(["search", str(project)]) == 1
    err = capsys.readouterr().err
    assert "optimizes 'val_loss', but this search would optimize 'val_accuracy'" in err
    assert "checking the study" not in err  # told at once, before Keras loads
    assert main(["search", str(project), "--direction", "minimize"]) == 1
    assert "is set to maximize, but this search would minimize" in capsys.readouterr().err


@pytest.mark.slow  # SQLAlchemy takes seconds to import
def test_a_database_study_fails_a_trial_whose_process_stopped_its_heartbeat(
        tmp_path, monkeypatch):
    monkeypatch.setattr(lost, "HEARTBEAT_S", 1)
    storage = f"sqlite:///{tmp_path}/study.db"
    study = studies.open_study("s", storage, "minimize")
    trial = study.ask()
    study._storage.record_heartbeat(trial._trial_id)  # as Optuna's thread does, then dies
    time.sleep(3.5)  # the database keeps whole seconds
    with pytest.warns(optuna.exceptions.ExperimentalWarning):
        optuna.storages.fail_stale_trials(study)  # what each trial's start calls
    (stale,) = studies.load_study("s", storage).trials
    assert stale.state.name == "FAIL"


@pytest.mark.slow  # three commands, each with its checks
def test_max_trials_counts_the_whole_study_and_show_runs_nothing(tmp_path, capsys):
    """A resumed study with --max-trials runs only what the study lacks; --show prints
    the study and writes its best project without checks or trials."""
    project = mlp_project(tmp_path, [UNITS], epochs=1)
    storage = tmp_path / "mlp.study.log"
    assert main(["search", str(project), "--show"]) == 1
    assert f"there is no study 'mlp' in {storage}" in capsys.readouterr().err
    assert not storage.exists()
    base = ["search", str(project), "--max-trials", "2", "--seed", "0"]
    assert main(base + ["--trials", "1"]) == 0
    assert main(base) == 0  # one more: the study then holds two
    capsys.readouterr()
    assert main(base) == 0
    err = capsys.readouterr().err
    assert "holds 2 complete or pruned trials already (--max-trials 2)" in err
    assert "trial 2 started" not in err
    assert len(studies.load_study("mlp", str(storage)).trials) == 2
    assert main(["search", str(project), "--show", "--json",
                 "--best-project", str(tmp_path / "best.json")]) == 0
    out, err = capsys.readouterr()
    summary = json.loads(out)
    assert summary["counts"] == {"complete": 2} and "checking" not in err
    units = Project.open(tmp_path / "best.json").doc.find("hidden").params["units"]
    assert units == summary["best"]["params"]["hidden.units"]


def test_show_prints_the_study_and_its_best_project_and_runs_nothing(tmp_path, capsys):
    project = mlp_project(tmp_path, [UNITS])
    study = studies.open_study("mlp", str(tmp_path / "mlp.study.log"), "maximize",
                               metric="val_accuracy")
    units = optuna.distributions.IntDistribution(4, 32, step=4)
    for value, count in ((0.5, 8), (0.75, 24), (0.25, 12)):
        study.add_trial(optuna.trial.create_trial(
            params={"hidden.units": count}, distributions={"hidden.units": units},
            value=value))
    assert main(["search", str(project), "--show", "--best-project",
                 str(tmp_path / "best.json")]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("Study mlp (3 complete): best trial 1, val_accuracy=0.7500 with "
                          "hidden.units=24")
    assert "checking" not in err and "started" not in err
    assert Project.open(tmp_path / "best.json").doc.find("hidden").params["units"] == 24
    assert len(studies.load_study("mlp", str(tmp_path / "mlp.study.log")).trials) == 3


def test_a_study_that_holds_max_trials_runs_none_more(tmp_path):
    doc = Project.open(mlp_project(tmp_path, [UNITS])).doc
    driver = SearchDriver(doc, options(tmp_path, trials=5, max_trials=2))
    study = driver.open()
    units = optuna.distributions.IntDistribution(4, 32, step=4)
    for state in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.FAIL,
                  optuna.trial.TrialState.PRUNED):
        study.add_trial(optuna.trial.create_trial(
            params={"hidden.units": 8}, distributions={"hidden.units": units}, state=state,
            value=0.5 if state == optuna.trial.TrialState.COMPLETE else None))
    assert studies.counted(study) == 2  # the failed trial does not count
    assert len(driver.run().trials) == 3


def test_the_sampler_and_pruner_asked_for_drive_the_study(tmp_path):
    doc = Project.open(mlp_project(tmp_path, [UNITS])).doc
    study = SearchDriver(doc, options(tmp_path, sampler={"name": "qmc"}, pruner={
        "name": "percentile", "percentile": 25.0, "n_warmup_steps": 1})).open()
    assert isinstance(study.sampler, optuna.samplers.QMCSampler)
    assert isinstance(study.pruner, optuna.pruners.PercentilePruner)
    assert study.pruner._percentile == 25.0 and study.pruner._n_warmup_steps == 1


def test_ctrl_c_during_the_checks_kills_the_check_process_and_exits_130(
        tmp_path, capsys, monkeypatch):
    from kerascanvas.runtime.cli import search as cli
    from kerascanvas.runtime.search import checks

    started, start_check = [], checks.start_check

    def start(payload):
        process, events = start_check(payload)
        started.append(process)
        return process, events

    def say(text):  # Ctrl+C lands while the first model is being built
        if text.startswith("check: building model"):
            raise KeyboardInterrupt
        print(text, file=sys.stderr)

    monkeypatch.setattr(checks, "start_check", start)
    monkeypatch.setattr(cli, "say", say)
    project = mlp_project(tmp_path, [UNITS])
    assert main(["search", str(project)]) == 130
    assert "interrupted during the checks; no study was opened" in capsys.readouterr().err
    (process,) = started
    assert not process.is_alive() and process.exitcode is not None
    assert not (tmp_path / "mlp.study.log").exists()


@pytest.mark.parametrize("url, expected", [
    ("bogus://host/db", "Can't load plugin: sqlalchemy.dialects:bogus"),
    ("sqlite:////no/such/folder/study.db", "unable to open database file"),
    ("postgresql://user:s3cret@127.0.0.1:1/db", "cannot open the study database "
                                                 "postgresql://user:***@127.0.0.1:1/db"),
])
@pytest.mark.parametrize("flags", [["--show"], ["--max-trials", "1"], ["--trials", "1"]])
def test_a_database_storage_that_cannot_be_opened_is_refused_naming_it(tmp_path, capsys,
                                                                       url, expected, flags):
    """An unknown dialect, a missing driver or an unreachable database ended in an internal
    error (exit 70) after the checks had built the sampled models."""
    project = mlp_project(tmp_path, [UNITS])
    assert main(["search", str(project), "--storage", url, *flags]) == 1
    err = capsys.readouterr().err
    assert f"cannot open the study database {url.replace('s3cret', '***')}" in err
    assert expected in err and "s3cret" not in err and "checking the study" not in err


@pytest.mark.parametrize("flag, value, expected", [
    ("--sampler", "tpe:n_startup_trials=abc", "sampler tpe: n_startup_trials expects an "
                                              "integer. Received: n_startup_trials='abc'"),
    ("--sampler", "tpe:multivariate=3", "sampler tpe: multivariate expects true or false"),
    ("--sampler", "random:seed=x", "sampler random: seed expects an integer"),
    ("--pruner", "median:n_warmup_steps=1.5", "pruner median: n_warmup_steps expects an "
                                              "integer. Received: n_warmup_steps=1.5"),
])
def test_an_option_of_the_wrong_kind_is_refused_before_the_checks(tmp_path, capsys, flag,
                                                                  value, expected):
    """A sampler option Optuna stores without a look (n_startup_trials='abc') ended in an
    internal error at the first trial's sampling, after the checks."""
    project = mlp_project(tmp_path, [UNITS])
    assert main(["search", str(project), flag, value, "--trials", "1"]) == 1
    err = capsys.readouterr().err
    assert expected in err and "checking the study" not in err
