"""`runtime.dispatch`: batch-end hooks reach the callbacks that define them, with the
logs Keras' own CallbackList gives them, and nothing goes through a thread pool."""

from __future__ import annotations

import concurrent.futures

import numpy as np
import pytest

from kerascanvas.runtime.dispatch import ListeningCallbackList, callback_list, plain_logs
from kerascanvas.runtime.keras_env import import_keras
from tests.runtime.test_bridge import one_thread  # noqa: F401  (autouse fixture)

keras = import_keras()
L = keras.layers
X = np.random.default_rng(0).normal(size=(40, 4)).astype("float32")
Y = np.random.default_rng(1).integers(0, 3, 40)


def model():
    keras.utils.set_random_seed(2)
    m = keras.Sequential([keras.Input((4,)), L.Dense(3, activation="softmax")])
    m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


class Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.train, self.test, self.legacy = [], [], []

    def on_train_batch_end(self, batch, logs=None):
        self.train.append((batch, dict(logs)))

    def on_test_batch_end(self, batch, logs=None):
        self.test.append((batch, dict(logs)))


class Legacy(keras.callbacks.Callback):
    """Overrides only `on_batch_end`, which Keras' default train hook forwards to."""

    def __init__(self):
        super().__init__()
        self.batches = []

    def on_batch_end(self, batch, logs=None):
        self.batches.append(batch)


class Quiet(keras.callbacks.Callback):
    """Defines no batch-end hook."""


@pytest.fixture
def submissions(monkeypatch):
    """Counts work handed to any thread pool."""
    count = []
    original = concurrent.futures.ThreadPoolExecutor.submit

    def submit(self, *args, **kwargs):
        count.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(concurrent.futures.ThreadPoolExecutor, "submit", submit)
    return count


def fit(m, callbacks, **kwargs):
    return m.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0,
                 validation_data=(X[:16], Y[:16]), callbacks=callbacks, **kwargs)


def test_listeners_get_the_logs_keras_gives_them():
    keras_side, ours = Recorder(), Recorder()
    fit(model(), [keras_side, Quiet()])
    m = model()
    fit(m, callback_list([ours, Quiet()], m, epochs=2, steps=5))
    assert [b for b, _ in ours.train] == [0, 1, 2, 3, 4] * 2
    assert ours.train == keras_side.train  # same batches, same Python-float logs
    assert ours.test == keras_side.test
    assert all(type(v) is float for _, logs in ours.train for v in logs.values())


def test_legacy_on_batch_end_is_called_for_training_batches():
    legacy = Legacy()
    m = model()
    fit(m, callback_list([legacy], m, epochs=2, steps=5))
    assert legacy.batches == [0, 1, 2, 3, 4] * 2


def test_a_lambda_callbacks_batch_hook_is_called():
    """LambdaCallback sets its hooks on the instance, not the class: they were skipped."""
    seen = []
    hook = keras.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(b))
    m = model()
    fit(m, callback_list([hook], m, epochs=2, steps=5))
    assert seen == [0, 1, 2, 3, 4] * 2


def test_nothing_goes_through_a_thread_pool(submissions):
    # Keras' own list hands every batch end to a pool when no callback listens...
    fit(model(), [Quiet()])
    assert len(submissions) >= 10
    submissions.clear()
    # ...ours skips them.
    m = model()
    history = fit(m, callback_list([Quiet()], m, epochs=2, steps=5))
    assert submissions == []
    assert len(history.history["loss"]) == 2 and "val_accuracy" in history.history
    assert m.history is history


def test_a_progress_bar_listens_when_verbose():
    m = model()
    made = callback_list([], m, epochs=1, steps=5, verbose=1)
    assert any(isinstance(c, keras.callbacks.ProgbarLogger) for c in made._train_listeners)
    assert isinstance(made, ListeningCallbackList)


def test_plain_logs_flattens_and_converts_like_keras():
    from keras.src.utils.python_utils import pythonify_logs

    ops = keras.ops
    logs = {"loss": ops.convert_to_tensor(0.5), "b": {"acc": ops.convert_to_tensor(0.25)},
            "name": "x", "n": 3}
    assert plain_logs(logs) == pythonify_logs(logs)
    assert list(plain_logs(logs)) == list(pythonify_logs(logs))
    vector = {"per_class": ops.convert_to_tensor([0.5, 0.25])}
    ours, theirs = plain_logs(vector)["per_class"], pythonify_logs(vector)["per_class"]
    assert type(ours) is type(theirs) and np.array_equal(ours, theirs)
