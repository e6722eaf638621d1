"""`kerascanvas run --nproc-per-node 2` (torchrun on the CPU, gloo) is listed in the runs
index as running from its start, by rank 0 with the launcher as its process, and reads
"interrupted" once the launcher is gone, naming what was kept: the last checkpoint
ModelCheckpoint wrote, or nothing (runs on several processes take no snapshot)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from kerascanvas.runtime.cli.kept_runs import runs_folder
from kerascanvas.runtime.run_record import read_index
from kerascanvas.runtime.runs_index import CHECKPOINTS, PROCESS, judged
from kerascanvas.runtime.snapshot import checkpoint_text
from tests.cli.test_run_snapshot import _entries
from tests.runtime.test_run import classifier, project


@pytest.mark.slow  # a launcher and two ranks, each importing keras and torch
@pytest.mark.timeout(900)
def test_a_run_on_two_processes_is_listed_running_then_interrupted_with_its_checkpoint(
        tmp_path):
    checkpoint = tmp_path / "ck.keras"
    callbacks = [{"name": "model_checkpoint", "filepath": str(checkpoint), "monitor": "loss"}]
    path = project(tmp_path, classifier(training={"epochs": 1000, "batch_size": 16,
                                                  "callbacks": callbacks}))
    folder = runs_folder(path)
    env = {**os.environ, "KERAS_BACKEND": "torch", "OMP_NUM_THREADS": "1"}
    child = subprocess.Popen(  # a session of its own: the launcher and its ranks killed
        [sys.executable, "-m", "kerascanvas.app", "run", path, "--data", "synthetic:300",
         "--no-progress", "--threads", "1", "--nproc-per-node", "2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
        start_new_session=True)
    try:
        deadline = time.monotonic() + 400
        while not (_entries(folder) and checkpoint.is_file()) and time.monotonic() < deadline:
            assert child.poll() is None, child.communicate()[1][-3000:]
            time.sleep(0.05)
        [live] = read_index(folder)  # listed by rank 0, as the launcher's run
        assert (live["processes"], live[PROCESS]["pid"], live[PROCESS][CHECKPOINTS]) == (
            2, child.pid, [str(checkpoint)])
        assert judged(live, folder)["status"] == "running" and live["saved"] is None
    finally:
        os.killpg(child.pid, signal.SIGKILL)  # as the out-of-memory killer or a power cut
        child.communicate(timeout=60)
    entry = judged(read_index(folder)[0], folder)
    assert (entry["status"], entry["saved"]) == ("interrupted", None)
    assert entry["message"].startswith("The launcher of `kerascanvas run` on 2 processes")
    assert entry["message"].endswith(
        f"the last checkpoint ModelCheckpoint wrote is kept at {checkpoint}: run `kerascanvas "
        f"run {path} --resume {checkpoint} --initial-epoch N` (N: the epoch it holds) to go "
        "on from it.")


@pytest.mark.parametrize(("patterns", "says"), [
    ([], "it had no ModelCheckpoint: nothing of its model was kept."),
    (["ck.keras"], "ModelCheckpoint had written no checkpoint: nothing of its model was kept."),
    (["ck_{epoch:02d}.keras"], "the last checkpoint ModelCheckpoint wrote is kept at ck_03"),
])
def test_what_a_run_on_several_processes_kept_is_the_newest_checkpoint_or_nothing(
        tmp_path, monkeypatch, patterns, says):
    monkeypatch.chdir(tmp_path)
    for epoch in (1, 2, 3):  # the newest written last
        (tmp_path / f"ck_{epoch:02d}.keras").write_bytes(b"model")
        os.utime(tmp_path / f"ck_{epoch:02d}.keras", (epoch, epoch))
    text = checkpoint_text(patterns, "model.json")
    assert text.startswith("A run on several processes takes no epoch-end snapshot")
    assert says in text and "snapshot of the model" not in text
