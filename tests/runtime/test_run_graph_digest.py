"""`kerascanvas run` keeps on its run the digest of the graph it trains, as the window keeps
on its own runs, so that File › Export Model offers a command run's model first when the
project's graph is still the one it trained (it never did: the entry held no digest)."""

from __future__ import annotations

import json
from pathlib import Path

from kerascanvas.app.training.history import load_runs
from kerascanvas.app.window.export_weights import WeightsChoice, weight_choices
from kerascanvas.graph import projectfile
from kerascanvas.graph.digest import graph_key

from .test_run import classifier, project, run

OWN = WeightsChoice("untrained", None, "")


def entries(folder: Path) -> list[dict]:
    return json.loads((folder / "runs.json").read_text())["runs"]


def test_a_command_run_keeps_its_graph_and_export_offers_it_first(tmp_path):
    path = project(tmp_path, classifier())
    folder = tmp_path / "model.runs"
    assert run(path, "--data", "synthetic:64", "--epochs", "1", "--seed", "1") == 0
    key = graph_key(projectfile.loads(Path(path).read_text()))  # as the window reads it
    (first,) = entries(folder)
    assert first["graph"] == key
    trained = folder / first["saved"]
    # --resume goes on with that run's model: the listed run's graph
    assert run(path, "--data", "synthetic:64", "--epochs", "2", "--resume", trained,
               "--seed", "1") == 0
    assert [e["graph"] for e in entries(folder)] == [key, key]
    runs, problem = load_runs(folder)
    assert problem is None
    choices, default = weight_choices(key, OWN, runs, str(folder))
    assert choices[default].name == "the trained model of Run 2"  # the newest of `key`
    assert weight_choices(graph_key(classifier(units=5)), OWN, runs)[1] == 0  # not this graph
