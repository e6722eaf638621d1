"""An unexpected exception in any command ends in one paragraph and exit 70, never a
traceback: the traceback goes to a report file in the data folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kerascanvas.app import cli
from kerascanvas.runtime.cli import crash

EXAMPLE = Path(__file__).parents[2] / "resources" / "examples" / "mnist_mlp.json"


def _explode(args):
    raise RuntimeError("injected failure\nsecond line")


@pytest.mark.parametrize("command", ["validate", "codegen", "run", "search"])
def test_an_unexpected_exception_is_one_paragraph_and_exit_70(command, tmp_path,
                                                              monkeypatch, capsys):
    monkeypatch.setenv("KERASCANVAS_DATA_DIR", str(tmp_path / "data"))
    module = cli._load_command(command)
    monkeypatch.setattr(module, "run", _explode)
    assert cli.main([command, str(EXAMPLE)]) == crash.EXIT_INTERNAL == 70
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert "Traceback" not in err and "\n" not in err
    assert err.startswith(f"kerascanvas {command}: internal error: RuntimeError: "
                          "injected failure second line.")
    reports = list((tmp_path / "data" / "crash-reports").iterdir())
    assert len(reports) == 1 and str(reports[0]) in err
    text = reports[0].read_text(encoding="utf-8")
    assert "Traceback" in text and "_explode" in text and f"kerascanvas {command}" in text


def test_the_temporary_folder_takes_the_report_when_the_data_folder_cannot(
        tmp_path, monkeypatch, capsys):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("KERASCANVAS_DATA_DIR", str(blocked))
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    monkeypatch.setattr(cli._load_command("validate"), "run", _explode)
    assert cli.main(["validate", str(EXAMPLE)]) == 70
    (report,) = (tmp_path / "kerascanvas-crash-reports").iterdir()
    assert str(report) in capsys.readouterr().err


def test_ctrl_c_outside_training_exits_130(monkeypatch, capsys):
    def interrupt(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli._load_command("validate"), "run", interrupt)
    assert cli.main(["validate", str(EXAMPLE)]) == 130
    assert capsys.readouterr().err.strip() == "kerascanvas validate: interrupted"


def test_a_process_that_crashes_prints_no_traceback(tmp_path):
    # The same, through the process's own exit code and stderr.
    code = ("import sys; from kerascanvas.app import cli; "
            "import kerascanvas.runtime.cli.validate as v; "
            "v.run = lambda args: {}['missing']; "
            f"sys.exit(cli.main(['validate', {str(EXAMPLE)!r}]))")
    env = {**os.environ, "KERASCANVAS_DATA_DIR": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=60)
    assert proc.returncode == 70
    assert "Traceback" not in proc.stderr and "KeyError: 'missing'" in proc.stderr
    assert len(list((tmp_path / "crash-reports").iterdir())) == 1


def test_a_reader_that_leaves_the_pipe_ends_the_command_quietly(tmp_path):
    """`kerascanvas validate big.json | head -1`: head exits, the next write fails with
    BrokenPipeError, which was reported as an internal error (exit 70) with a report."""
    code = ("import sys; from kerascanvas.app import cli; "
            f"sys.exit(cli.main(['validate', {str(EXAMPLE)!r}]))")
    env = {**os.environ, "KERASCANVAS_DATA_DIR": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    proc.stdout.close()  # the reader has gone before the first line is written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == cli.EXIT_BROKEN_PIPE == 141
    assert err == "" and not (tmp_path / "crash-reports").exists()


def test_a_module_missing_under_a_command_is_named_not_an_unknown_command(
        tmp_path, monkeypatch, capsys):
    """A stale install without a module `validate` needs answered "invalid choice:
    'validate' (choose from )", as if the command did not exist."""
    monkeypatch.setenv("KERASCANVAS_DATA_DIR", str(tmp_path))
    real = cli.importlib.import_module

    def stale(name):
        if name == cli.COMMANDS["validate"][0]:
            raise ModuleNotFoundError("No module named 'kerascanvas.graph.gone'",
                                      name="kerascanvas.graph.gone")
        return real(name)

    monkeypatch.setattr(cli.importlib, "import_module", stale)
    assert cli.main(["validate", str(EXAMPLE)]) == 70
    err = capsys.readouterr().err
    assert "ModuleNotFoundError: No module named 'kerascanvas.graph.gone'" in err
    assert "invalid choice" not in err
