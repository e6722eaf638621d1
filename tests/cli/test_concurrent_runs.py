"""Two `kerascanvas run --nproc-per-node 2` started at once both end, each listed with its
model; and a launcher whose ranks hang at their exit, after training, ends them a while
later (`runtime.rank_exit`) instead of waiting for them without end."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kerascanvas.runtime.cli.kept_runs import runs_folder
from kerascanvas.runtime.run_record import read_index
from tests.cli.test_launcher_exit_codes import ROOT, failing_run
from tests.cli.test_run_signals import STARTUP_S
from tests.runtime.test_run import classifier, project

EXAMPLE = ROOT / "resources" / "examples" / "mnist_mlp.json"


def _mnist_mlp_params() -> int:
    import keras

    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(512, "relu"),
                              keras.layers.Dropout(0.5), keras.layers.Dense(10, "softmax")])
    return model.count_params()


def _start(path: Path, out: Path) -> subprocess.Popen:
    env = {**os.environ, "KERAS_BACKEND": "torch", "OMP_NUM_THREADS": "1",
           "KERASCANVAS_DATA_DIR": str(out.parent / "data"),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    with open(out, "w", encoding="utf-8") as handle:  # a file: no pipe left undrained
        return subprocess.Popen(
            [sys.executable, "-m", "kerascanvas.app", "run", str(path), "--data",
             "synthetic:512", "--epochs", "1", "--threads", "1", "--no-progress",
             "--nproc-per-node", "2"], stdout=handle, stderr=subprocess.STDOUT, env=env,
            cwd=out.parent, start_new_session=True)


def _wait_all(processes: list[subprocess.Popen], outputs: list[Path]) -> None:
    """Wait for every process; one that has not ended by the deadline (with its ranks)
    is killed and fails the test with its output."""
    deadline = time.monotonic() + 3 * STARTUP_S
    for process, out in zip(processes, outputs, strict=True):
        try:
            process.wait(max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            for other in processes:
                if other.poll() is None:
                    os.killpg(other.pid, signal.SIGKILL)
                    other.wait(60)
            pytest.fail(f"a launcher did not end ({out}):\n{out.read_text()[-3000:]}")


@pytest.mark.slow  # two launchers, four ranks, each importing keras and torch
@pytest.mark.timeout(1500)
@pytest.mark.parametrize("where", ["two copies", "one project file"])
def test_two_runs_on_two_processes_started_at_once_both_end_listed_with_their_models(
        tmp_path, where):
    folders = [tmp_path / "a", tmp_path / "b"]
    for folder in folders:
        folder.mkdir()
        shutil.copy(EXAMPLE, folder / "mnist_mlp.json")
    paths = [folders[0] / "mnist_mlp.json",
             folders[1 if where == "two copies" else 0] / "mnist_mlp.json"]
    outputs = [folder / "out.txt" for folder in folders]
    processes = [_start(path, out) for path, out in zip(paths, outputs, strict=True)]
    _wait_all(processes, outputs)
    for process, out in zip(processes, outputs, strict=True):
        assert process.returncode == 0, out.read_text()[-3000:]

    import keras

    entries = [entry for path in sorted(set(paths)) for entry in read_index(runs_folder(path))]
    assert len(entries) == 2 and [e["status"] for e in entries] == ["finished"] * 2
    assert all(e["processes"] == 2 and e["epochs_done"] == 1 for e in entries)
    saved = {runs_folder(path) / e["saved"] for path in set(paths)
             for e in read_index(runs_folder(path))}
    assert len(saved) == 2  # one model each, none written over the other
    for model in saved:
        assert keras.saving.load_model(model, safe_mode=True).count_params() == \
            _mnist_mlp_params()


@pytest.mark.slow  # a launcher and two ranks, each importing keras and torch
@pytest.mark.timeout(1200)
def test_ranks_that_hang_at_their_exit_are_ended_and_the_run_stands(tmp_path):
    """Every rank trains to the end, reports, then hangs as it closes its process group
    (`failing_rank`, "leave"): torchrun's agent waited for them without end."""
    import keras

    path = project(tmp_path, classifier(training={"epochs": 2, "batch_size": 16}))
    done = failing_run(tmp_path, path, "leave", "all", KERASCANVAS_RANK_EXIT_S="5")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "ranks 0, 1 had not ended 5 s after every rank here had finished" in done.stderr
    (entry,) = read_index(runs_folder(path))
    assert entry["status"] == "finished" and entry["epochs_done"] == 2
    model = keras.saving.load_model(runs_folder(path) / entry["saved"], safe_mode=True)
    assert model.count_params() == 4 * 8 + 8 + 8 * 3 + 3
