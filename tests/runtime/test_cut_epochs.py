"""An epoch a stop cuts short, or whose loss is NaN, is not an epoch for the callbacks.

Keras' `fit` calls every `on_epoch_end` for the epoch it stops in, as if it were
complete. The callbacks of a run must end as Keras' `fit` leaves them after the
complete epochs alone: no CSV row, no checkpoint, no patience step, no history entry for
the cut epoch; and after a NaN loss, the reported history and metrics are those of the
weights kept.
"""

from __future__ import annotations

import csv

import keras
import numpy as np
import pytest

from kerascanvas.runtime.bridge import FastBridge
from kerascanvas.runtime.data import load_data
from kerascanvas.runtime.fitplan import plan_fit
from kerascanvas.runtime.train import NAN, STOPPED, train
from tests.runtime.test_bridge import one_thread  # noqa: F401  (autouse fixture)
from tests.runtime.test_run import classifier


class StopInEpoch(keras.callbacks.Callback):
    """Asks the bridge to stop after batch `batch` of epoch `epoch` (as the window's
    Stop or Ctrl+C do, from outside the training loop)."""

    def __init__(self, bridge, epoch: int, batch: int):
        super().__init__()
        self.bridge, self.at, self.epoch = bridge, (epoch, batch), None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            self.bridge.request_stop()


def stopped_run(tmp_path, stop_epoch: int):
    """A run stopped after batch 2 of epoch `stop_epoch`, with the four Keras callbacks
    whose end-of-epoch state the cut epoch would change."""
    doc = classifier(training={
        "epochs": 20, "batch_size": 4, "seed": 3,
        "callbacks": [
            {"name": "csv_logger", "filename": str(tmp_path / "log.csv")},
            {"name": "model_checkpoint", "filepath": str(tmp_path / "every_{epoch}.keras"),
             "monitor": "loss"},
        ]})
    best = keras.callbacks.ModelCheckpoint(str(tmp_path / "best_{epoch}.keras"),
                                           monitor="loss", save_best_only=True)
    early = keras.callbacks.EarlyStopping(monitor="loss", patience=5)
    # min_delta 100: no epoch improves on the first, so each one seen is a plateau step.
    plateau = keras.callbacks.ReduceLROnPlateau(monitor="loss", patience=0, min_delta=100,
                                                factor=0.5)
    bridge = FastBridge(lambda event: None)
    validations = []
    counter = keras.callbacks.Callback()
    counter.on_test_begin = lambda logs=None: validations.append(1)
    result = train(doc, load_data("synthetic:64", doc), bridge=bridge,
                   callbacks=[StopInEpoch(bridge, stop_epoch, 2), best, early, plateau,
                              counter])
    assert len(validations) == stop_epoch  # the cut epoch is not validated
    return result, best, early, plateau


def test_a_cut_epoch_reaches_no_end_of_epoch_callback(tmp_path):
    stop_epoch = 1
    result, best, early, plateau = stopped_run(tmp_path, stop_epoch)
    assert result.status == STOPPED and result.epochs_run == stop_epoch
    losses = result.history["loss"]
    assert len(losses) == stop_epoch  # Keras' History: the complete epochs only
    with open(tmp_path / "log.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(row["epoch"]) for row in rows] == list(range(stop_epoch))
    assert float(rows[-1]["loss"]) == pytest.approx(losses[-1])
    saved = sorted(p.name for p in tmp_path.glob("*.keras"))
    assert saved == [f"best_{e}.keras" for e in range(1, stop_epoch + 1)] + \
        [f"every_{e}.keras" for e in range(1, stop_epoch + 1)]
    # After one complete epoch Keras' EarlyStopping holds that epoch's loss as its best
    # and has waited no epoch; ReduceLROnPlateau has taken no step.
    assert early.best == pytest.approx(losses[-1]) and early.wait == 0
    assert plateau.wait == 0 and plateau.best == pytest.approx(losses[-1])
    assert float(keras.ops.convert_to_numpy(result.model.optimizer.learning_rate)) == \
        pytest.approx(0.001)


def test_epochs_end_as_in_keras_when_no_stop_cuts_them(tmp_path):
    """Complete epochs reach the callbacks as in Keras' fit: the plateau halves the rate
    after every epoch past the first, each epoch logs a row and saves."""
    doc = classifier(training={"epochs": 3, "batch_size": 16, "callbacks": [
        {"name": "csv_logger", "filename": str(tmp_path / "log.csv")}]})
    plateau = keras.callbacks.ReduceLROnPlateau(monitor="loss", patience=0, min_delta=100,
                                                factor=0.5, min_lr=0.0)
    result = train(doc, load_data("synthetic:64", doc), callbacks=[plateau])
    with open(tmp_path / "log.csv", newline="") as handle:
        assert [int(row["epoch"]) for row in csv.DictReader(handle)] == [0, 1, 2]
    assert len(result.history["loss"]) == 3
    assert float(keras.ops.convert_to_numpy(result.model.optimizer.learning_rate)) == \
        pytest.approx(0.001 * 0.5 ** 2)


class PoisonAt(keras.callbacks.Callback):
    """Makes the weights NaN before batch 1 of epoch `epoch`; records the weights at
    the end of every complete epoch (as the checkpoints would)."""

    def __init__(self, epoch: int):
        super().__init__()
        self.at, self.epoch, self.ends = epoch, None, {}

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if self.epoch == self.at and batch == 1:
            self.model.set_weights([w * np.nan for w in self.model.get_weights()])

    def on_epoch_end(self, epoch, logs=None):
        self.ends[epoch] = self.model.get_weights()


@pytest.mark.parametrize("terminate_on_nan", [False, True])
def test_a_nan_epoch_is_dropped_from_the_history_and_the_metrics(tmp_path, terminate_on_nan):
    callbacks = [{"name": "terminate_on_nan"}] if terminate_on_nan else []
    callbacks.append({"name": "csv_logger", "filename": str(tmp_path / "log.csv")})
    doc = classifier(training={"epochs": 10, "batch_size": 16, "callbacks": callbacks})
    data = load_data("synthetic:64", doc)
    poison = PoisonAt(2)
    result = train(doc, data, callbacks=[poison])
    assert result.status == NAN and result.epochs_run == 2
    assert all(len(v) == 2 and np.all(np.isfinite(v)) for v in result.history.values())
    assert result.dropped_epoch == 3 and result.nan_losses == ("loss",)
    assert "epoch 3 was dropped" in result.message and "(loss not finite;" in result.message
    assert sorted(poison.ends) == [0, 1]  # no callback saw the NaN epoch end
    for kept, at_epoch_2 in zip(result.model.get_weights(), poison.ends[1], strict=True):
        np.testing.assert_array_equal(kept, at_epoch_2)
    # The final metrics are Keras' evaluation of the weights kept.
    plan = plan_fit(doc, data, result.settings)
    scores = result.model.evaluate(**plan.evaluate, verbose=0, return_dict=True)
    assert result.metrics == pytest.approx({k: float(v) for k, v in scores.items()})
    with open(tmp_path / "log.csv", newline="") as handle:
        assert [int(row["epoch"]) for row in csv.DictReader(handle)] == [0, 1]


def test_the_finite_weights_survive_a_second_fit_after_the_nan_epoch():
    """Fine-tuning fits twice with one keeper: a NaN in the first fit must not make the
    second fit's start (NaN weights) the weights restored."""
    from kerascanvas.runtime.callbacks import LastFiniteWeights

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((8, 4), "float32"), np.ones((8, 1), "float32")
    keeper, poison = LastFiniteWeights(), PoisonAt(1)
    model.fit(x, y, batch_size=2, epochs=3, verbose=0, callbacks=[keeper, poison])
    assert keeper.nan_epoch == 1 and keeper.nan_losses == ["loss"]
    model.fit(x, y, batch_size=2, epochs=1, verbose=0, callbacks=[keeper])
    keeper.restore()
    for kept, at_epoch_1 in zip(model.get_weights(), poison.ends[0], strict=True):
        np.testing.assert_array_equal(kept, at_epoch_1)
