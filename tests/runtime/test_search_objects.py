"""Searching a configured object's argument and a choice of objects, as Keras builds and
trains them: the suggested factor is the built layer's regularizer's, and a two-trial
`kerascanvas search` of the L2 factor runs end to end and writes its best project."""

from __future__ import annotations

import json

import optuna
import pytest

from kerascanvas.app.cli import main
from kerascanvas.graph.project import Project
from kerascanvas.graph.search import with_values
from kerascanvas.runtime.build import build_model
from kerascanvas.runtime.search.space import suggest
from tests.runtime.test_search import mlp_project

L2 = {"class_name": "L2", "config": {"l2": 0.0001}}
L1L2 = {"class_name": "L1L2", "config": {"l1": 1e-05}}
FACTOR = {"param": "kernel_regularizer", "argument": "l2", "type": "float",
          "low": 1e-6, "high": 1e-2, "log": True}
CHOICE = {"param": "kernel_regularizer", "type": "choice", "choices": ["L2(1e-4)", L1L2]}


def regularized_project(tmp_path, search: list, **training):
    """The digits MLP whose `hidden` Dense holds L2(1e-4) as its kernel regularizer."""
    path = mlp_project(tmp_path, search, **training)
    data = json.loads(path.read_text())
    hidden = next(n for n in data["nodes"] if n["name"] == "hidden")
    hidden["params"]["kernel_regularizer"] = L2
    path.write_text(json.dumps(data))
    return path


def regularizer_config(doc, values) -> tuple[str, dict]:
    """The class and config of the kernel regularizer Keras built for the trial."""
    layer = build_model(with_values(doc, values)).get_layer("hidden")
    return type(layer.kernel_regularizer).__name__, layer.kernel_regularizer.get_config()


@pytest.mark.parametrize("seed", [0, 1])
def test_the_built_layer_holds_the_suggested_factor(tmp_path, seed):
    doc = Project.open(regularized_project(tmp_path, [FACTOR])).doc
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    trial = study.ask()
    values = suggest(trial, doc)
    factor = trial.params["hidden.kernel_regularizer.l2"]
    assert 1e-6 <= factor <= 1e-2 and factor != 0.0001
    assert regularizer_config(doc, values) == ("L2", {"l2": pytest.approx(factor)})


def test_a_choice_of_objects_builds_the_chosen_class_with_the_searched_factor(tmp_path):
    doc = Project.open(regularized_project(tmp_path, [CHOICE, FACTOR])).doc
    trial = optuna.trial.FixedTrial({"hidden.kernel_regularizer": "L1L2(l1=1e-05)",
                                     "hidden.kernel_regularizer.l2": 0.003})
    built = regularizer_config(doc, suggest(trial, doc))
    assert built == ("L1L2", {"l1": pytest.approx(1e-5), "l2": pytest.approx(0.003)})
    trial = optuna.trial.FixedTrial({"hidden.kernel_regularizer": "L2(1e-4)",
                                     "hidden.kernel_regularizer.l2": 0.005})
    assert regularizer_config(doc, suggest(trial, doc)) == ("L2", {"l2": pytest.approx(0.005)})


@pytest.mark.slow  # the checks' process, then two trials' processes: 30-60 s here
def test_a_two_trial_search_of_the_l2_factor_runs_end_to_end(tmp_path, capsys):
    project = regularized_project(tmp_path, [FACTOR], epochs=1)
    best_path = tmp_path / "best.json"
    code = main(["search", str(project), "--trials", "2", "--seed", "0", "--json",
                 "--best-project", str(best_path)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "hidden.kernel_regularizer.l2=" in err  # the checks built the lows and highs
    summary = json.loads(out)
    assert [t["state"] for t in summary["trials"]] == ["complete", "complete"]
    factors = [t["params"]["hidden.kernel_regularizer.l2"] for t in summary["trials"]]
    assert all(1e-6 <= f <= 1e-2 for f in factors) and factors[0] != factors[1]
    best = summary["best"]["params"]["hidden.kernel_regularizer.l2"]
    written = Project.open(best_path).doc
    assert written.find("hidden").params["kernel_regularizer"] == {
        "class_name": "L2", "config": {"l2": best}}
    assert regularizer_config(written, {}) == ("L2", {"l2": pytest.approx(best)})
    assert main(["search", str(project), "--show"]) == 0
    assert f"hidden.kernel_regularizer.l2={best:.4g}" in capsys.readouterr().out
