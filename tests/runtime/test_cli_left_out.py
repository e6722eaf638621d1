"""The CLI's gates with an erroring spare node beside a working model: validate, codegen,
export and run pass and say what is left out; an error in the model still stops each."""

from __future__ import annotations

import json

import pytest

from kerascanvas.app.cli import main
from kerascanvas.graph.projectfile import save
from tests.graph.test_validate import make_doc

NOTE = ("Left out of the model, as they lead to no model output: 'spare' (1 error). "
        "Errors on them do not block code, training or export.")


def iris_doc(broken_model: bool = False):
    """iris' 4 features to 3 classes, and a Dense beside the output with a bad units."""
    doc = make_doc([("x", "Input", {"shape": [4]}),
                    ("out", "Dense", {"units": 0 if broken_model else 3,
                                      "activation": "softmax"}),
                    ("spare", "Dense", {"units": -3})],
                   [("x", "out", 0), ("x", "spare", 0)], ["out"],
                   {"data": "sklearn:iris", "epochs": 1, "batch_size": 50})
    return doc


@pytest.fixture
def project(tmp_path):
    def write(broken_model: bool = False):
        path = tmp_path / "p.json"
        save(iris_doc(broken_model), path)
        return str(path)
    return write


def cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_validate_passes_and_says_the_spare_error_does_not_block(project, capsys):
    code, out, _ = cli(capsys, "validate", project())
    assert code == 0
    assert "Issues (0 errors, 1 warning, 1 error on a node left out of the model, not blocking)" \
        in out
    assert "spare: 'spare' (Dense): Received an invalid value for units" in out
    assert out.rstrip().endswith(NOTE)


def test_validate_json_marks_which_issues_block(project, capsys):
    code, out, _ = cli(capsys, "validate", project(), "--json")
    report = json.loads(out)
    assert code == 0 and report["valid"] is True and report["left_out"] == ["spare"]
    error = next(i for i in report["issues"] if i["severity"] == "error")
    assert (error["node"], error["blocks"]) == ("spare", False)


@pytest.mark.parametrize("command", [["validate"], ["codegen"], ["codegen", "--script"],
                                     ["export", "--format", "py", "-o", "-"]])
def test_an_error_in_the_model_still_exits_1(project, capsys, command):
    code, _, err = cli(capsys, command[0], project(broken_model=True), *command[1:])
    assert code == 1
    if command[0] != "validate":
        assert "out: 'out' (Dense): Received an invalid value for units" in err


@pytest.mark.parametrize("style", ["functional", "sequential", "subclass"])
def test_codegen_writes_the_model_and_names_the_spare_node(project, capsys, style):
    code, out, _ = cli(capsys, "codegen", project(), "--style", style)
    said = " ".join(line.removeprefix("# ") for line in out.split("\n\n")[0].splitlines())
    assert code == 0 and NOTE in said
    compile(out, "<generated>", "exec")


@pytest.mark.slow
def test_run_trains_and_export_writes_the_model_without_the_spare_node(project, capsys,
                                                                       tmp_path):
    saved, exported = tmp_path / "model.keras", tmp_path / "export.keras"
    code, _, err = cli(capsys, "run", project(), "--no-progress", "--save", str(saved))
    assert code == 0, err
    assert f"kerascanvas run: {NOTE}" in err
    code, _, err = cli(capsys, "export", project(), "-o", str(exported))
    assert code == 0, err
    import keras

    for path in (saved, exported):
        model = keras.saving.load_model(path, safe_mode=True, compile=False)
        assert [layer.name for layer in model.layers] == ["x", "out"]


def test_run_refuses_an_error_in_the_model(project, capsys):
    code, _, err = cli(capsys, "run", project(broken_model=True), "--no-progress")
    assert code == 1
    assert "the graph is invalid: 1 problem(s)" in err and "out (Dense)" in err
    assert "spare (Dense)" not in err.split("the graph is invalid")[1]


@pytest.mark.parametrize("broken_model", [False, True], ids=["spare error", "model error"])
def test_a_search_starts_with_a_spare_error_and_not_with_a_model_error(broken_model):
    from kerascanvas.runtime.search.preflight import problems

    doc = iris_doc(broken_model)
    doc.training["validation_split"] = 0.2
    doc.search = {"metric": "val_loss", "params": [
        {"training": "optimizer.learning_rate", "type": "float", "low": 1e-4, "high": 0.1}]}
    found = problems(doc)
    if broken_model:
        assert len(found) == 1 and "the graph is invalid: 1 problem(s)" in found[0]
        assert "out (Dense)" in found[0] and "spare" not in found[0]
    else:
        assert found == []
