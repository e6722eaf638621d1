"""The window's Kill keeps nothing, on one process as on several: the runs folder holds no
model the window does not list (it says "the model was not saved").

The fast tests simulate the child: on several processes it stands for torchrun's agent,
which passes a SIGTERM on to its rank and waits for it, and the rank answers SIGTERM by
writing the model, as rank 0 does (`runtime.rank_end`). The slow one kills a real run
on two processes held in its validation pass.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kerascanvas.graph.atomicfile import partial_path
from kerascanvas.runtime import worker
from kerascanvas.runtime.events import KILLED
from kerascanvas.runtime.launch import rank_processes
from kerascanvas.runtime.worker import TrainingRun

# A rank: writes the model when SIGTERM comes (as rank 0 keeps it), else waits.
RANK = """
import os, signal, sys, time
save = sys.argv[2]
def keep(*_):
    with open(save, "w") as handle:
        handle.write("model")
    os._exit(0)
signal.signal(signal.SIGTERM, keep)
open(save + ".ready", "w").close()
time.sleep(60)
"""


def fake_agent(payload, events, commands) -> None:
    """Stands for the worker's child: on several processes torchrun's agent, which
    passes SIGTERM on to its rank and waits for it; on one the training itself, which
    saved the model and is in its final evaluation."""
    save = payload["save"]
    if int(payload["processes"]) == 1:
        Path(save).write_text("model")
        Path(save + ".ready").touch()
        time.sleep(60)
        return
    rank = subprocess.Popen([sys.executable, "-c", RANK, "kerascanvas.runtime.relay", save])

    def pass_on(*_):
        rank.send_signal(signal.SIGTERM)
        rank.wait(10)
        os._exit(0)

    signal.signal(signal.SIGTERM, pass_on)
    time.sleep(60)


def started(tmp_path, monkeypatch, processes: int) -> tuple[TrainingRun, Path]:
    monkeypatch.setattr(worker, "_child_main", fake_agent)
    save = tmp_path / "run_1.keras"
    run = TrainingRun({}, save_path=save, processes=processes)
    run.start()
    deadline = time.monotonic() + 30
    while not Path(f"{save}.ready").exists():
        assert time.monotonic() < deadline, "the simulated run did not start"
        time.sleep(0.02)
    return run, save


def test_kill_on_several_processes_leaves_no_model_that_rank_0_would_keep(tmp_path,
                                                                          monkeypatch):
    run, save = started(tmp_path, monkeypatch, processes=2)
    ranks = rank_processes(run.process.pid, "kerascanvas.runtime")
    assert len(ranks) == 1
    run.kill()
    assert run.status == KILLED
    assert run.result.message == "Training was killed; the model was not saved."
    assert not save.exists()
    assert not os.path.exists(f"/proc/{ranks[0]}") or \
        Path(f"/proc/{ranks[0]}/stat").read_text().split()[2] == "Z"


def test_kill_after_the_save_removes_the_model_and_partial_files(tmp_path, monkeypatch):
    run, save = started(tmp_path, monkeypatch, processes=1)
    partial = partial_path(save, pid=run.process.pid)
    partial.write_text("half a model")
    kept = tmp_path / "run_1.predictions.npz"
    kept.write_text("written before the run")  # not this run's: left alone
    run._files_before[str(kept)] = True
    run.kill()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run_1.keras.ready",
                                                          "run_1.predictions.npz"]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_kill_of_a_real_run_on_two_processes_keeps_nothing(tmp_path):
    from tests.runtime.test_distributed import wait_for
    from tests.runtime.test_worker import mlp

    inside = tmp_path / "validating"
    save = tmp_path / "runs" / "run_1.keras"
    run = TrainingRun(mlp(validation_split=0.25, epochs=3), save_path=save, processes=2,
                      fault={"hold_in_validation": str(inside)})
    run.start()
    try:
        wait_for(inside.exists, 600, 0.1)  # rank 0 is inside fit: a SIGTERM keeps the model
        ranks = rank_processes(run.process.pid, "kerascanvas.runtime")
        assert len(ranks) == 2
    finally:
        run.kill()
    assert run.status == KILLED
    time.sleep(2)  # a rank that outlived the kill would save now
    assert not save.exists()
    assert not save.parent.exists() or list(save.parent.iterdir()) == []
