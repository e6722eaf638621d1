"""The epoch-end snapshot of a run's model: what is left when its process dies."""

import os
import queue
import signal
import time

import numpy as np
import pytest
import torch

from kerascanvas.runtime import run_record
from kerascanvas.runtime.events import FAILED, BatchEnd, EpochEnd, to_wire
from kerascanvas.runtime.keras_env import import_keras
from kerascanvas.runtime.snapshot import MIN_INTERVAL_ENV, min_interval, snapshot_path
from kerascanvas.runtime.train import load_checked_data, prepare, train
from kerascanvas.runtime.train_messages import OOM
from kerascanvas.runtime.worker import TrainingRun
from tests.runtime.test_worker import mlp, wait_for
from tests.runtime.test_worker_crash import DeadProcess

keras = import_keras()


@pytest.mark.parametrize("save, snapshot", [
    ("runs/run_3.keras", "runs/run_3.last.keras"),
    ("model.keras", "model.last.keras"),
    ("/a/b.c/model", "/a/b.c/model.last.keras"),
])
def test_the_snapshot_lives_beside_the_model_under_a_clear_name(save, snapshot):
    assert snapshot_path(save) == snapshot


@pytest.mark.parametrize("value, seconds", [("", 60.0), ("0", 0.0), ("2.5", 2.5),
                                             ("-1", 0.0), ("soon", 60.0)])
def test_the_throttle_is_60_s_unless_the_environment_says(monkeypatch, value, seconds):
    monkeypatch.setenv(MIN_INTERVAL_ENV, value)
    assert min_interval() == seconds


class SnapshotWatch(keras.callbacks.Callback):
    """Records the weights at each epoch end, and at the next epoch's begin (after every
    epoch-end hook of the run, the snapshot's included) what the snapshot holds."""

    def __init__(self, path):
        super().__init__()
        self.path, self.weights, self.seen = path, {}, {}

    def on_epoch_end(self, epoch, logs=None):
        self.weights[epoch + 1] = [np.array(w) for w in self.model.get_weights()]

    def on_epoch_begin(self, epoch, logs=None):
        if os.path.exists(self.path):
            held = keras.saving.load_model(self.path, safe_mode=True)
            record = run_record.read(self.path)
            self.seen[epoch] = (record["epochs"], held.get_weights())


def test_a_run_snapshots_each_epoch_but_the_last_and_removes_it_when_it_keeps_its_model(
        tmp_path, monkeypatch):
    monkeypatch.setenv(MIN_INTERVAL_ENV, "0")
    save = tmp_path / "run_1.keras"
    watch = SnapshotWatch(snapshot_path(save))
    result = _train_on_synthetic(mlp(epochs=4), save, watch)
    assert result.ok and save.exists()
    assert sorted(watch.seen) == [1, 2, 3]  # after epochs 1, 2, 3; never after the last
    for epoch, (recorded, weights) in watch.seen.items():
        assert recorded == epoch
        for got, want in zip(weights, watch.weights[epoch], strict=True):
            np.testing.assert_array_equal(got, want)
    assert not os.path.exists(snapshot_path(save))
    assert not run_record.record_path(snapshot_path(save)).exists()


def _train_on_synthetic(doc, save, *callbacks, **options):
    doc, settings = prepare(doc)
    data = load_checked_data(doc, settings)
    return train(doc, data, save=str(save), callbacks=list(callbacks), resolved=settings,
                 **options)


def test_the_throttle_writes_no_snapshot_in_a_short_run(tmp_path, monkeypatch):
    monkeypatch.delenv(MIN_INTERVAL_ENV, raising=False)
    save = tmp_path / "run_1.keras"
    watch = SnapshotWatch(snapshot_path(save))
    assert _train_on_synthetic(mlp(epochs=3), save, watch).ok
    assert watch.seen == {}  # 60 s never passed


def test_a_dead_process_names_its_snapshot_and_makes_it_the_runs_model(tmp_path):
    save = tmp_path / "run_2.keras"
    run = TrainingRun(mlp(), save_path=str(save))
    snapshot = snapshot_path(save)
    open(snapshot, "wb").close()
    run_record.write(snapshot, "synthetic:96", {}, 2, 5)
    run._events, run._commands = queue.Queue(), queue.Queue()
    for event in (EpochEnd(0, {"loss": 1.0}), EpochEnd(1, {"loss": 0.5}),
                  BatchEnd(2, 0, 4, {"loss": 0.4})):
        run._events.put(to_wire(event))
    run.process, run.status = DeadProcess(-signal.SIGKILL), "running"
    run.poll_events()
    assert run.status == FAILED and run.result.saved == snapshot
    assert (f"(killed by SIGKILL) during epoch 3, at batch 1 of 4 (epoch 2 was the last "
            f"complete one). A snapshot of the model as trained after epoch 2 is kept at "
            f"{snapshot}: Continue the run") in run.result.message
    assert f"--resume {snapshot}" in run.result.message
    assert run.result.message.endswith(" The curves and metrics up to epoch 2 are kept in "
                                       "the run.")


@pytest.mark.slow  # a real worker child (imports torch) and two in-process runs: 20-60 s
@pytest.mark.timeout(600)
def test_kill_9_after_epoch_2_keeps_the_snapshot_of_epoch_2_and_a_resume_goes_on(
        tmp_path, monkeypatch):
    monkeypatch.setenv(MIN_INTERVAL_ENV, "0")
    save, held = tmp_path / "run_1.keras", tmp_path / "validating"
    doc = mlp(epochs=4)
    run = TrainingRun(doc, save_path=str(save),
                      fault={"hold_in_validation": str(held), "epoch": 2, "timeout_s": 300})
    run.start()
    seen = []
    wait_for(run, lambda e: isinstance(e, EpochEnd) and e.epoch == 1, seen)
    deadline = time.monotonic() + 120
    while not held.exists() and time.monotonic() < deadline:  # epoch 3's validation
        time.sleep(0.05)
    os.kill(run.process.pid, signal.SIGKILL)
    run.process.join(30)
    while run.status == "running":
        run.poll_events()
        time.sleep(0.05)
    snapshot = snapshot_path(save)
    assert run.status == FAILED and run.result.saved == snapshot, run.result
    assert "after epoch 2 is kept at" in run.result.message
    assert not save.exists()
    model = keras.saving.load_model(snapshot, safe_mode=True)
    record = run_record.read(snapshot)
    assert run_record.resume_point(record) == (2, 4)
    reference = _train_on_synthetic(mlp(epochs=2), tmp_path / "reference.keras")
    for got, want in zip(model.get_weights(), reference.model.get_weights(), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    resumed = _train_on_synthetic(mlp(epochs=4), tmp_path / "resumed.keras",
                                  initial_model=snapshot, initial_epoch=2)
    assert resumed.ok and resumed.epochs_run == 4
    assert len(resumed.history["loss"]) == 2  # epochs 3 and 4


class OutOfMemoryAt(keras.callbacks.Callback):
    """Raises `error` as batch `batch` of epoch `epoch` (both from 0) begins, as torch does
    when memory runs out inside the run."""

    def __init__(self, epoch, batch, error):
        super().__init__()
        self.at, self.error, self.epoch = (epoch, batch), error, None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            raise self.error


@pytest.mark.parametrize("error", [
    torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB"),
    RuntimeError("CUDA out of memory. Tried to allocate 9.00 GiB"),
], ids=["OutOfMemoryError", "RuntimeError"])
def test_running_out_of_memory_names_where_and_the_snapshot_it_keeps(
        tmp_path, monkeypatch, error):
    monkeypatch.setenv(MIN_INTERVAL_ENV, "0")
    save = tmp_path / "run_1.keras"
    snapshot = snapshot_path(save)
    doc = mlp(epochs=5)
    result = _train_on_synthetic(doc, save, OutOfMemoryAt(2, 1, error))
    assert result.status == OOM and result.saved == snapshot and not save.exists()
    assert result.message.startswith("Out of memory on cpu while training, in epoch 3, "
                                     f"batch 2, with batch size {doc.training['batch_size']}. Try "
                                     "a smaller batch size or a smaller model. A snapshot "
                                     "of the model as trained after epoch 2 is kept at "
                                     f"{snapshot}: Continue the run")
    assert f"--resume {snapshot}" in result.message
    assert run_record.resume_point(run_record.read(snapshot)) == (2, 5)
    held = keras.saving.load_model(snapshot, safe_mode=True)
    assert held.count_params() == result.model.count_params()


def test_running_out_of_memory_before_any_snapshot_says_the_model_was_not_saved(
        tmp_path, monkeypatch):
    monkeypatch.setenv(MIN_INTERVAL_ENV, "0")
    save = tmp_path / "run_1.keras"
    error = torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
    result = _train_on_synthetic(mlp(epochs=5), save, OutOfMemoryAt(0, 1, error))
    assert result.status == OOM and result.saved is None
    assert "while training, in epoch 1, batch 2, with batch size" in result.message
    assert "The model was not saved." in result.message
    assert not os.path.exists(snapshot_path(save))
