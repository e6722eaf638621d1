"""Every model a window's run keeps has the run record `kerascanvas run --resume` reads,
written by the same code (`run_record.keep`, from `train`): after a run stopped by Stop,
by EarlyStopping and by a NaN loss. Before, the worker kept `run_N.keras` without one,
and `--resume run_3.keras` started again at epoch 0 (on the project's data).

The window's runs are trained here as the worker's child trains them (`train_document`
in this process, as the other worker tests do), on a data file, so the CLI's resume also
checks the content fingerprint the worker recorded."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from kerascanvas.graph.projectfile import to_dict
from kerascanvas.runtime import run_record
from kerascanvas.runtime.worker import Control, train_document
from tests.cli.test_resume_epochs import STOP_AFTER_2, keras_epochs
from tests.runtime.test_bridge import one_thread  # noqa: F401  (autouse fixture)
from tests.runtime.test_run import classifier, project, read_log, run

PLANNED = 4


def write_npz(path) -> str:
    rng = np.random.default_rng(0)
    np.savez(path, x=rng.normal(size=(48, 4)).astype("float32"), y=rng.integers(0, 3, 48))
    return str(path)


def window_project(tmp_path, **training):
    """A project set to train `PLANNED` epochs on an NPZ file, its path and document."""
    data = write_npz(tmp_path / "d.npz")
    doc = classifier(training={"epochs": PLANNED, "data": data, "seed": 0, **training})
    return project(tmp_path, doc), doc


def stopped_after_2(payload):
    """The window's Stop, sent as the second epoch ends: the run stops after the first
    batch of the third, which is cut and not counted."""
    control = Control()

    def sink(event) -> None:
        if event.kind == "epoch_end" and event.epoch == 1:
            control.command("stop")

    return train_document(payload, sink, control)


EARLY = dict(zip(("name", "monitor", "patience", "min_delta"),
                 ("early_stopping", "loss", 0, 100), strict=True))  # stops after epoch 2
ENDS = {  # how the window's run ended: its training overrides, and how it is driven
    "stop": ({}, stopped_after_2),
    "early_stopping": ({"callbacks": [EARLY]}, None),
    "nan": ({}, None),  # the fault: a NaN loss in the first epoch
}


@pytest.mark.parametrize("end", sorted(ENDS))
def test_a_window_run_is_resumed_by_the_cli_where_it_ended(tmp_path, capsys, end):
    path, doc = window_project(tmp_path)
    overrides, drive = ENDS[end]
    save = tmp_path / "model.runs" / "run_1.keras"
    payload = {"document": to_dict(doc), "overrides": overrides, "save": str(save),
               "fault": {"at_batch": 1, "error": "nan"} if end == "nan" else None}
    result = drive(payload) if drive else train_document(payload, lambda event: None)
    assert result.saved == str(save), result.message
    assert result.epochs_run == (0 if end == "nan" else 2)
    record = json.loads(run_record.record_path(save).read_text())
    assert (record["epochs"], record["planned_epochs"]) == (result.epochs_run, PLANNED)
    assert record["data"] == doc.training["data"]
    if end == "nan":  # its optimizer's slots as they were before the NaN, not NaN
        saved = keras.saving.load_model(save).optimizer.variables
        assert all(np.isfinite(keras.ops.convert_to_numpy(v)).all() for v in saved)

    log = tmp_path / "resumed.jsonl"
    assert run(path, "--resume", save, "--log", log) == 0
    err = capsys.readouterr().err
    assert f"on {doc.training['data']!r} (the data the run was trained on" in err
    resumed = read_log(log)[-1]
    start = result.epochs_run
    assert (resumed.initial_epoch, resumed.epochs_run) == (start, PLANNED)
    assert len(resumed.history["loss"]) == keras_epochs(start, PLANNED)


def test_the_record_holds_the_rate_keras_saved_in_the_optimizer(tmp_path, capsys):
    """ReduceLROnPlateau lowers the rate after the epoch's events were sent: the record
    holds what the saved optimizer has, as Keras loads it; `--resume` without `--lr`
    goes on at that rate, as the window's Continue offers it, and says so; `--lr` sets
    another."""
    path, doc = window_project(tmp_path, epochs=3, optimizer={"name": "adam",
                                                           "learning_rate": 0.01})
    plateau = dict(zip(("name", "monitor", "factor", "patience", "min_delta"),
                       ("reduce_lr_on_plateau", "loss", 0.5, 0, 100), strict=True))
    save = tmp_path / "run_1.keras"
    result = train_document({"document": to_dict(doc), "save": str(save),
                             "overrides": {"callbacks": [plateau]}}, lambda event: None)
    assert result.status == "finished", result.message
    keras_rate = float(keras.saving.load_model(save).optimizer.learning_rate)
    assert keras_rate < 0.01
    assert run_record.reached_rate(run_record.read(save)) == pytest.approx(keras_rate)
    log = tmp_path / "resumed.jsonl"
    assert run(path, "--resume", save, "--epochs", 4, "--log", log) == 0
    assert (f"training at learning rate {keras_rate:.3g}, the one {save} ended with (its "
            "run record, as the window's Continue offers); the project's is 0.01; --lr "
            "RATE for another") in capsys.readouterr().err
    [ended] = [e for e in read_log(log) if e.kind == "epoch_end"]
    assert ended.epoch == 3 and ended.lr == pytest.approx(keras_rate, rel=1e-6)
    assert run(path, "--resume", save, "--epochs", 4, "--lr", 0.002, "--log", log) == 0
    [ended] = [e for e in read_log(log) if e.kind == "epoch_end"]
    assert ended.lr == pytest.approx(0.002) and "training at learning rate" not in \
        capsys.readouterr().err


def test_a_cli_run_kept_in_the_runs_folder_has_the_same_record(tmp_path):
    path, doc = window_project(tmp_path)
    assert run(path, "--callback", STOP_AFTER_2) == 0
    record = run_record.read(tmp_path / "model.runs" / "trained_1.keras")
    assert run_record.resume_point(record) == (2, PLANNED)
    assert record["data"] == doc.training["data"]
