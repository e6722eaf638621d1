"""`kerascanvas search` takes the project's run settings as its defaults, and each option
given overrides its own; `--show` prints every trial of the study as a table.

The study of the end-to-end test is real Optuna and Keras on a tiny model
(`test_search.mlp_project`: an MLP on 360 digits)."""

from __future__ import annotations

import argparse
import json
import re

import optuna
import pytest

from kerascanvas.app.cli import main
from kerascanvas.graph.project import Project
from kerascanvas.runtime.cli.search_options import add_arguments, options_from
from kerascanvas.runtime.search import study as studies
from tests.runtime.test_search import LR, UNITS, mlp_project

RUN = {"trials": 7, "jobs": 3, "epochs": 1, "timeout": 90.5, "seed": 11,
       "sampler": {"name": "random"}, "pruner": {"name": "percentile", "percentile": 25.0}}


def with_run(path, run: dict):
    data = json.loads(path.read_text())
    data["search"]["run"] = run
    path.write_text(json.dumps(data))
    return path


def options_for(path, *flags: str):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args([str(path), *flags])
    return options_from(args, Project.open(path).doc)


def test_the_projects_run_settings_are_the_commands_defaults(tmp_path):
    options = options_for(with_run(mlp_project(tmp_path, [UNITS]), RUN), "--device", "cpu")
    assert (options.trials, options.jobs, options.timeout, options.seed) == (7, 3, 90.5, 11)
    assert options.overrides["epochs"] == 1
    assert options.sampler == RUN["sampler"] and options.pruner == RUN["pruner"]


def test_each_option_given_overrides_its_own_setting_only(tmp_path):
    project = with_run(mlp_project(tmp_path, [UNITS]), RUN)
    options = options_for(project, "--device", "cpu", "--trials", "2", "--sampler",
                          "tpe:n_startup_trials=1", "--seed", "0", "--epochs", "3")
    assert (options.trials, options.seed, options.overrides["epochs"]) == (2, 0, 3)
    assert options.sampler == {"name": "tpe", "n_startup_trials": 1}
    assert (options.jobs, options.timeout, options.pruner) == (3, 90.5, RUN["pruner"])


def test_without_settings_or_options_the_defaults_are_as_before(tmp_path):
    options = options_for(mlp_project(tmp_path, [UNITS]), "--device", "cpu")
    assert (options.trials, options.jobs, options.timeout, options.seed) == (20, 1, None, None)
    assert (options.sampler, options.pruner) == ({"name": "tpe"}, {"name": "median"})
    assert "epochs" not in options.overrides  # each trial trains the training's epochs
    timed = options_for(mlp_project(tmp_path, [UNITS]), "--device", "cpu", "--timeout", "60")
    assert timed.trials is None  # --timeout alone: no trial count of its own, as before


def test_help_says_the_project_gives_the_defaults(capsys):
    with pytest.raises(SystemExit):
        main(["search", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "run settings" in text and "each option given overrides its own" in text
    assert "--trials N trials this process runs (default: the project's, else 20" in text


@pytest.mark.slow  # a study of one real trial, with its checks: about 30 s here
def test_a_study_runs_with_the_files_settings_and_a_flag_overrides_one(tmp_path, capsys):
    project = with_run(mlp_project(tmp_path, [UNITS], epochs=3),
                       {"trials": 3, "epochs": 1, "seed": 4, "sampler": {"name": "random"}})
    assert main(["search", str(project), "--trials", "1", "--device", "cpu"]) == 0
    (trial,) = studies.load_study("mlp", str(tmp_path / "mlp.study.log")).trials
    assert trial.state == optuna.trial.TrialState.COMPLETE
    assert sorted(trial.intermediate_values) == [0]  # the file's 1 epoch, not training's 3
    # the file's seed 4 with the random sampler: trial 0 draws as Optuna's own does
    drawn = optuna.samplers.RandomSampler(seed=4).sample_independent(
        None, None, "hidden.units", optuna.distributions.IntDistribution(4, 32, step=4))
    assert trial.params["hidden.units"] == drawn
    assert "trial 1 started" not in capsys.readouterr().err  # --trials 1 beat the file's 3


def fill_study(storage: str) -> optuna.Study:
    """Five trials in every state a study's table shows, with the values Optuna holds."""
    study = studies.open_study("mlp", storage, "maximize", metric="val_accuracy")
    units = optuna.distributions.IntDistribution(4, 32, step=4)
    rate = optuna.distributions.FloatDistribution(1e-4, 100.0, log=True)
    states = optuna.trial.TrialState
    for state, value, curve, count in (
            (states.COMPLETE, 0.5, {0: 0.4, 1: 0.5}, 8),
            (states.PRUNED, None, {0: 0.1}, 24),
            (states.COMPLETE, 0.75, {0: 0.6, 1: 0.75}, 12),
            (states.FAIL, None, {}, 4),
            (states.RUNNING, None, {0: 0.3}, 16)):
        study.add_trial(optuna.trial.create_trial(
            params={"hidden.units": count, "training.optimizer.learning_rate": 0.01},
            distributions={"hidden.units": units, "training.optimizer.learning_rate": rate},
            value=value, state=state, intermediate_values=curve,
            user_attrs={studies.MESSAGE: "Training ended failed: out of memory."}
            if state == states.FAIL else {}))
    return study


def test_show_prints_every_trial_with_its_state_value_epochs_and_values(tmp_path, capsys):
    project = mlp_project(tmp_path, [UNITS, LR])
    study = fill_study(str(tmp_path / "mlp.study.log"))
    assert main(["search", str(project), "--show"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Study mlp (")  # the best line first, as before
    rows = {int(m[2]): (m[1], m[3], m[4], m[5]) for line in out
            if (m := re.match(r"^([* ]) +(\d+)  (\w+) +(\S+) +(\S+) +\S+$", line))}
    best = studies.best_trial(study).number
    assert sorted(rows) == [t.number for t in study.trials]
    for trial in study.trials:
        mark, state, value, epochs = rows[trial.number]
        assert state == studies.STATES[trial.state]
        assert value == (f"{trial.value:.4f}" if trial.value is not None else "-")
        assert epochs == (str(len(trial.intermediate_values)) if trial.intermediate_values
                          else "-")
        assert mark == ("*" if trial.number == best else " ")
        at = next(i for i, line in enumerate(out) if re.match(rf"^[* ] +{trial.number}  ",
                                                                line))
        shown = out[at + 1].strip()
        assert shown == ", ".join(f"{k}={v!r}" for k, v in trial.params.items())
    assert any("Training ended failed: out of memory." in line for line in out)
    assert max(len(line) for line in out[1:]) <= 80


def test_show_keeps_a_long_parameter_list_within_80_columns(tmp_path, capsys):
    project = mlp_project(tmp_path, [UNITS])
    study = studies.open_study("mlp", str(tmp_path / "mlp.study.log"), "minimize",
                               metric="val_loss")
    names = [f"a_rather_long_block_name_{i}.inner_convolution.filters" for i in range(4)]
    units = optuna.distributions.IntDistribution(4, 32, step=4)
    study.add_trial(optuna.trial.create_trial(
        params=dict.fromkeys(names, 8), distributions=dict.fromkeys(names, units), value=1.0))
    assert main(["search", str(project), "--show"]) == 0
    table = capsys.readouterr().out.splitlines()[1:]
    assert max(len(line) for line in table) <= 80
    assert all(any(name in line for line in table) for name in names)  # none cut off


def test_the_file_offers_the_samplers_and_pruners_the_study_makes():
    """The schema (no Optuna in graph/) lists its names apart from the study's tables."""
    from kerascanvas.graph import search_run

    assert set(search_run.SAMPLERS) == set(studies.SAMPLERS)
    assert set(search_run.PRUNERS) == set(studies.PRUNERS)
