"""`kerascanvas run --nproc-per-node 2` (torchrun on the CPU, gloo) ended by a real
SIGINT to the launcher: the ranks stop after the same batch, rank 0 keeps the model and
lists the run, and the launcher exits with 130."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import keras
import pytest

from kerascanvas.runtime import events as ev
from kerascanvas.runtime.cli.stops import exit_code
from tests.cli.test_run_signals import STARTUP_S, start_run, wait_for_an_epoch


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
    assert "rank 0 saved the model as trained so far" in err
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
