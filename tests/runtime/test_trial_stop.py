"""A stopped search trial ends within a batch, in training and in its validation pass,
and is recorded as stopped; the trial server runs at a lower priority than the caller.

The in-process tests train with the trial's bridge (`runtime.search.stopping`); the
real search with a trial process stopped during a long validation pass is slow.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.projectfile import save
from kerascanvas.runtime import events as ev
from kerascanvas.runtime.keras_env import import_keras
from kerascanvas.runtime.search import server_priority
from kerascanvas.runtime.search import study as studies
from kerascanvas.runtime.search.stopping import TrialBridge

keras = import_keras()


def wide_project(tmp_path: Path, samples: int, width: int, validation_split: float,
                 epochs: int = 2) -> Document:
    """Synthetic 64-feature, 4-class data -> Dense(width) x2 -> Dense(4 softmax)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(samples, 64)).astype("float32")
    y = (x[:, 0] > 0).astype("int64") + 2 * (x[:, 1] > 0).astype("int64")
    np.savez(tmp_path / "wide.npz", x=x, y=y)
    doc = Document()
    ids = [doc.add_node("Input", "features", {"shape": [64]}).id]
    for name in ("h1", "h2"):
        ids.append(doc.add_node("Dense", name, {"units": width, "activation": "relu"}).id)
    ids.append(doc.add_node("Dense", "label", {"units": 4, "activation": "softmax"}).id)
    for a, b in zip(ids, ids[1:], strict=False):
        doc.connect(Edge(a, 0, b, 0))
    doc.set_outputs([ids[-1]])
    doc.training = {"data": str(tmp_path / "wide.npz"),
                    "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"],
                    "epochs": epochs, "batch_size": 32, "seed": 0,
                    "validation_split": validation_split,
                    "optimizer": {"name": "adam", "learning_rate": 0.001}}
    doc.search = {"metric": "val_accuracy",
                  "params": [{"node": ids[1], "param": "units", "type": "choice",
                              "choices": [width]}]}
    save(doc, tmp_path / "wide.json")
    return doc


class StopInValidation(keras.callbacks.Callback):
    """Asks the bridge to stop at validation batch `at`; counts the validation batches
    run, and those of any later `evaluate`."""

    def __init__(self, bridge, at: int):
        super().__init__()
        self.bridge, self.at, self.batches = bridge, at, 0

    def on_test_batch_begin(self, batch, logs=None):
        self.batches += 1
        if batch == self.at:
            self.bridge.request_stop()


def train_with(doc: Document, bridge, callbacks=()):
    from kerascanvas.graph.project import Project
    from kerascanvas.runtime.train import load_checked_data, prepare, train

    project = Project(doc)
    doc, settings = prepare(project.doc, analysis=project.analysis)
    data = load_checked_data(doc, settings, analysis=project.analysis)
    return train(doc, data, bridge=bridge, callbacks=list(callbacks), resolved=settings,
                 analysis=project.analysis)


def test_a_stop_in_the_validation_pass_ends_it_and_the_epoch_does_not_count(tmp_path):
    doc = wide_project(tmp_path, samples=4000, width=32, validation_split=0.8)
    events: list = []
    bridge = TrialBridge(events.append)
    stopper = StopInValidation(bridge, at=2)
    result = train_with(doc, bridge, [stopper])
    val_batches = int(np.ceil(4000 * 0.8 / 32))  # 100 in a whole pass
    assert stopper.batches <= 4 < val_batches  # ended after the batch it was asked in
    assert result.status == "stopped" and result.epochs_run == 0
    assert not [e for e in events if isinstance(e, ev.EpochEnd)]  # no partial score sent
    assert bridge.val_cut[0] == 0  # (epoch, validation batches run, in the pass)
    assert not any(k.startswith("val_") and v for k, v in result.history.items())
    assert result.metrics == {}  # the final evaluation was skipped, not run on partial data
    assert "evaluate" not in result.model.__dict__  # Keras' own method is back


def test_a_stop_during_training_still_ends_after_the_current_batch(tmp_path):
    doc = wide_project(tmp_path, samples=2000, width=16, validation_split=0.2)
    events: list = []
    bridge = TrialBridge(events.append)

    class StopAtBatch(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            if batch == 3:
                bridge.request_stop()

    result = train_with(doc, bridge, [StopAtBatch()])
    assert result.status == "stopped" and result.epochs_run == 0
    assert bridge.stopped_in is not None and bridge.stopped_in[1] <= 5
    assert bridge.val_cut is None and result.metrics == {}


def test_an_unstopped_trial_bridge_changes_nothing(tmp_path):
    doc = wide_project(tmp_path, samples=600, width=8, validation_split=0.25)
    events: list = []
    result = train_with(doc, TrialBridge(events.append))
    ends = [e for e in events if isinstance(e, ev.EpochEnd)]
    assert result.status == "ok" and result.epochs_run == 2 and len(ends) == 2
    assert len(result.history["val_accuracy"]) == 2
    assert set(result.metrics) >= {"loss", "accuracy"}  # the final evaluation ran


# ---- the trial server's priority ------------------------------------------------------------
def test_the_priority_module_changes_nothing_outside_the_trial_server():
    assert not server_priority.in_trial_server()
    before = os.getpriority(os.PRIO_PROCESS, 0)
    import importlib

    importlib.reload(server_priority)
    assert os.getpriority(os.PRIO_PROCESS, 0) == before


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forkserver on Linux only")
def test_the_trial_server_lowers_its_priority_before_importing_torch():
    from multiprocessing import forkserver

    from kerascanvas.runtime.search import child

    assert child._PRELOAD[0] == server_priority.__name__
    assert child._PRELOAD.index("torch") > 0 and child._PRELOAD.index("keras") > 0
    ctx = child.context()
    process = ctx.Process(target=os.getpid)
    process.start()
    process.join(120)
    pid = forkserver._forkserver._forkserver_pid
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    assert pid is not None and pid != os.getpid()
    assert os.getpriority(os.PRIO_PROCESS, pid) == min(ours + server_priority.NICENESS, 19)
    assert ours == os.getpriority(os.PRIO_PROCESS, 0)  # the caller's priority is untouched


# ---- a real trial process, stopped during a long validation pass -------------------------
# ---- a trial that does not end after a stop -------------------------------------------------
class TrialClock:
    """The trial module's clock, moved only by the fake event queue's waits."""

    def __init__(self):
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now


class SilentEvents:
    """A trial's event queue that stays empty: each wait moves `clock` by its timeout;
    `looks` are the clock's readings after each."""

    def __init__(self, clock: TrialClock, limit_s: float):
        self.clock, self.limit, self.looks = clock, clock.now + limit_s, []

    def get(self, timeout=None):
        import queue

        assert timeout is not None, "the follow waits on the trial without a limit"
        self.clock.now += timeout
        self.looks.append(self.clock.now)
        assert self.clock.now < self.limit, "the trial was not killed a minute after the stop"
        raise queue.Empty


def test_a_trial_still_running_after_the_grace_period_is_killed_and_ends_stopped(
        tmp_path, monkeypatch):
    import queue

    from kerascanvas.runtime.search import driver as driver_module
    from kerascanvas.runtime.search import trial_process

    clock = TrialClock()

    class Busy:  # a trial process stuck in a long step (reading data, one long batch)
        killed_at = None

        def is_alive(self):
            return self.killed_at is None

        def kill(self):
            self.killed_at = clock.now

    doc = wide_project(tmp_path, samples=200, width=8, validation_split=0.25)
    driver = driver_module.SearchDriver(doc, driver_module.SearchOptions(
        storage=str(tmp_path / "s.log"), study_name="t", trials=1))
    monkeypatch.setattr(trial_process, "STOP_GRACE_S", 0.3)
    monkeypatch.setattr(trial_process, "time", clock)
    trial = driver.open().ask()
    busy, commands = Busy(), queue.Queue()
    driver.trials.add(trial.number, commands)
    driver.stop()
    asked = clock.now
    events = SilentEvents(clock, 60.0)
    result = driver.trials.follow(trial.number, busy, events, "accuracy", lambda event: None)
    # Killed at the first look past the grace: not before it, nor a look later.
    waited = [t - asked for t in events.looks]
    assert busy.killed_at == clock.now and max(waited[:-1], default=0.0) <= 0.3 < waited[-1]
    assert commands.get_nowait() == "stop"
    assert result.status == ev.STOPPED and result.epochs_run == 0
    assert "did not end within 0.3 s of the stop" in result.message
    with pytest.raises(driver_module.TrialFailed):
        driver._value(trial, result)
    assert trial.user_attrs[studies.MESSAGE] == (
        "Stopped by the user before its first epoch ended. Its process did not end within "
        "0.3 s of the stop and was killed.")


@pytest.mark.slow
def test_stopping_a_search_during_a_long_validation_pass_is_prompt(tmp_path):
    from kerascanvas.runtime.search import child
    from kerascanvas.runtime.search.driver import SearchDriver, SearchOptions

    # 1% trains (13 batches), 99% validates (1238 batches): training is ~3% of an epoch's
    # work. Epoch 1 is stopped a tenth of the first epoch's time (the trial's start
    # included) after it began: past its training, well inside its validation pass,
    # whatever the machine's load.
    doc = wide_project(tmp_path, samples=40_000, width=256, validation_split=0.99)
    process = child.context().Process(target=os.getpid)  # the server is up before timing
    process.start()
    process.join(300)
    seen: list[tuple[float, object]] = []
    stop_at: list[float] = []

    def stop():
        stop_at.append(time.monotonic())
        driver.stop()

    def on_event(event):
        seen.append((time.monotonic(), event))
        if isinstance(event, ev.TrialEpoch) and event.epoch == 0:
            threading.Timer(0.1 * (seen[-1][0] - seen[0][0]), stop).start()

    driver = SearchDriver(doc, SearchOptions(storage=str(tmp_path / "s.log"),
                                             study_name="t", trials=2, seed=0),
                          on_event=on_event)
    study = driver.run()
    ended = time.monotonic()
    epoch_times = [t for t, e in seen if isinstance(e, ev.TrialEpoch)]
    starts = [t for t, e in seen if isinstance(e, ev.TrialStart)]
    (trial,) = study.trials  # no trial after the stop
    print(f"\nstart to first epoch end {epoch_times[0] - starts[0]:.1f} s; stop "
          f"{stop_at[0] - epoch_times[0]:.1f} s after it; stop to end {ended - stop_at[0]:.2f} s")
    # Ended by itself within a batch: a trial still running STOP_GRACE_S (5 s) after the
    # stop is killed, and its message says so.
    assert trial.state.name == "FAIL"
    assert trial.user_attrs[studies.MESSAGE] == "Stopped by the user after epoch 1."
    assert sorted(trial.intermediate_values) == [0]  # the cut epoch reported no score
    assert len(epoch_times) == 1
