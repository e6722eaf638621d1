"""The callback bridge: events against Keras' own logs, throttle, stop, pause, NaN."""

from __future__ import annotations

import json
import math
import queue
import threading

import numpy as np
import pytest
import torch

from kerascanvas.runtime.bridge import BridgeBase, FastBridge
from kerascanvas.runtime.callbacks import overrides_batch_end
from kerascanvas.runtime.events import from_wire, plain, to_wire
from kerascanvas.runtime.keras_env import import_keras

keras = import_keras()
X = np.random.default_rng(0).standard_normal((80, 5)).astype("float32")
Y = (X[:, 0] > 0).astype("int64")


@pytest.fixture(autouse=True)
def one_thread():
    # Several torch threads on a busy 2-core machine are many times slower.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def tiny_model():
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


class BatchLogs(keras.callbacks.Callback):
    """Keras' own view of each batch, to compare the bridge's reads against."""

    def __init__(self, action=None):
        super().__init__()
        self.logs = []
        self.action = action

    def on_train_batch_end(self, batch, logs=None):
        self.logs.append(dict(logs))
        if self.action:
            self.action(len(self.logs))


def fit_with(bridge, epochs=2, extra=(), model=None, **kwargs):
    model = model or tiny_model()
    reference = BatchLogs()
    history = model.fit(X, Y, batch_size=16, epochs=epochs, verbose=0,
                        callbacks=[bridge, reference, *extra], **kwargs)
    return model, history, reference


class FakeClock:
    def __init__(self, step):
        self.now, self.step = 0.0, step

    def __call__(self):
        self.now += self.step
        return self.now


def test_fast_bridge_has_no_batch_end_hook_so_keras_stays_async():
    bridge = FastBridge()
    assert isinstance(bridge, BridgeBase)
    assert overrides_batch_end([bridge]) == []
    assert overrides_batch_end([BatchLogs()]) == ["BatchLogs"]
    listed = keras.callbacks.CallbackList([bridge], add_history=True, model=tiny_model())
    assert listed._async_train


def test_events_carry_keras_running_means_and_epoch_logs_as_json():
    events = []
    bridge = FastBridge(events.append, {"epochs": 2}, max_rate=0, batch_size=16, samples=64)
    model, history, reference = fit_with(bridge, validation_split=0.2)
    kinds = [e.kind for e in events]
    assert kinds[0] == "train_begin" and kinds[-1] == "train_end"
    assert kinds.count("epoch_end") == 2 and kinds.count("batch_end") == 8
    assert events[0].steps == 4 and events[0].epochs == 2
    assert events[0].settings == {"epochs": 2} and events[0].initial_epoch == 0
    batches = [e for e in events if e.kind == "batch_end"]
    for event, logs in zip(batches, reference.logs, strict=True):
        assert event.logs == pytest.approx(logs, rel=1e-6)
    assert [e.batch for e in batches] == [0, 1, 2, 3] * 2
    ends = [e for e in events if e.kind == "epoch_end"]
    for i, end in enumerate(ends):
        assert end.logs == pytest.approx({k: v[i] for k, v in history.history.items()})
        assert end.lr == pytest.approx(float(model.optimizer.learning_rate))
        assert end.samples_per_s > 0
    assert ends[-1].eta_s == 0
    for event in events:  # plain numbers, ready for the wire
        assert from_wire(json.loads(json.dumps(to_wire(event)))) == event


def test_batch_events_carry_lr_rate_and_a_shrinking_eta():
    events = []
    fit_with(FastBridge(events.append, max_rate=0, batch_size=16, samples=80), epochs=2)
    batches = [e for e in events if e.kind == "batch_end"]
    assert all(e.lr == pytest.approx(0.01) for e in batches)  # SGD's default rate
    assert all(e.samples_per_s > 0 for e in batches)
    etas = [e.eta_s for e in batches]
    assert etas[-1] == 0 and etas[0] > 0


def test_plain_keeps_nan_as_float():
    out = plain({"loss": np.float32("nan"), "shape": (1, 2), "n": np.int64(3)})
    assert math.isnan(out["loss"]) and out["shape"] == [1, 2] and out["n"] == 3.0
    assert "NaN" in json.dumps(out)


def test_batch_events_are_throttled_but_each_epoch_ends_with_its_last_batch():
    events = []
    fit_with(FastBridge(events.append, max_rate=1e-6), epochs=3)
    batches = [e for e in events if e.kind == "batch_end"]
    assert [(e.epoch, e.batch) for e in batches] == [(0, 4), (1, 4), (2, 4)]


def test_throttle_sends_about_max_rate_events_per_second():
    events = []
    # Each clock read advances 10 ms; at most 20 events per second lets about one
    # batch in five through, plus the last batch of the epoch.
    bridge = FastBridge(events.append, max_rate=20, clock=FakeClock(0.01))
    x = np.zeros((40, 5), "float32")
    tiny_model().fit(x, np.zeros(40, "int64"), batch_size=1, epochs=1, verbose=0,
                     callbacks=[bridge])
    sent = [e.batch for e in events if e.kind == "batch_end"]
    assert sent[-1] == 39
    assert 7 <= len(sent) <= 10
    assert np.all(np.diff(sent[:-1]) >= 4)


def test_a_validation_pass_says_it_goes_on_as_it_begins_and_then_every_few_seconds():
    # Each clock read advances 1 s; 20 validation batches per epoch.
    events = []
    fit_with(FastBridge(events.append, clock=FakeClock(1.0)), epochs=2,
             validation_data=(X, Y), validation_batch_size=4)
    said = [e for e in events if e.kind == "validating"]
    assert {e.batches for e in said} == {math.ceil(len(X) / 4)}  # Keras' pass length
    for epoch in (0, 1):
        batches = [e.batch for e in said if e.epoch == epoch]
        assert batches[0] == 0 and 3 <= len(batches) <= 5, batches
        assert np.all(np.diff(batches) >= 4)  # at most every VALIDATING_EVERY_S (5 s)
    kinds = [e.kind for e in events]  # inside the epoch: after its training batches
    assert kinds.index("validating") < kinds.index("epoch_end")
    assert from_wire(to_wire(said[0])) == said[0]


def test_continued_runs_number_epochs_on():
    events = []
    bridge = FastBridge(events.append, max_rate=0)
    bridge.describe({}, 16, 80, initial_epoch=3)
    fit_with(bridge, epochs=5, initial_epoch=3)
    assert events[0].initial_epoch == 3
    assert [e.epoch for e in events if e.kind == "epoch_end"] == [3, 4]
    assert events[-1].epochs_run == 5


def test_stop_request_ends_after_the_current_batch():
    def sink(event):
        events.append(event)
        if event.kind == "batch_end" and event.batch == 1:
            bridge.request_stop()

    events = []
    bridge = FastBridge(sink, max_rate=0)
    model, history, _ = fit_with(bridge, epochs=5)
    # The event for batch 1 is read as batch 2 begins; batch 2 is the current one.
    assert int(model.optimizer.iterations) == 3
    assert events[-1].kind == "train_end" and events[-1].stopped is True
    assert len(history.history["loss"]) == 1


def test_stop_before_training_begins_ends_after_the_first_batch_of_the_first_epoch():
    # Keras checks `stop_training` after each batch, so exactly one batch runs.
    bridge = FastBridge()
    bridge.request_stop()
    model, history, _ = fit_with(bridge, epochs=3)
    assert int(model.optimizer.iterations) == 1
    assert history.epoch == [0]


def paused_run(pause_at: int, epochs: int, **options):
    """Train in a thread that pauses itself after batch `pause_at`; return once it is held."""
    events: queue.Queue = queue.Queue()
    bridge = FastBridge(events.put, max_rate=0, **options)
    counter = BatchLogs(lambda n: bridge.pause() if n == pause_at else None)
    worker = threading.Thread(target=fit_with, args=(bridge, epochs, [counter]), daemon=True)
    worker.start()
    while events.get(timeout=60).kind != "paused":
        pass
    return bridge, counter, worker, events


def test_pause_holds_training_until_resume():
    bridge, counter, worker, events = paused_run(pause_at=2, epochs=1)
    assert bridge.paused and worker.is_alive()
    worker.join(timeout=0.3)
    assert worker.is_alive() and len(counter.logs) == 2 and events.empty()
    bridge.resume()
    worker.join(timeout=60)
    assert not worker.is_alive() and len(counter.logs) == 5
    rest = [events.get_nowait() for _ in range(events.qsize())]
    assert rest[0].kind == "resumed" and rest[-1].kind == "train_end"


def test_time_spent_paused_counts_in_neither_the_rate_nor_the_eta():
    """After a pause the progress bar gave an ETA of many minutes and a tiny samples/s: the
    epoch's elapsed time, which both divide by, included the time the run was held."""
    clock = FakeClock(0.01)
    bridge, _, worker, events = paused_run(pause_at=2, epochs=2, clock=clock, batch_size=16,
                                           samples=80)
    clock.now += 1000.0  # the user comes back after a while
    bridge.resume()
    worker.join(timeout=60)
    rest = [events.get_nowait() for _ in range(events.qsize())]
    first_end = next(e for e in rest if e.kind == "epoch_end")
    assert first_end.samples_per_s > 80 / 10.0  # seconds of work, not the 1000 s held
    after = [e for e in rest if e.kind == "batch_end"]
    assert after and all(e.eta_s < 10.0 for e in after)
    assert first_end.eta_s < 10.0


def test_stop_releases_a_pause():
    bridge, counter, worker, _ = paused_run(pause_at=1, epochs=3)
    bridge.request_stop()
    worker.join(timeout=60)
    # The hold sits in the next batch's begin hook: that one batch still runs.
    assert not worker.is_alive() and len(counter.logs) == 2


def test_nan_loss_is_noticed_and_stops_training():
    bridge = FastBridge(max_rate=0)
    model = tiny_model()
    x = X.copy()
    x[20:] = np.nan
    model.fit(x, Y, batch_size=16, epochs=3, verbose=0, callbacks=[bridge], shuffle=False)
    assert bridge.nan_at == (0, 1)
    assert int(model.optimizer.iterations) == 3
