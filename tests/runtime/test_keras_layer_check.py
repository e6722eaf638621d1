"""A KerasLayer naming a class Keras cannot locate is refused before training (exit 1)."""

from __future__ import annotations

import json
from pathlib import Path

from kerascanvas.app.cli import main
from kerascanvas.graph.projectfile import loads
from kerascanvas.runtime.build import keras_layer_problems

SEED = Path(__file__).parents[1] / "fuzz" / "seed_blocks.json"


def _with_class(class_name: str):
    data = json.loads(SEED.read_text(encoding="utf-8"))
    for node in data["nodes"]:
        if node["kind"] == "KerasLayer":
            node["params"].update(class_name=class_name, config={})
    return data


def test_an_unknown_class_is_named():
    problems = keras_layer_problems(loads(json.dumps(_with_class("NoSuchLayer"))))
    assert len(problems) == 1
    assert "'split' (KerasLayer)" in problems[0] and "keras.layers.NoSuchLayer" in problems[0]
    assert keras_layer_problems(loads(json.dumps(_with_class("Identity")))) == []


def test_run_exits_1_before_training(tmp_path, capsys):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(_with_class("NoSuchLayer")), encoding="utf-8")
    code = main(["run", str(path), "--epochs", "1", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 1 and "NoSuchLayer" in err and "Traceback" not in err
