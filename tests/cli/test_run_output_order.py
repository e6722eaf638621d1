"""`kerascanvas run | cat` shows its lines in the order a terminal shows them: stdout
is block-buffered in a pipe and stderr is not, so the run flushes stdout before each
stderr line, and the metrics table keeps its rows right under its header.

It is also the default suite's test of `python -m kerascanvas.app run` as a real process
(the progress bar on stderr, the --log file ending in the result)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.runtime.test_run import classifier, project, read_log

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # another process trains, checks or exports: 5-8 s
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs a folder no file can be made in")
def test_piped_output_keeps_the_table_whole_and_before_the_lines_after_it(tmp_path):
    """Both streams into one pipe: --save into /proc makes the run write a stderr line
    after the table (the model kept in the runs folder instead), which must come last."""
    path = project(tmp_path, classifier(training={"epochs": 1}))
    log = tmp_path / "events.jsonl"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
    done = subprocess.run(
        [sys.executable, "-m", "kerascanvas.app", "run", path, "--data", "synthetic:64",
         "--save", "/proc/kerascanvas-model.keras", "--log", str(log), "--threads", "1"],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=300)
    lines = done.stdout.splitlines()
    assert done.returncode == 3, done.stdout
    header = next(i for i, line in enumerate(lines) if line.startswith("Final metrics ("))
    kept = tmp_path / "model.runs" / "trained_1.keras"
    assert [line.split()[0] for line in lines[header + 1:header + 3]] == ["accuracy", "loss"]
    last = lines[header + 3]  # the stderr line the run ends with, after the whole table
    assert last.startswith("kerascanvas run: Could not save the model to /proc/"), lines
    assert f"Saved the model to {kept}" in last
    assert lines.index(last) == len(lines) - 1
    assert sum("Could not save" in line for line in lines) == 1  # said once, not twice
    assert "Epoch 1/1" in done.stdout  # the progress bar and the epoch line
    assert [e.kind for e in read_log(log)][-1] == "result"
