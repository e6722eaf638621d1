"""`run` on data that cannot be read names the setting it came from and keeps the project."""

from __future__ import annotations

import errno
import os

import pytest

from kerascanvas.app.cli import main
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.projectfile import save


@pytest.fixture()
def project(tmp_path):
    doc = Document()
    inp = doc.add_node("Input", "x", {"shape": [4]})
    out = doc.add_node("Dense", "out", {"units": 2, "activation": "softmax"})
    doc.connect(Edge(inp.id, 0, out.id, 0))
    doc.set_outputs([out.id])
    doc.set_training({"data": str(tmp_path / "gone.npz"), "epochs": 1})
    path = tmp_path / "p.json"
    save(doc, path)
    return path


@pytest.mark.parametrize("flag", [None, "--data"])
def test_a_missing_data_file_names_its_setting(project, tmp_path, capsys, flag):
    before = project.read_bytes()
    extra = [flag, str(tmp_path / "also_gone.npz")] if flag else []
    code = main(["run", str(project), "--no-progress", *extra])
    err = capsys.readouterr().err
    field = "--data" if flag else "the project's training.data"
    missing = "also_gone.npz" if flag else "gone.npz"
    assert code not in (0, 70) and "Traceback" not in err
    assert f"{field} '{tmp_path / missing}'" in err and os.strerror(errno.ENOENT) in err
    assert project.read_bytes() == before and not (tmp_path / missing).exists()
