"""`kerascanvas search --metric/--direction --best-project`: the flags choose the objective
of this study only. The best project used to be written with them in its search section,
so the saved project silently changed what its next search optimizes; it keeps the
project's own section, and the command says which flags overrode it."""

from __future__ import annotations

import optuna
import pytest

from kerascanvas.app.cli import main
from kerascanvas.graph.project import Project
from kerascanvas.runtime.search import study as studies
from tests.runtime.test_search import UNITS, mlp_project

FLAGS = ["--metric", "val_loss", "--direction", "minimize"]


def minimizing_study(folder) -> None:
    """Two complete trials of val_loss, minimized: trial 1 (units 24) is the best."""
    study = studies.open_study("mlp", str(folder / "mlp.study.log"), "minimize",
                               metric="val_loss")
    units = optuna.distributions.IntDistribution(4, 32, step=4)
    for value, count in ((0.9, 8), (0.3, 24)):
        study.add_trial(optuna.trial.create_trial(
            params={"hidden.units": count}, distributions={"hidden.units": units},
            value=value))


@pytest.mark.parametrize("mode", [
    ["--show"],  # the study as it stands
    ["--max-trials", "2"],  # a complete study: nothing more runs
    pytest.param(["--trials", "1", "--epochs", "1"], marks=pytest.mark.slow),  # a trial
], ids=["show", "complete", "run"])
def test_the_best_project_keeps_the_projects_search_section(tmp_path, capsys, mode):
    project = mlp_project(tmp_path, [UNITS])  # its section optimizes val_accuracy
    own = Project.open(project).doc.search
    assert own["metric"] == "val_accuracy" and "direction" not in own
    if "--trials" not in mode:
        minimizing_study(tmp_path)
    out = tmp_path / "best.json"
    assert main(["search", str(project), *mode, *FLAGS, "--best-project", str(out)]) == 0
    best = Project.open(out).doc
    assert best.search == own
    if "--trials" not in mode:
        assert best.find("hidden").params["units"] == 24  # the study's best, minimized
    err = capsys.readouterr().err
    assert ("its search section is the project's own: --metric val_loss, --direction "
            "minimize overrode it for this study only") in err


def test_flags_that_repeat_the_section_are_not_said_to_override_it(tmp_path, capsys):
    project = mlp_project(tmp_path, [UNITS])
    study = studies.open_study("mlp", str(tmp_path / "mlp.study.log"), "maximize",
                               metric="val_accuracy")
    units = optuna.distributions.IntDistribution(4, 32, step=4)
    study.add_trial(optuna.trial.create_trial(
        params={"hidden.units": 12}, distributions={"hidden.units": units}, value=0.5))
    out = tmp_path / "best.json"
    assert main(["search", str(project), "--show", "--metric", "val_accuracy",
                 "--best-project", str(out)]) == 0
    assert Project.open(out).doc.search == Project.open(project).doc.search
    assert "overrode" not in capsys.readouterr().err
