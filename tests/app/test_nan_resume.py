"""Continue after a NaN loss goes on from the epoch whose weights were kept. A NaN in
epoch k + 1 drops that epoch: the model kept holds the weights of the end of epoch k (the
initial ones for k = 0), so the run has trained k epochs: its record, its entry in the
runs list and Continue say k, where they said k + 1 (the dropped epoch's end was heard
and counted before the result said it was dropped) and Continue offered one epoch too
few from the wrong start.

The runs are real: SGD at a rate of 1000 on a small regression, started from weights
saved by Keras, trained by the worker's engine in this process; the weights kept are
compared with Keras' own fit of those weights to epoch k."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from kerascanvas.app.training.continue_plan import continue_start
from kerascanvas.app.training.history import load_runs
from kerascanvas.runtime import run_record
from tests.runtime.test_bridge import one_thread  # noqa: F401  (autouse fixture)
from tests.runtime.test_run import classifier, project, read_log, run

from . import test_continue_records
from .test_continue_records import train_as_the_worker
from .training_fakes import FakeRun, start_checked

EPOCHS, RATE, SAMPLES = 5, 1e3, 32
open_panel = test_continue_records.open_panel  # the fixture


def keras_model(path) -> keras.Model:
    """The project's model (features -> hidden -> out), built and saved by Keras."""
    keras.utils.set_random_seed(0)
    features = keras.Input((4,), name="features")
    hidden = keras.layers.Dense(8, name="hidden")(features)
    model = keras.Model(features, keras.layers.Dense(1, name="out")(hidden))
    model.save(path)
    return model


def diverging_project(tmp_path, batch: int):
    """A regression set to train `EPOCHS` epochs with SGD at `RATE` from Keras' saved
    weights, in order (no shuffle, no validation split): its path, document and data."""
    rng = np.random.default_rng(0)
    x, y = rng.random((SAMPLES, 4), dtype="float32"), np.ones((SAMPLES, 1), "float32")
    np.savez(tmp_path / "r.npz", x=x, y=y)
    keras_model(tmp_path / "w0.keras")
    doc = classifier(units=1, activation=None, training={
        "loss": "mse", "metrics": [], "epochs": EPOCHS, "batch_size": batch, "seed": 0,
        "shuffle": False, "validation_split": 0.0, "data": str(tmp_path / "r.npz"),
        "optimizer": {"name": "sgd", "learning_rate": RATE}})
    doc.weights = {"source": str(tmp_path / "w0.keras")}
    return project(tmp_path, doc), doc, (x, y)


def keras_fit(tmp_path, data, batch: int, epochs: int) -> list[np.ndarray]:
    """The weights Keras' own fit reaches from the saved weights after `epochs` epochs."""
    model = keras.saving.load_model(tmp_path / "w0.keras")
    model.compile(optimizer=keras.optimizers.SGD(RATE), loss="mse")
    if epochs:
        model.fit(*data, batch_size=batch, epochs=epochs, shuffle=False, verbose=0)
    return model.get_weights()


@pytest.mark.parametrize("batch, kept", [(4, 0), (32, 2)])
def test_continue_after_a_nan_starts_at_the_epoch_kept(open_panel, qtbot, tmp_path,
                                                       batch, kept):
    path, doc, data = diverging_project(tmp_path, batch)
    panel = open_panel(path, doc)
    assert start_checked(panel, qtbot)
    record = panel.controller.current
    result = train_as_the_worker(FakeRun.made[-1], qtbot, record)
    assert result.nan and result.dropped_epoch == kept + 1, result.message
    assert result.epochs_run == kept and record.epochs_done == kept
    saved = keras.saving.load_model(record.saved_path)
    for ours, theirs in zip(saved.get_weights(), keras_fit(tmp_path, data, batch, kept),
                            strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4)
    assert run_record.resume_point(run_record.read(record.saved_path)) == (kept, EPOCHS)
    listed = json.loads((tmp_path / "model.runs" / "runs.json").read_text())["runs"]
    assert [(e["epochs_done"], e["result"]["epochs_run"]) for e in listed] == [(kept, kept)]
    box = panel.continue_to
    assert box.minimum() == kept + 1
    assert box.text() == f"{EPOCHS} ({EPOCHS - kept} more)"
    # Without its run record (a model kept before records), the runs list decides.
    run_record.record_path(record.saved_path).unlink()
    [loaded], _ = load_runs(tmp_path / "model.runs")
    assert continue_start(loaded) == continue_start(record) == kept
    panel.continue_lr.setText("0.01")
    panel.continue_button.click()
    assert FakeRun.made[-1].extra["initial_epoch"] == kept
    assert FakeRun.made[-1].overrides["epochs"] == EPOCHS


@pytest.mark.parametrize("batch, kept", [(4, 0), (32, 2)])
def test_run_resume_after_a_nan_starts_at_the_epoch_kept(tmp_path, capsys, batch, kept):
    """`kerascanvas run --resume` reads the same record: it trains from epoch k + 1 to
    the plan's end, from the weights Keras' fit reaches at epoch k (those of epoch 2 have
    grown so large that even a tiny rate gives a NaN again at once: a dropped epoch 3)."""
    path, _, data = diverging_project(tmp_path, batch)
    saved, log = tmp_path / "nan.keras", tmp_path / "more.jsonl"
    assert run(path, "--save", saved) == 3
    for ours, theirs in zip(keras.saving.load_model(saved).get_weights(),
                            keras_fit(tmp_path, data, batch, kept), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4)
    code = run(path, "--resume", saved, "--lr", "1e-20", "--log", log)
    events = read_log(log)
    begin, result = events[0], events[-1]
    assert (begin.kind, begin.epochs, result.initial_epoch) == ("train_begin", EPOCHS, kept)
    ended = [e.epoch + 1 for e in events if e.kind == "epoch_end"]
    if kept:
        assert (code, result.dropped_epoch, ended) == (3, kept + 1, [kept + 1])
    else:
        assert (code, ended) == (0, list(range(1, EPOCHS + 1)))
