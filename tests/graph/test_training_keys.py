"""Setting names that generated code cannot write as keywords are refused by validation.

A full-width `ｌｅａｒｎｉｎｇ_rate` beside `learning_rate` became the same keyword twice
after Python's NFKC folding ("keyword argument repeated"), and the document still
validated. Each such key is now an error naming its field, and codegen refuses any
argument name that is not ASCII.
"""

from __future__ import annotations

import json

import pytest

from kerascanvas.app.cli import main
from kerascanvas.codegen import STYLES, CodegenError, generate
from kerascanvas.codegen.literals import call
from kerascanvas.graph.document import Edge
from kerascanvas.graph.projectfile import save
from kerascanvas.graph.validate import analyze
from tests.graph.test_training_schema import model

FULL_WIDTH_LR = "ｌｅａｒｎｉｎｇ_rate"


BAD = [
    ({"optimizer": {"name": "adam", "learning_rate": 0.01, FULL_WIDTH_LR: 0.1}},
     f"training.optimizer.{FULL_WIDTH_LR}"),
    ({"optimizer": {"name": "ｎａｍｅ", "ｎａｍｅ": "sgd"}}, "training.optimizer.ｎａｍｅ"),
    ({"optimizer": {"name": "adam", "class": 0.1}}, "training.optimizer.class"),
    ({"optimizer": {"name": "adam", "None": 0.1}}, "training.optimizer.None"),
    ({"schedule": {"name": "constant", "lambda": 1}}, "training.schedule.lambda"),
    ({"callbacks": [{"name": "early_stopping", "ｐａｔｉｅｎｃｅ": 2}]},
     "training.callbacks[0].ｐａｔｉｅｎｃｅ"),
    ({"callbacks": [{"name": "terminate_on_nan"}, {"name": "early_stopping", "if": 1}]},
     "training.callbacks[1].if"),
    ({"epochs": 3, "ｅｐｏｃｈｓ": 5}, "training.ｅｐｏｃｈｓ"),
]


@pytest.mark.parametrize(("training", "field"), BAD)
def test_a_key_that_is_no_keyword_is_an_error_naming_its_field(training, field):
    analysis = analyze(model(**training))
    assert not analysis.valid
    errors = [i for i in analysis.errors if i.code == "bad_keyword"]
    assert len(errors) == 1 and errors[0].message.startswith(f"{field}:")
    assert errors[0].node is None


@pytest.mark.parametrize(("training", "field"), BAD[:1])
def test_validate_exits_1_naming_the_field(tmp_path, capsys, training, field):
    path = tmp_path / "p.json"
    save(model(**training), path)
    assert main(["validate", str(path), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False
    assert any(i["message"].startswith(field) for i in report["issues"])


def test_the_duplicate_keyword_never_reaches_generated_code():
    # It gave a script that did not compile ("keyword argument repeated"); now no code.
    doc = model(optimizer={"name": "adam", "learning_rate": 0.01, FULL_WIDTH_LR: 0.1})
    for style in STYLES:
        with pytest.raises(CodegenError, match="reads as 'learning_rate'"):
            generate(doc, style=style, script=True)


def test_codegen_refuses_non_ascii_argument_names():
    with pytest.raises(CodegenError, match="ASCII"):
        call("f", [], {"ｎａｍｅ": 1})
    assert call("f", [], {"name": 1}) == "f(name=1)"


def test_ordinary_settings_stay_valid_and_the_script_compiles():
    doc = model(optimizer={"name": "sgd", "momentum": 0.9}, epochs=2,
                callbacks=[{"name": "early_stopping", "monitor": "loss", "patience": 1}])
    analysis = analyze(doc)
    assert analysis.valid and not [i for i in analysis.issues if i.code == "bad_keyword"]
    compile(generate(doc, script=True), "<script>", "exec")


def test_keras_layer_call_keywords_are_checked_too():
    doc = model()
    x, out = doc.outputs[0], "k"
    node = doc.add_node("KerasLayer", name=out, params={
        "class_name": "Identity", "call": {"args": [{"__input__": 0}], "kwargs": {"ｍａｓｋ": 1}},
        "output_shapes": [{"inputs": [[None, 2]], "outputs": [[None, 2]]}]})
    doc.connect(Edge(x, 0, node.id, 0))
    doc.outputs = [node.id]
    analysis = analyze(doc)
    assert not analysis.valid
    assert any(i.node == node.id and "ｍａｓｋ" in i.message for i in analysis.errors)
