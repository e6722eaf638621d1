"""`kerascanvas codegen FILE [-o OUT.py] [--style STYLE] [--script]`."""

from __future__ import annotations

import subprocess
import sys

from kerascanvas.app.cli import main
from kerascanvas.codegen import generate
from kerascanvas.graph.project import Project
from tests.codegen.helpers import EXAMPLES_DIR, example

CHAIN = EXAMPLES_DIR / "mnist_mlp.json"
BRANCHED = EXAMPLES_DIR / "customer_tickets.json"


def test_writes_to_stdout(capsys):
    assert main(["codegen", str(CHAIN)]) == 0
    assert capsys.readouterr().out == generate(example("mnist_mlp"))


def test_writes_to_a_file(tmp_path, capsys):
    out = tmp_path / "model.py"
    assert main(["codegen", str(CHAIN), "-o", str(out), "--style", "subclass", "--script"]) == 0
    assert out.read_text(encoding="utf-8") == generate(example("mnist_mlp"), style="subclass",
                                                       script=True)
    assert capsys.readouterr().out == ""


def test_sequential_refused_for_a_branching_graph(capsys):
    assert main(["codegen", str(BRANCHED), "--style", "sequential"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "sequential style does not apply" in captured.err
    inputs = sum(n.kind == "Input" for n in Project.open(BRANCHED).doc.nodes.values())
    assert inputs > 1
    assert f"a Sequential model has one Input; this graph has {inputs}" in captured.err


def test_sequential_refused_for_a_block_says_why_in_plain_words(capsys):
    resnet = CHAIN.parent / "small_resnet.json"
    assert main(["codegen", str(resnet), "--style", "sequential"]) == 1
    assert ("node 'res1' (ResidualBlock) is a block of several layers, not one layer a "
            "Sequential model lists. Use the functional style instead") in capsys.readouterr().err


def test_unreadable_file_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "kerascanvas", "version": 1, "nodes": 3, "edges": [], '
                   '"outputs": []}', encoding="utf-8")
    assert main(["codegen", str(bad)]) == 2
    assert "nodes" in capsys.readouterr().err
    assert main(["codegen", str(tmp_path / "missing.json")]) == 2
    assert "missing.json" in capsys.readouterr().err


def test_invalid_graph_exits_1(tmp_path, capsys):
    doc = example("mnist_mlp")
    first_dense = next(n for n in doc.nodes.values() if n.kind == "Dense")
    from kerascanvas.graph.projectfile import save

    first_dense.params["units"] = 0
    save(doc, tmp_path / "broken.json")
    assert main(["codegen", str(tmp_path / "broken.json")]) == 1
    err = capsys.readouterr().err
    assert first_dense.name in err and "units" in err


def test_codegen_imports_neither_keras_nor_torch():
    code = ("import sys; from kerascanvas.app.cli import main; "
            f"rc = main(['codegen', {str(CHAIN)!r}, '--script']); "
            "heavy = [m for m in ('keras', 'torch', 'PySide6') if m in sys.modules]; "
            "print(rc, heavy, file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.stderr.strip().splitlines()[-1] == "0 []"


def _unlogged_monitor(tmp_path):
    """mnist_mlp saved with an EarlyStopping monitor that training never logs."""
    from kerascanvas.graph.projectfile import save

    doc = example("mnist_mlp")
    doc.training["callbacks"] = [{"name": "early_stopping", "monitor": "val_top_k"}]
    save(doc, tmp_path / "unlogged.json")
    return tmp_path / "unlogged.json"


def test_a_script_with_settings_run_refuses_is_not_written(tmp_path, capsys):
    # A script trains as `kerascanvas run` does, so each writer refuses what run refuses.
    project = _unlogged_monitor(tmp_path)
    out, job = tmp_path / "train.py", tmp_path / "job.sbatch"
    for argv in (["codegen", str(project), "--script", "-o", str(out)],
                 ["export", str(project), "--format", "py", "--script", "-o", str(out)],
                 ["export", str(project), "--script", "-o", str(job)]):
        assert main(argv) == 1, argv
        captured = capsys.readouterr()
        assert captured.out == ""
        assert "training.callbacks[0].monitor: 'val_top_k' is not a value that training " \
               "logs" in captured.err, argv
        assert not out.exists() and not job.exists()
    # The model alone needs no training settings.
    assert main(["codegen", str(project), "-o", str(out)]) == 0
