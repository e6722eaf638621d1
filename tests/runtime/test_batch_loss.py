"""The bridge's batch loss against Keras: the mean loss of the batches since the previous
event, recovered from Keras' running means, equals the losses Keras computes batch by
batch (a short last batch weighing what it holds, each epoch starting afresh)."""

from __future__ import annotations

import numpy as np
import pytest

from kerascanvas.runtime import events as ev
from kerascanvas.runtime.bridge import FastBridge, mean_since
from kerascanvas.runtime.keras_env import import_keras

from .test_bridge import one_thread  # noqa: F401 (autouse: one torch thread)

keras = import_keras()
BATCH = 8
X = np.random.default_rng(3).standard_normal((50, 4)).astype("float32")  # 7 batches, last 2
Y = np.stack([X[:, 0] - X[:, 1], X[:, 2] * X[:, 3]], axis=1).astype("float32")


class TrueLosses(keras.callbacks.Callback):
    """Each batch's loss as Keras computes it, with the weights its training step uses:
    read before the step (no dropout or batch statistics in this model, so the forward
    pass is the step's own)."""

    def __init__(self):
        super().__init__()
        self.losses: list[list[tuple[float, int]]] = []

    def on_epoch_begin(self, epoch, logs=None):
        self.losses.append([])

    def on_train_batch_begin(self, batch, logs=None):
        rows = slice(batch * BATCH, (batch + 1) * BATCH)
        x, y = keras.ops.convert_to_tensor(X[rows]), keras.ops.convert_to_tensor(Y[rows])
        loss = self.model.compute_loss(x, y, self.model(x, training=True), training=True)
        self.losses[-1].append((float(keras.ops.convert_to_numpy(loss)), len(x)))


class Clock:
    """Time runs so that the throttle lets through every third read or so."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        self.now += 0.02
        return self.now


def test_batch_losses_are_the_means_of_the_batches_between_two_events():
    keras.utils.set_random_seed(4)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="tanh"),
                              keras.layers.Dense(2)])
    model.compile(keras.optimizers.SGD(0.3), "mse", metrics=["mae"])
    events: list = []
    bridge = FastBridge(events.append, clock=Clock())
    truth = TrueLosses()
    model.fit(X, Y, batch_size=BATCH, epochs=3, shuffle=False, verbose=0,
              callbacks=[truth, bridge])
    batches = [e for e in events if isinstance(e, ev.BatchEnd)]
    skipped = False
    for epoch in range(3):
        sent = [e for e in batches if e.epoch == epoch]
        assert sent[-1].batch == 6
        first = 0
        for event in sent:
            covered = truth.losses[epoch][first:event.batch + 1]
            skipped = skipped or len(covered) > 1
            losses, sizes = np.array(covered).T
            assert event.batch_logs["loss"] == pytest.approx(
                float(np.average(losses, weights=sizes)), rel=1e-5, abs=1e-6)
            assert set(event.batch_logs) == {"loss"}  # metrics get no batch value
            first = event.batch + 1
    assert skipped  # reads did skip batches
    # The running means are still Keras' own, and the epoch's mean is theirs too.
    assert any(abs(e.logs["loss"] - e.batch_logs["loss"]) > 1e-3 for e in batches)
    epoch_losses = [np.average(np.array(e)[:, 0], weights=np.array(e)[:, 1])
                    for e in truth.losses]
    ends = [e.logs["loss"] for e in events if isinstance(e, ev.EpochEnd)]
    np.testing.assert_allclose(ends, epoch_losses, rtol=1e-5)


def test_mean_since_recovers_the_values_between_two_running_means():
    values = [4.0, 2.0, 7.0, 1.0, 1.0]
    means = np.cumsum(values) / np.arange(1, 6)
    assert mean_since(None, 2, means[1]) == pytest.approx(3.0)
    assert mean_since((2, means[1]), 5, means[4]) == pytest.approx(3.0)
    assert np.isnan(mean_since((2, np.nan), 5, np.nan))
