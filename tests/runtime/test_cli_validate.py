"""`kerascanvas validate`: exit codes, the JSON report, and no keras or torch import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kerascanvas.app.cli import main
from kerascanvas.graph.document import Edge
from kerascanvas.graph.projectfile import save
from tests.graph.test_validate import make_doc

ROOT = Path(__file__).parents[2]


def mnist_doc():
    return make_doc([("image", "Input", {"shape": [28, 28, 1]}),
                     ("conv1", "Conv2D", {"filters": 32, "kernel_size": 3}),
                     ("flat", "Flatten", {}),
                     ("out", "Dense", {"units": 10, "activation": "softmax"})],
                    [("image", "conv1", 0), ("conv1", "flat", 0), ("flat", "out", 0)], ["out"])


@pytest.fixture
def project(tmp_path):
    def write(doc, name="p.json"):
        path = tmp_path / name
        save(doc, path)
        return str(path)
    return write


def run_cli(capsys, *argv):
    code = main(["validate", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_valid_project_prints_a_summary(project, capsys):
    code, out, err = run_cli(capsys, project(mnist_doc()))
    assert code == 0 and err == ""
    assert "conv1 (Conv2D)" in out and "(None, 26, 26, 32)" in out
    assert "Total params:" in out


def test_json_report(project, capsys):
    code, out, _ = run_cli(capsys, project(mnist_doc()), "--json")
    report = json.loads(out)
    assert code == 0
    assert set(report) == {"valid", "nodes", "total_params", "issues", "search_issues",
                           "left_out", "data_issues"}
    assert report["valid"] is True and report["issues"] == []
    conv = next(n for n in report["nodes"] if n["name"] == "conv1")
    assert conv == {"id": "conv1", "name": "conv1", "kind": "Conv2D",
                    "output_shapes": [[None, 26, 26, 32]],
                    "params": {"trainable": 3 * 3 * 32 + 32, "non_trainable": 0}}
    total = sum(n["params"]["trainable"] for n in report["nodes"])
    assert report["total_params"] == {"trainable": total, "non_trainable": 0}


def test_errors_exit_1_and_are_listed(project, capsys):
    doc = mnist_doc()
    doc.disconnect(doc.in_edges("flat")[0])
    code, out, _ = run_cli(capsys, project(doc), "--json")
    report = json.loads(out)
    assert code == 1 and report["valid"] is False
    issue = next(i for i in report["issues"] if i["severity"] == "error")
    assert issue == {"node": "flat", "port": 0, "severity": "error",
                     "message": "Input port in_0 of 'flat' is not connected",
                     "code": "unconnected_input", "blocks": True,
                     # the layer its fix wires from: conv1, where the graph now ends
                     "data": {"source": "conv1", "source_name": "conv1"},
                     "fixes": [{"code": "wire_from_open_end", "label": "Wire from conv1"}]}
    assert next(n for n in report["nodes"] if n["id"] == "out")["output_shapes"] is None


def test_a_training_setting_issue_gives_its_field_and_suggestion_as_data(project, capsys):
    doc = mnist_doc()
    doc.training = {"loss": "sparse_categorical_crossentopy"}
    _, out, _ = run_cli(capsys, project(doc), "--json")
    (issue,) = [i for i in json.loads(out)["issues"] if i["node"] is None]
    assert issue["code"] == "bad_setting" and issue["data"] == {
        "field": "training.loss.out", "suggestion": "sparse_categorical_crossentropy"}


def test_warnings_alone_exit_0(project, capsys):
    doc = mnist_doc()
    doc.add_node("Dense", "unused", {"units": 3}, node_id="unused")
    doc.connect(Edge("flat", 0, "unused", 0))
    code, out, _ = run_cli(capsys, project(doc))
    assert code == 0 and "1 warning" in out and "does not lead to any model output" in out


@pytest.mark.parametrize("content, field", [
    ('{"format": "kerascanvas", "version": 99, "nodes": [], "edges": [], "outputs": []}',
     "field version"),
    ('{"format": "other"}', "field format"),
    ("not json", "not valid JSON"),
])
def test_unreadable_file_exits_2_with_the_field_on_stderr(tmp_path, capsys, content, field):
    path = tmp_path / "bad.json"
    path.write_text(content)
    code, out, err = run_cli(capsys, str(path))
    assert code == 2 and out == ""
    assert field in err and str(path) in err


def test_missing_file_exits_2(tmp_path, capsys):
    code, _, err = run_cli(capsys, str(tmp_path / "nowhere.json"))
    assert code == 2 and "nowhere.json" in err


def test_command_loads_neither_keras_nor_torch(project):
    path = project(mnist_doc())
    probe = ("import sys; from kerascanvas.app.cli import main; code = main(['validate', "
             f"{path!r}, '--json']); heavy = sorted(m for m in ('keras', 'torch', 'PySide6') "
             "if m in sys.modules); print('HEAVY', heavy); sys.exit(code)")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONSTARTUP"}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "HEAVY []"


def test_a_search_range_outside_the_limits_fails_validation_naming_node_and_param(project,
                                                                                   capsys):
    doc = mnist_doc()
    conv = doc.find("conv1")
    doc.search = {"params": [{"node": conv.id, "param": "filters", "type": "int",
                              "low": 0, "high": 8}]}
    code, out, _ = run_cli(capsys, project(doc), "--json")
    assert code == 1
    report = json.loads(out)
    assert report["valid"] is True  # the graph itself is fine
    (issue,) = report["search_issues"]
    assert issue["node"] == conv.id and "conv1.filters" in issue["message"]


@pytest.mark.parametrize("text, field", [
    ("not json", None),
    ('{"format": "kerascanvas", "version": 1, "nodes": [], "edges": [], "outputs": [0.0]}',
     "outputs[0]"),
])
def test_json_report_for_an_unreadable_file(tmp_path, capsys, text, field):
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    code, out, err = run_cli(capsys, str(path), "--json")
    report = json.loads(out)
    assert code == 2 and "bad.json" in err
    assert report["valid"] is False and report["field"] == field and report["error"]
    assert report["file"] == str(path) and report["nodes"] == []
    (issue,) = report["issues"]
    assert issue["code"] == "unreadable_file" and issue["data"] == {}


def test_json_report_for_a_cycle_names_its_nodes(tmp_path, capsys):
    doc = mnist_doc()
    path = tmp_path / "cycle.json"
    save(doc, path)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["edges"] = [e for e in data["edges"] if e["dst"] != "conv1"] + [
        {"src": "out", "src_port": 0, "dst": "conv1", "dst_port": 0}]
    path.write_text(json.dumps(data), encoding="utf-8")
    code, out, _ = run_cli(capsys, str(path), "--json")
    report = json.loads(out)
    assert code == 2 and report["valid"] is False
    assert "cycle" in report["error"] and report["field"].startswith("edges[")
    assert set(report["nodes"]) == {"conv1", "flat", "out"}


def test_json_report_when_a_name_is_not_unicode(tmp_path, capsys):
    doc = mnist_doc()
    path = tmp_path / "surrogate.json"
    save(doc, path)
    text = path.read_text(encoding="utf-8").replace('"name": "conv1"', '"name": "\\ud800"')
    path.write_text(text, encoding="utf-8")
    code, out, _ = run_cli(capsys, str(path), "--json")
    report = json.loads(out)
    assert code == 2 and report["field"] == "nodes[1].name" and "surrogate" in report["error"]


def test_a_data_file_that_does_not_exist_is_a_warning(project, tmp_path, capsys):
    doc = mnist_doc()
    doc.training = {"data": "nothere.npz", "test_data": "csv:also_not.csv?target=y"}
    path = project(doc)
    code, out, err = run_cli(capsys, path)
    assert code == 0 and err == ""
    assert "warning: training.data: the data file" in out and "nothere.npz" in out
    assert "training.test_data" in out and "also_not.csv" in out
    code, out, _ = run_cli(capsys, path, "--json")
    report = json.loads(out)
    assert code == 0 and report["valid"] is True
    fields = [i["data"]["field"] for i in report["data_issues"]]
    assert fields == ["training.data", "training.test_data"]
    (Path(path).parent / "nothere.npz").write_bytes(b"")  # read next to the project
    code, out, _ = run_cli(capsys, path, "--json")
    assert [i["data"]["field"] for i in json.loads(out)["data_issues"]] == ["training.test_data"]


def test_each_issue_lists_its_fixes_by_their_button_labels(project, capsys):
    """A headless check named the problem but not the one-click fixes the window offers."""
    doc = make_doc([("x", "Input", {"shape": [10, 4]}), ("lstm", "LSTM", {"units": 8}),
                    ("lstm_1", "LSTM", {"units": 8}), ("out", "Dense", {"units": 1})],
                   [("x", "lstm", 0), ("lstm", "lstm_1", 0), ("lstm_1", "out", 0)], ["out"])
    code, out, _ = run_cli(capsys, project(doc))
    assert code == 1
    assert "fix: Set return_sequences=True on lstm; Insert Reshape" in out
