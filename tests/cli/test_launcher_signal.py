"""`kerascanvas run --nproc-per-node 2` (torchrun on the CPU, gloo) ended by a real
SIGINT to the launcher: the ranks stop after the same batch, rank 0 keeps the model and
lists the run, and the launcher exits with 130."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import keras
import pytest

from kerascanvas.runtime import events as ev
from kerascanvas.runtime.cli.stops import exit_code
from kerascanvas.runtime.launch import Outcome
from tests.cli.test_run_signals import STARTUP_S, start_run, wait_for_an_epoch
from tests.runtime.test_run import classifier, project


@pytest.mark.slow  # a launcher and two ranks, each importing keras and torch
@pytest.mark.timeout(1200)
def test_sigint_to_the_launcher_exits_130_and_rank_0_keeps_the_model(tmp_path):
    child, log = start_run(tmp_path / "ranks", "--nproc-per-node", "2")
    try:
        wait_for_an_epoch(child, log)
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=2 * STARTUP_S)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == exit_code(signal.SIGINT) == 130, err[-3000:]
    assert "stopped by SIGINT (Ctrl+C): every rank ended after the same batch" in err
    saved = tmp_path / "ranks" / "model.runs" / "stopped_1.keras"
    events = [ev.from_wire(json.loads(line)) for line in log.read_text().splitlines()]
    result, steps = events[-1], events[0].steps
    assert result.status == ev.STOPPED and Path(result.saved) == saved
    assert result.epochs_run >= 1 and result.processes == 2
    # The model kept is the one trained: Keras counts its optimizer's steps (every rank
    # took the same steps; a stop mid-epoch adds the batches of the epoch it cut).
    model = keras.saving.load_model(saved, safe_mode=True)
    assert result.epochs_run * steps <= int(model.optimizer.iterations) < \
        (result.epochs_run + 1) * steps + 1
    index = json.loads((saved.parent / "runs.json").read_text())["runs"]
    assert [(r["status"], r["processes"], r["saved"]) for r in index] == [
        (ev.STOPPED, 2, "stopped_1.keras")]


def start_long_passes(folder: Path, epochs: int) -> tuple[subprocess.Popen, Path]:
    """Two ranks of a run whose epochs are 4 training steps and a validation pass of
    about 3000 batches per rank (the final evaluation is the same pass)."""
    folder.mkdir()
    path = project(folder, classifier(training={"epochs": epochs, "batch_size": 64,
                                                "validation_split": 0.999}))
    log = folder / "events.jsonl"
    env = {**os.environ, "KERAS_BACKEND": "torch", "OMP_NUM_THREADS": "1"}
    child = subprocess.Popen(
        [sys.executable, "-m", "kerascanvas.app", "run", path, "--data", "synthetic:200000",
         "--log", str(log), "--no-progress", "--threads", "1", "--nproc-per-node", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    return child, log


def wait_for_event(child: subprocess.Popen, log: Path, kind: str) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline and child.poll() is None:
        if log.exists() and f'"{kind}"' in log.read_text():
            return
        time.sleep(0.05)
    child.kill()
    raise AssertionError(f"no {kind} event: {child.communicate()[1][-2000:]}")


def ended(child: subprocess.Popen, log: Path) -> tuple[str, ev.Result, int]:
    try:
        _, err = child.communicate(timeout=STARTUP_S)
    finally:
        if child.poll() is None:
            child.kill()
    events = [ev.from_wire(json.loads(line)) for line in log.read_text().splitlines()]
    return err, events[-1], events[0].steps


@pytest.mark.slow  # two launchers of two ranks each, all importing keras and torch
@pytest.mark.timeout(1200)
def test_a_stop_in_validation_or_the_final_evaluation_ends_that_pass_on_every_rank(
        tmp_path):
    validating = start_long_passes(tmp_path / "val", epochs=1000)
    scoring = start_long_passes(tmp_path / "eval", epochs=1)
    wait_for_event(*validating, "epoch_end")  # epoch 2 trains 4 steps, then validates
    time.sleep(1.0)
    validating[0].send_signal(signal.SIGINT)
    wait_for_event(*scoring, "train_end")  # the final evaluation follows
    time.sleep(1.0)
    scoring[0].send_signal(signal.SIGTERM)

    err, result, steps = ended(*validating)
    assert validating[0].returncode == 130, err[-3000:]
    assert "stopped by SIGINT (Ctrl+C): every rank ended" in err
    cut = re.search(r"Stopped on request while validating epoch (\d+), after (\d+) of "
                    r"(\d+) validation batches", err)
    assert cut, err[-3000:]
    epoch, batches, total = map(int, cut.groups())
    assert epoch >= 2 and batches < total - 2  # cut where the ranks agreed, not at its end
    assert result.status == ev.STOPPED and result.epochs_run == epoch - 1
    assert result.processes == 2 and not result.metrics  # a cut validation: no score
    saved = tmp_path / "val" / "model.runs" / "stopped_1.keras"
    assert Path(result.saved) == saved and f"Saved the model to {saved}" in err
    model = keras.saving.load_model(saved, safe_mode=True)
    assert int(model.optimizer.iterations) == epoch * steps  # the cut epoch's steps too

    err, result, _ = ended(*scoring)
    assert scoring[0].returncode == 143, err[-3000:]
    assert "stopped by SIGTERM: every rank ended" in err
    cut = re.search(r"The final evaluation was stopped on request after (\d+) of (\d+) "
                    r"batches", err)
    assert cut and int(cut[1]) < int(cut[2]) - 2, err[-3000:]
    assert result.status == ev.FINISHED and result.epochs_run == 1 and not result.metrics
    saved = tmp_path / "eval" / "model.runs" / "trained_1.keras"
    assert Path(result.saved) == saved
    index = json.loads((saved.parent / "runs.json").read_text())["runs"]
    assert [(r["status"], r["processes"], r["saved"]) for r in index] == [
        (ev.FINISHED, 2, "trained_1.keras")]


@pytest.mark.parametrize("signals, outcome, code, said", [
    ((signal.SIGTERM,), Outcome(0), 143, "stopped by SIGTERM: every rank ended after the "
                                          "same batch"),
    ((signal.SIGINT, signal.SIGINT), Outcome(3, "rank 0 exited with code 130"), 130,
     "interrupted: SIGINT (Ctrl+C) again ended the ranks without saving"),
    ((), Outcome(3, "rank 1 was killed by SIGKILL"), 3, "rank 1 was killed by SIGKILL")])
def test_the_launcher_passes_signals_on_and_exits_with_their_code(
        monkeypatch, capsys, tmp_path, signals, outcome, code, said):
    """The launcher's own logic, torchrun replaced: each signal the launcher gets while
    the ranks run is passed on to them, and the exit code follows the first one."""
    from kerascanvas.runtime import launch as launch_module
    from kerascanvas.runtime.cli import run_launch

    passed = []

    def ranks_run(*args, **options):
        assert options["signals"] == "SIGHUP,SIGQUIT"  # SIGTERM is not torchrun's here
        for signum in signals:
            os.kill(os.getpid(), signum)  # handled here, by the launcher's handler
        return outcome

    monkeypatch.setattr(launch_module, "launch", ranks_run)
    monkeypatch.setattr(launch_module, "interrupt_ranks", lambda: passed.append(1) or 2)
    args = SimpleNamespace(threads=1, file=str(tmp_path / "model.json"))
    before = signal.getsignal(signal.SIGTERM)
    assert run_launch.start_ranks(args, launch_module.Launch(2), 1, 3) == code
    assert len(passed) == len(signals) and signal.getsignal(signal.SIGTERM) is before
    err = capsys.readouterr().err
    assert said in err
    assert ("exited with code 130" in err) is False  # an abort asked for is no crash
