"""Callbacks from settings, the TensorBoard writer, and FastBridge against Keras' own logs."""

import threading

import numpy as np
import pytest

from kerascanvas.runtime.callbacks import (
    FastBridge,
    TensorBoardLogger,
    make_callbacks,
    overrides_batch_end,
)
from kerascanvas.runtime.keras_env import import_keras

keras = import_keras()
X = np.random.default_rng(0).standard_normal((80, 5)).astype("float32")
Y = (X[:, 0] > 0).astype("int64")


def tiny_model():
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


class BatchLogs(keras.callbacks.Callback):
    """Keras' own view of each batch, to compare the bridge's reads against."""

    def __init__(self):
        super().__init__()
        self.logs = []

    def on_train_batch_end(self, batch, logs=None):
        self.logs.append(dict(logs))


def test_fast_bridge_has_no_batch_end_hook_so_keras_stays_async():
    bridge = FastBridge(lambda e: None)
    assert overrides_batch_end([bridge]) == []
    assert overrides_batch_end([BatchLogs()]) == ["BatchLogs"]
    assert "on_train_batch_end" not in FastBridge.__dict__
    assert "on_batch_end" not in FastBridge.__dict__
    listed = keras.callbacks.CallbackList([bridge], add_history=True, model=tiny_model())
    assert listed._async_train


def fit_with(bridge, epochs=2, **kwargs):
    model = tiny_model()
    reference = BatchLogs()
    history = model.fit(X, Y, batch_size=16, epochs=epochs, verbose=0,
                        callbacks=[bridge, reference], **kwargs)
    return model, history, reference


def test_events_carry_keras_running_means_and_epoch_logs():
    events = []
    model, history, reference = fit_with(FastBridge(events.append, max_rate=0, batch_size=16,
                                                    samples=64), validation_split=0.2)
    kinds = [e["event"] for e in events]
    assert kinds[0] == "train_begin" and kinds[-1] == "train_end"
    assert kinds.count("epoch_end") == 2 and kinds.count("batch_end") == 8
    batches = [e for e in events if e["event"] == "batch_end"]
    for event, logs in zip(batches, reference.logs, strict=True):
        assert event["logs"] == pytest.approx(logs, rel=1e-6)
    assert [e["batch"] for e in batches] == [0, 1, 2, 3] * 2
    ends = [e for e in events if e["event"] == "epoch_end"]
    for i, end in enumerate(ends):
        assert end["logs"] == pytest.approx({k: v[i] for k, v in history.history.items()})
        assert end["lr"] == pytest.approx(float(model.optimizer.learning_rate))
        assert end["samples_per_s"] > 0
    assert ends[-1]["eta_s"] == 0
    assert events[0]["steps"] == 4 and events[0]["epochs"] == 2


def test_batch_events_are_throttled_but_each_epoch_ends_with_its_last_batch():
    events = []
    fit_with(FastBridge(events.append, max_rate=1e-6), epochs=3)
    batches = [e for e in events if e["event"] == "batch_end"]
    assert [(e["epoch"], e["batch"]) for e in batches] == [(0, 4), (1, 4), (2, 4)]


def test_stop_request_ends_after_the_current_batch():
    def sink(event):
        if event["event"] == "batch_end" and event["batch"] == 1:
            bridge.request_stop()

    events = []
    bridge = FastBridge(lambda e: (events.append(e), sink(e)), max_rate=0)
    model, history, _ = fit_with(bridge, epochs=5)
    # The event for batch 1 is read as batch 2 begins; batch 2 is the current one.
    assert int(model.optimizer.iterations) == 3
    assert events[-1]["event"] == "train_end" and events[-1]["stopped"] is True
    assert len(history.history["loss"]) == 1


def test_pause_holds_training_until_resume():
    events = []

    def sink(event):
        events.append(event)
        if event["event"] == "batch_end" and event["epoch"] == 0 and event["batch"] == 0:
            bridge.pause()
            threading.Timer(0.3, bridge.resume).start()

    bridge = FastBridge(sink, max_rate=0)
    model, _, _ = fit_with(bridge, epochs=1)
    kinds = [e["event"] for e in events]
    assert kinds.index("paused") < kinds.index("resumed") < kinds.index("epoch_end")
    assert int(model.optimizer.iterations) == 5


def test_nan_loss_is_noticed_and_stops_training():
    events = []
    bridge = FastBridge(events.append, max_rate=0)
    model = tiny_model()
    x = X.copy()
    x[20:] = np.nan
    model.fit(x, Y, batch_size=16, epochs=3, verbose=0, callbacks=[bridge], shuffle=False)
    assert bridge.nan_at == (0, 1)
    assert int(model.optimizer.iterations) == 3


def test_make_callbacks_builds_keras_callbacks_with_keras_defaults(tmp_path):
    settings = {"callbacks": [
        {"name": "early_stopping", "patience": 3, "restore_best_weights": True},
        {"name": "model_checkpoint", "filepath": str(tmp_path / "ck" / "best.keras"),
         "save_best_only": True},
        {"name": "reduce_lr_on_plateau", "factor": 0.5},
        {"name": "csv_logger", "filename": str(tmp_path / "log.csv")},
        {"name": "terminate_on_nan"},
        {"name": "tensorboard", "log_dir": str(tmp_path / "tb")},
    ]}
    made = make_callbacks(settings)
    early, ckpt, plateau, csv, nan, board = made
    reference = keras.callbacks.EarlyStopping(patience=3, restore_best_weights=True)
    keys = ("patience", "monitor", "min_delta", "baseline", "restore_best_weights",
            "start_from_epoch")
    assert [getattr(early, k) for k in keys] == [getattr(reference, k) for k in keys]
    assert ckpt.save_best_only and ckpt.monitor == "val_loss"
    ref_plateau = keras.callbacks.ReduceLROnPlateau(factor=0.5)
    assert (plateau.factor, plateau.patience, plateau.min_delta, plateau.min_lr) == (
        ref_plateau.factor, ref_plateau.patience, ref_plateau.min_delta, ref_plateau.min_lr)
    assert isinstance(csv, keras.callbacks.CSVLogger)
    assert isinstance(nan, keras.callbacks.TerminateOnNaN)
    assert isinstance(board, TensorBoardLogger)
    assert (tmp_path / "ck").is_dir()


@pytest.mark.parametrize("entry, field", [
    ({"name": "early_stop"}, r"callbacks\[0\]\.name"),
    ({"name": "early_stopping", "patience": -2}, r"callbacks\[0\]\.patience"),
    ({"name": "early_stopping", "wait": 2}, r"callbacks\[0\]\.wait"),
    ({"name": "model_checkpoint"}, r"callbacks\[0\]\.filepath"),
    ({"name": "model_checkpoint", "filepath": "m.h5"}, r"callbacks\[0\]\.filepath"),
])
def test_bad_callbacks_are_refused_naming_the_field(entry, field):
    with pytest.raises(ValueError, match=field):
        make_callbacks({"callbacks": [entry]})


def test_tensorboard_writes_the_epoch_logs_and_learning_rate(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    model = tiny_model()
    history = model.fit(X, Y, batch_size=16, epochs=3, verbose=0, validation_split=0.25,
                        callbacks=[TensorBoardLogger(str(tmp_path))])
    events = EventAccumulator(str(tmp_path))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    assert {"train/loss", "train/accuracy", "validation/loss", "validation/accuracy",
            "learning_rate"} <= tags
    for tag, key in (("train/loss", "loss"), ("validation/accuracy", "val_accuracy")):
        values = [s.value for s in events.Scalars(tag)]
        assert values == pytest.approx(history.history[key], rel=1e-6)
    assert [s.step for s in events.Scalars("learning_rate")] == [0, 1, 2]
