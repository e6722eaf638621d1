"""Stop during the window's predictions (after training and the final evaluation) on
several processes: rank 0 predicts alone, so its Stop ends the pass after the current
batch, as in a one-process run; the model is kept and the result says the predictions
were stopped. And an error of ours in a window's rank reaches the window as a failure."""

from __future__ import annotations

import threading
import time

import pytest

from kerascanvas.graph.projectfile import to_dict
from kerascanvas.runtime import bridge as bridge_module
from kerascanvas.runtime.events import FINISHED
from kerascanvas.runtime.keras_env import import_keras
from kerascanvas.runtime.worker import Control, TrainingRun, train_document
from tests.runtime.test_worker import mlp

keras = import_keras()
# 200 held-out samples in batches of 16: 13 prediction batches, held at the second.
TRAINING = {"data": "synthetic:400", "validation_split": 0.5, "epochs": 1,
            "batch_size": 16, "metrics": ["accuracy"]}
STOPPED_TEXT = "The predictions were stopped on request"


def stop_once_there(path, stop, timeout=120.0) -> threading.Thread:
    def watch():
        deadline = time.monotonic() + timeout
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        stop()

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_a_stop_ends_rank_0s_predictions_though_training_waited_for_the_ranks(
        tmp_path, monkeypatch):
    """In-process: the bridge as a rank's is during training (`stop_at_once` false, the
    ranks agree on every stop); after training the predictions are rank 0's alone."""
    made = bridge_module.FastBridge.__init__

    def as_on_a_rank(self, *args, **kwargs):
        made(self, *args, **kwargs)
        self.stop_at_once = False

    monkeypatch.setattr(bridge_module.FastBridge, "__init__", as_on_a_rank)
    inside, saved, control = tmp_path / "predicting", tmp_path / "m.keras", Control()
    watcher = stop_once_there(inside, lambda: control.command("stop"))
    result = train_document({"document": to_dict(mlp(**TRAINING)), "save": str(saved),
                             "fault": {"hold_in_predictions": str(inside),
                                       "timeout_s": 20}}, lambda event: None, control)
    watcher.join(5)
    assert inside.exists()
    assert result.status == FINISHED and result.evaluation is None
    assert result.evaluation_error.startswith(STOPPED_TEXT)
    assert keras.saving.load_model(saved, safe_mode=True).count_params() == \
        6 * 8 + 8 + 8 * 3 + 3


@pytest.mark.slow  # the worker's child, torchrun's agent and two ranks importing keras
@pytest.mark.timeout(900)
def test_stop_ends_the_predictions_of_a_two_process_run(tmp_path):
    inside, saved = tmp_path / "predicting", tmp_path / "run_1.keras"
    run = TrainingRun(mlp(**TRAINING), save_path=saved, processes=2,
                      fault={"hold_in_predictions": str(inside), "timeout_s": 120})
    run.start()
    try:
        deadline = time.monotonic() + 600
        while not inside.exists() and run.status == "running" and \
                time.monotonic() < deadline:
            run.poll_events()
            time.sleep(0.05)
        assert inside.exists(), run.result
        asked = time.monotonic()
        run.stop()
        assert run.wait(300) == FINISHED
        waited = time.monotonic() - asked
    finally:
        run.kill()
    result = run.result
    assert waited < 100  # the hold (120 s) was released by the stop, not by its timeout
    assert result.processes == 2 and result.evaluation is None
    assert result.evaluation_error.startswith(STOPPED_TEXT)
    assert result.saved == str(saved)  # the model is kept, and whole
    assert keras.saving.load_model(saved, safe_mode=True).count_params() == \
        6 * 8 + 8 + 8 * 3 + 3


def test_an_unexpected_error_in_a_window_rank_reaches_the_window_as_a_failure(
        tmp_path, monkeypatch):
    """Rank 0 of a window run (`runtime.relay`) reports an error of ours as a failed
    result and exits 3; Python's own exit code 1 would read as every rank refusing."""
    import json

    from kerascanvas.runtime import relay, worker

    def broken(payload, send, control=None):
        raise RuntimeError("a bug of ours")

    monkeypatch.setattr(worker, "train_document", broken)
    link = relay.RankLink(lambda event: None)
    monkeypatch.setenv(relay.RELAY_ENV, link.address)
    payload = tmp_path / "payload.json"
    payload.write_text(json.dumps({"document": {}}))
    assert relay.main([str(payload)]) == 3
    deadline = time.monotonic() + 30  # the link's thread reads the result
    while link.result is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert link.result.status == "failed"
    assert link.result.message == "Training failed: a bug of ours"
    assert "RuntimeError" in link.result.traceback
