"""`export` to a folder that does not exist names the flag and the output as given, not
its partial file."""

from __future__ import annotations

import pytest

from kerascanvas.app.cli import main
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.projectfile import save


def small_project(tmp_path):
    doc = Document()
    inp = doc.add_node("Input", "x", {"shape": [4]})
    out = doc.add_node("Dense", "out", {"units": 2})
    doc.connect(Edge(inp.id, 0, out.id, 0))
    doc.set_outputs([out.id])
    project = tmp_path / "p.json"
    save(doc, project)
    return project


@pytest.mark.parametrize("fmt", ["py", "slurm"])
def test_a_missing_output_folder_is_named(tmp_path, capsys, fmt):
    project = small_project(tmp_path)
    target = tmp_path / "missing" / f"m.{fmt}"
    code = main(["export", str(project), "--format", fmt, "-o", str(target)])
    err = capsys.readouterr().err.strip()
    assert code == 1 and not target.parent.exists()
    assert err == (f"kerascanvas export: -o {target}: the folder {target.parent} does not "
                   "exist; create it first (nothing was written)")


@pytest.mark.parametrize("name, made", [("m.py", "def build_model"), ("job.sbatch", "srun")])
def test_without_format_the_output_suffix_names_it(tmp_path, capsys, name, made):
    target = tmp_path / name
    assert main(["export", str(small_project(tmp_path)), "-o", str(target)]) == 0
    assert capsys.readouterr().out.startswith(f"Wrote {target}")
    assert made in target.read_text(encoding="utf-8")


def test_a_suffix_that_names_no_format_asks_for_one(tmp_path, capsys):
    target = tmp_path / "m.txt"
    assert main(["export", str(small_project(tmp_path)), "-o", str(target)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"kerascanvas export: cannot tell the format from {str(target)!r}; give --format "
        "keras|onnx|py|slurm|png|svg (or an OUT ending in .keras, .onnx, .py, .sbatch, .png, "
        ".svg)")
    assert not target.exists()


def test_dash_writes_python_to_standard_output(tmp_path, capsys, monkeypatch):
    from kerascanvas.codegen import generate
    from kerascanvas.graph.projectfile import load

    project = small_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    for command in ("export", "codegen"):
        argv = [command, str(project), "-o", "-", *(["--format", "py"] * (command == "export"))]
        assert main([*argv, "--script"]) == 0
        assert capsys.readouterr().out == generate(load(project), script=True)
    assert not (tmp_path / "-").exists()


@pytest.mark.parametrize("fmt", ["keras", "onnx", "slurm", "png"])
def test_dash_is_refused_for_other_formats(tmp_path, capsys, monkeypatch, fmt):
    project = small_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["export", str(project), "--format", fmt, "-o", "-"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"kerascanvas export: -o - (standard output) takes --format py only, not {fmt} "
        "(nothing was written)")
    assert not (tmp_path / "-").exists()
