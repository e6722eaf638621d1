"""`export` to a folder that does not exist names the flag and the output as given, not
its partial file."""

from __future__ import annotations

import pytest

from kerascanvas.app.cli import main
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.projectfile import save


@pytest.mark.parametrize("fmt", ["py", "slurm"])
def test_a_missing_output_folder_is_named(tmp_path, capsys, fmt):
    doc = Document()
    inp = doc.add_node("Input", "x", {"shape": [4]})
    out = doc.add_node("Dense", "out", {"units": 2})
    doc.connect(Edge(inp.id, 0, out.id, 0))
    doc.set_outputs([out.id])
    project = tmp_path / "p.json"
    save(doc, project)
    target = tmp_path / "missing" / f"m.{fmt}"
    code = main(["export", str(project), "--format", fmt, "-o", str(target)])
    err = capsys.readouterr().err.strip()
    assert code == 1 and not target.parent.exists()
    assert err == (f"kerascanvas export: -o {target}: the folder {target.parent} does not "
                   "exist; create it first (nothing was written)")
