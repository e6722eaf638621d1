"""A KerasLayer naming a class Keras cannot locate is refused before training (exit 1)."""

from __future__ import annotations

import json
from pathlib import Path

from kerascanvas.app.cli import main
from kerascanvas.graph.projectfile import loads
from kerascanvas.graph.validate import analyze
from kerascanvas.runtime.import_generic import keras_layer_problems

SEED = Path(__file__).parents[1] / "fuzz" / "seed_blocks.json"


def _with_class(class_name: str, outputs: int = 2):
    """The fuzz seed: its KerasLayer 'split' records `outputs` outputs (heads on 0 and 1)."""
    data = json.loads(SEED.read_text(encoding="utf-8"))
    for node in data["nodes"]:
        if node["kind"] == "KerasLayer":
            node["params"].update(class_name=class_name, config={})
            node["params"]["output_shapes"][0]["outputs"] = [[None, 8]] * outputs
    if outputs == 1:
        for edge in data["edges"]:
            edge["src_port"] = 0
    return data


def _problems(data) -> list[str]:
    doc = loads(json.dumps(data))
    analysis = analyze(doc)
    assert analysis.valid
    return keras_layer_problems(doc, analysis)


def test_an_unknown_class_is_named_by_validation():
    # Validation refuses it already (graph.keras_classes); the run-time check agrees.
    doc = loads(json.dumps(_with_class("NoSuchLayer")))
    errors = analyze(doc).errors
    assert len(errors) == 1 and "'NoSuchLayer'" in errors[0].message
    assert doc.node(errors[0].node).name == "split"
    analysis = analyze(loads(json.dumps(_with_class("Identity"))))
    problems = keras_layer_problems(doc, analysis)
    assert len(problems) == 1
    assert "'split'" in problems[0] and "keras.layers.NoSuchLayer" in problems[0]


def test_outputs_other_than_recorded_are_named():
    problems = _problems(_with_class("Identity", outputs=2))
    assert len(problems) == 1 and "Keras computes [[None, 8]]" in problems[0]
    assert _problems(_with_class("Identity", outputs=1)) == []


def test_run_exits_1_before_training(tmp_path, capsys):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(_with_class("NoSuchLayer")), encoding="utf-8")
    code = main(["run", str(path), "--epochs", "1", "--no-progress"])
    err = capsys.readouterr().err
    assert code == 1 and "NoSuchLayer" in err and "Traceback" not in err


def test_validate_keras_refuses_outputs_keras_does_not_give(tmp_path, capsys):
    # Identity recorded with 2 outputs: valid for the file alone, refused with --keras.
    path = tmp_path / "p.json"
    path.write_text(json.dumps(_with_class("Identity", outputs=2)), encoding="utf-8")
    assert main(["validate", str(path)]) == 0
    capsys.readouterr()
    assert main(["validate", str(path), "--keras"]) == 1
    assert "keras error: 'split' (KerasLayer)" in capsys.readouterr().out
    assert main(["validate", str(path), "--keras", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False and "Keras computes" in report["keras_issues"][0]["message"]
    path.write_text(json.dumps(_with_class("Identity", outputs=1)), encoding="utf-8")
    assert main(["validate", str(path), "--keras"]) == 0
