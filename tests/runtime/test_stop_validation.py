"""A stop ends the validation pass and the final evaluation within a batch, in the
window's and `kerascanvas run`'s training (`FastBridge`), and the cut epoch is no epoch.

The stop is requested from another thread, as the window's command thread and the
signal handler do, at a known validation batch; the tests count the batches Keras ran
after it (never time them).
"""

from __future__ import annotations

import csv
import threading

import numpy as np

from kerascanvas.runtime import bridge as bridge_module
from kerascanvas.runtime import events as ev
from kerascanvas.runtime.bridge import FastBridge
from kerascanvas.runtime.cli.progress import metrics_table
from kerascanvas.runtime.keras_env import import_keras
from kerascanvas.runtime.train import STOPPED
from tests.runtime.test_trial_stop import train_with, wide_project

keras = import_keras()

SAMPLES, SPLIT, BATCH = 4000, 0.8, 32


def from_another_thread(bridge) -> None:
    """`bridge.request_stop()` on a thread of its own, waited for."""
    thread = threading.Thread(target=bridge.request_stop)
    thread.start()
    thread.join()


class Batches(keras.callbacks.Callback):
    """Counts the validation batches of each epoch; asks for a stop from another thread
    at validation batch `at` of epoch `epoch`."""

    def __init__(self, bridge, epoch: int | None = None, at: int = 0):
        super().__init__()
        self.bridge, self.stop_at = bridge, (epoch, at)
        self.epoch, self.per_epoch = 0, {}
        self.after_stop = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_test_batch_begin(self, batch, logs=None):
        self.per_epoch[self.epoch] = self.per_epoch.get(self.epoch, 0) + 1
        if self.bridge.stopped:
            self.after_stop += 1
        if (self.epoch, batch) == self.stop_at:
            from_another_thread(self.bridge)


def watchers(tmp_path):
    """The four Keras callbacks whose end-of-epoch state a partial score would change."""
    best = keras.callbacks.ModelCheckpoint(str(tmp_path / "best_{epoch}.keras"),
                                           monitor="val_loss", save_best_only=True)
    early = keras.callbacks.EarlyStopping(monitor="val_loss", patience=5)
    # min_delta 100: no epoch improves on the first, so each one seen is a plateau step.
    plateau = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", patience=0,
                                                min_delta=100, factor=0.5)
    log = keras.callbacks.CSVLogger(str(tmp_path / "log.csv"))
    return [best, early, plateau, log]


def test_a_stop_during_validation_ends_it_within_a_batch_and_the_epoch_is_not_one(tmp_path):
    doc = wide_project(tmp_path, samples=SAMPLES, width=16, validation_split=SPLIT,
                       epochs=3)
    events: list = []
    bridge = FastBridge(events.append)
    counter = Batches(bridge, epoch=1, at=2)
    best, early, plateau, log = watchers(tmp_path)
    result = train_with(doc, bridge, [counter, best, early, plateau, log])

    whole = counter.per_epoch[0]  # epoch 1 validated in full
    assert whole >= SAMPLES * SPLIT // BATCH
    assert counter.per_epoch[1] <= 4 < whole  # stopped after the batch it was asked in
    assert counter.after_stop <= 2  # and nothing after: no final evaluation either
    assert result.status == STOPPED and result.epochs_run == 1
    assert bridge.val_cut == (1, counter.per_epoch[1], whole)
    assert "while validating epoch 2, after" in result.message
    # No partial epoch anywhere: events, History, the callbacks' state, the model file.
    assert [e.epoch for e in events if isinstance(e, ev.EpochEnd)] == [0]
    assert {"loss", "val_loss", "val_accuracy"} <= set(result.history)
    assert {len(values) for values in result.history.values()} == {1}
    assert sorted(p.name for p in tmp_path.glob("*.keras")) == ["best_1.keras"]
    with open(tmp_path / "log.csv", newline="") as handle:
        assert [row["epoch"] for row in csv.DictReader(handle)] == ["0"]
    assert early.wait == 0 and plateau.wait == 0
    assert float(result.model.optimizer.learning_rate) == np.float32(0.001)  # no plateau step
    # The final evaluation is skipped, and the result says there is no score.
    assert result.metrics == {} and result.evaluated_on == ""
    assert result.unscored and "No final evaluation" in result.message
    assert "(no final evaluation, epoch 1, cpu)" in metrics_table(result).splitlines()[0]


def test_a_second_stop_cuts_the_final_evaluation_and_leaves_no_score(tmp_path, monkeypatch):
    doc = wide_project(tmp_path, samples=SAMPLES, width=16, validation_split=SPLIT,
                       epochs=3)
    bridge = FastBridge()

    class StopInTraining(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            if batch == 3:
                from_another_thread(bridge)

    final: list[int] = []
    cut_on_stop = bridge_module.CutOnStop.on_test_batch_begin

    def second_stop(self, batch, logs=None):  # the final evaluation's hook
        final.append(batch)
        if batch == 2:
            from_another_thread(self.bridge)
        cut_on_stop(self, batch, logs)

    monkeypatch.setattr(bridge_module.CutOnStop, "on_test_batch_begin", second_stop)
    result = train_with(doc, bridge, [StopInTraining()])
    assert result.status == STOPPED and result.epochs_run == 0
    assert bridge.stopped_in is not None and bridge.val_cut is None  # cut in training
    assert final == [0, 1, 2]  # the evaluation began, and ended after the asked batch
    assert result.metrics == {} and result.evaluated_on == ""
    assert "The final evaluation was stopped on request after 3 of" in result.message
    assert result.message.startswith("Stopped on request during epoch 1, after 4 of")


def test_a_stop_during_training_still_scores_the_model_in_full(tmp_path):
    doc = wide_project(tmp_path, samples=600, width=8, validation_split=0.5, epochs=3)
    bridge = FastBridge()

    class StopInEpoch2(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_begin(self, batch, logs=None):
            if (self.epoch, batch) == (1, 2):
                from_another_thread(bridge)

    result = train_with(doc, bridge, [StopInEpoch2()])
    assert result.status == STOPPED and result.epochs_run == 1
    assert set(result.metrics) == {"loss", "accuracy"} and not result.unscored
    assert result.evaluated_on == "validation"
    assert result.message.startswith("Stopped on request during epoch 2, after 3 of")


def test_a_stop_during_the_windows_predictions_drops_them(tmp_path, monkeypatch):
    from kerascanvas.graph.project import Project
    from kerascanvas.runtime.run_evaluation import evaluation_fields
    from kerascanvas.runtime.train import load_checked_data, prepare

    doc = wide_project(tmp_path, samples=1200, width=8, validation_split=SPLIT, epochs=1)
    bridge = FastBridge()
    result = train_with(doc, bridge)
    assert result.status == "ok" and result.metrics  # trained and scored in full
    predicted: list[int] = []
    cut_on_stop = bridge_module.CutOnStop.on_predict_batch_begin

    def stop_at_1(self, batch, logs=None):
        predicted.append(batch)
        if batch == 1:
            from_another_thread(self.bridge)
        cut_on_stop(self, batch, logs)

    monkeypatch.setattr(bridge_module.CutOnStop, "on_predict_batch_begin", stop_at_1)
    project = Project(doc)
    doc, settings = prepare(project.doc, analysis=project.analysis)
    data = load_checked_data(doc, settings, analysis=project.analysis)
    fields = evaluation_fields(result, doc, data, {"save": str(tmp_path / "m.keras")},
                               project.analysis, bridge_module.CutOnStop(bridge))
    assert predicted == [0, 1]
    assert "evaluation" not in fields and "stopped on request" in fields["evaluation_error"]
