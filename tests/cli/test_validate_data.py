"""`kerascanvas validate --data`: the training data checked as `run` checks it before
training, its errors failing the command, its warnings listed, each with its fixes."""

from __future__ import annotations

import json

from kerascanvas.app.cli import main

from .test_fix_command import pixels_project


def test_warnings_of_the_data_are_listed_with_their_fixes(tmp_path, capsys):
    path = pixels_project(tmp_path)
    assert main(["validate", path, "--data"]) == 0
    out = capsys.readouterr().out
    assert "warning: Input 'x' receives values in [0, 255]" in out
    assert "  fix: Insert Rescaling(1/255); Insert Normalization" in out
    assert main(["validate", path, "--data", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert sorted(i["code"] for i in report["data_issues"]) == ["data_scale", "sorted_split"]


def test_data_a_run_refuses_fails_the_command(tmp_path, capsys):
    path = pixels_project(tmp_path, loss="binary_crossentropy")  # class ids on 2 units
    assert main(["validate", path]) == 0  # the graph alone is valid
    capsys.readouterr()
    assert main(["validate", path, "--data"]) == 1
    out = capsys.readouterr().out
    assert "data error: Output 'out' gives shape (None, 2)" in out
    assert "fix: Use sparse_categorical_crossentropy" in out


def test_data_that_cannot_be_read_is_a_data_error(tmp_path, capsys):
    path = pixels_project(tmp_path, data="missing.npz")
    assert main(["validate", path, "--data"]) == 0  # a missing file: the warning it was
    assert "does not exist" in capsys.readouterr().out
    path = pixels_project(tmp_path, data="sklearn:digitz")
    assert main(["validate", path, "--data"]) == 1
    assert "data error: Expected sklearn:" in capsys.readouterr().out
