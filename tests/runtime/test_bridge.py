"""The callback bridge: event contents, time throttle, stop and pause."""

from __future__ import annotations

import json
import math
import queue
import threading

import keras
import numpy as np
import pytest
import torch

from kerascanvas.runtime.bridge import EventBridge, plain

BATCHES = 8
SAMPLES = BATCHES * 4


@pytest.fixture(autouse=True)
def one_thread():
    # Several torch threads on a busy 2-core machine are many times slower.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def tiny_model(lr=0.01):
    x = keras.Input((3,))
    model = keras.Model(x, keras.layers.Dense(1)(x))
    model.compile(optimizer=keras.optimizers.SGD(lr), loss="mse", metrics=["mae"])
    return model


def data():
    rng = np.random.default_rng(0)
    return rng.random((SAMPLES, 3), dtype="float32"), rng.random((SAMPLES, 1), dtype="float32")


class Counter(keras.callbacks.Callback):
    def __init__(self, action=None):
        super().__init__()
        self.batches = 0
        self.action = action

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1
        if self.action:
            self.action(self.batches)


def fit(bridge, epochs=2, extra=(), model=None):
    x, y = data()
    model = model or tiny_model()
    model.fit(x, y, batch_size=4, epochs=epochs, verbose=0, shuffle=False,
              callbacks=[*extra, bridge])
    return model


class FakeClock:
    def __init__(self, step):
        self.now, self.step = 0.0, step

    def __call__(self):
        self.now += self.step
        return self.now


def test_events_carry_keras_logs_and_are_json():
    events = []
    bridge = EventBridge(events.append, {"epochs": 2}, batch_size=4, samples=SAMPLES,
                         max_rate=0)
    model = fit(bridge)
    kinds = [e["event"] for e in events]
    assert kinds[0] == "train_begin" and kinds[-1] == "train_end"
    assert kinds.count("epoch_end") == 2 and kinds.count("batch_end") == 2 * BATCHES
    begin = events[0]
    assert begin["settings"] == {"epochs": 2} and begin["steps"] == BATCHES
    ends = [e for e in events if e["event"] == "epoch_end"]
    assert [e["epoch"] for e in ends] == [0, 1]
    assert set(ends[-1]["logs"]) == set(model.history.history)
    assert ends[-1]["logs"]["loss"] == pytest.approx(model.history.history["loss"][-1])
    assert ends[0]["lr"] == pytest.approx(float(model.optimizer.learning_rate))
    assert ends[0]["samples_per_s"] > 0 and ends[-1]["eta_s"] == 0.0
    # Batch logs are running means: the last batch of an epoch matches the epoch's logs.
    last_batch = [e for e in events if e["event"] == "batch_end"][BATCHES - 1]
    assert last_batch["logs"]["loss"] == pytest.approx(ends[0]["logs"]["loss"])
    for event in events:
        assert json.loads(json.dumps(event)) == event


def test_plain_keeps_nan_as_float():
    out = plain({"loss": np.float32("nan"), "shape": (1, 2), "n": np.int64(3)})
    assert math.isnan(out["loss"]) and out["shape"] == [1, 2] and out["n"] == 3.0
    assert "NaN" in json.dumps(out)


def test_batch_events_are_throttled_by_time_but_the_last_batch_always_comes():
    events = []
    # Each clock read advances 10 ms; with at most 20 events per second about one in five
    # batches is sent, plus the last batch of each epoch.
    bridge = EventBridge(events.append, max_rate=20, clock=FakeClock(0.01))
    bridge.set_params({"epochs": 1, "steps": 40})
    for batch in range(40):
        bridge.on_train_batch_end(batch, {"loss": 1.0})
    sent = [e["batch"] for e in events]
    assert sent[-1] == 39
    assert 7 <= len(sent) <= 10
    gaps = np.diff(sent[:-1])
    assert np.all(gaps >= 5)


def test_unthrottled_bridge_sends_every_batch():
    events = []
    bridge = EventBridge(events.append, max_rate=0, clock=FakeClock(0.0))
    bridge.set_params({"epochs": 1, "steps": 5})
    for batch in range(5):
        bridge.on_train_batch_end(batch, {})
    assert [e["batch"] for e in events] == [0, 1, 2, 3, 4]


def test_stop_request_ends_after_the_current_batch():
    events = []
    bridge = EventBridge(events.append)
    counter = Counter(lambda n: bridge.request_stop() if n == 3 else None)
    fit(bridge, epochs=5, extra=[counter])
    assert counter.batches == 3
    assert events[-1]["event"] == "train_end" and events[-1]["stopped"] is True


def paused_run(pause_at: int, epochs: int):
    """Train in a thread that pauses itself after batch `pause_at`; return once it is held."""
    events: queue.Queue = queue.Queue()
    bridge = EventBridge(events.put, max_rate=0)
    counter = Counter(lambda n: bridge.pause() if n == pause_at else None)
    worker = threading.Thread(target=fit, args=(bridge, epochs, [counter]), daemon=True)
    worker.start()
    while events.get(timeout=60)["event"] != "paused":
        pass
    return bridge, counter, worker, events


def test_pause_blocks_between_batches_until_resume():
    bridge, counter, worker, events = paused_run(pause_at=2, epochs=1)
    assert bridge.paused and worker.is_alive()
    worker.join(timeout=0.3)
    assert worker.is_alive() and counter.batches == 2 and events.empty()
    bridge.resume()
    worker.join(timeout=60)
    assert not worker.is_alive() and counter.batches == BATCHES
    rest = [events.get_nowait() for _ in range(events.qsize())]
    assert rest[0]["event"] == "resumed" and rest[-1]["event"] == "train_end"


def test_stop_releases_a_pause():
    bridge, counter, worker, _ = paused_run(pause_at=1, epochs=3)
    bridge.request_stop()
    worker.join(timeout=60)
    assert not worker.is_alive() and counter.batches == 1
