"""A CallbackList that calls batch-end hooks only on the callbacks that define them.

Keras 3 on torch hands every batch-end call to a thread pool whenever no
callback overrides a batch-end hook. For each batch `fit` then submits a
future, and a pool thread turns the batch logs into Python floats (on CUDA,
each conversion waits for the GPU) only to call hooks that do nothing. The
main thread pays for the submit and competes with that thread for the GIL.
When a callback does override one (Keras' TerminateOnNaN, a progress bar),
Keras converts the logs and calls every callback in the training thread.

`callback_list(...)` gives `fit` a list that behaves as Keras' does for the
callbacks that listen and skips the rest: a batch-end call converts the logs
and calls the callbacks that override that hook (or `on_batch_end` for
training batches), in the training thread, and does nothing when none does.
Nothing runs in a pool. Our bridge reads the running metrics from its
batch-begin hook, throttled (see `runtime.bridge`), so the live view needs no
batch-end call at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .callbacks import defines
from .keras_env import import_keras

keras = import_keras()


class ListeningCallbackList(keras.callbacks.CallbackList):
    """Batch-end calls go, synchronously, only to the callbacks that override them."""

    def __init__(self, callbacks=None, **kwargs):
        super().__init__(callbacks, **kwargs)
        self._async_train = self._async_test = self._async_predict = False
        self._refresh()

    def _refresh(self) -> None:
        self._train_listeners = [c for c in self.callbacks
                                 if defines(c, "on_train_batch_end", "on_batch_end")]
        self._test_listeners = [c for c in self.callbacks
                                if defines(c, "on_test_batch_end")]
        self._predict_listeners = [c for c in self.callbacks
                                   if defines(c, "on_predict_batch_end")]

    def append(self, callback) -> None:
        self.callbacks.append(callback)
        self._refresh()

    def on_train_batch_end(self, batch, logs=None):
        self._call(self._train_listeners, "on_train_batch_end", batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self._call(self._test_listeners, "on_test_batch_end", batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._call(self._predict_listeners, "on_predict_batch_end", batch, logs)

    @staticmethod
    def _call(listeners: list, hook: str, batch, logs) -> None:
        if not listeners:
            return
        logs = plain_logs(logs)
        for callback in listeners:
            getattr(callback, hook)(batch, logs=logs)


def plain_logs(logs) -> dict:
    """Batch logs as Keras gives them to batch-end hooks: nested dicts flattened, keys
    sorted, and each value made a Python float where `float()` takes it."""
    out: dict = {}
    for key, value in sorted((logs or {}).items()):
        if isinstance(value, dict):
            out.update(plain_logs(value))
            continue
        if hasattr(value, "detach"):  # a torch tensor: to NumPy, as Keras does
            value = value.detach().cpu().numpy()
        try:
            out[key] = float(value)
        except (TypeError, ValueError):
            out[key] = value
    return out


def callback_list(callbacks: Sequence[Any], model, epochs: int, steps: int | None,
                  verbose: int = 0) -> ListeningCallbackList:
    """What `fit(callbacks=[...])` would build (with a History, and a progress bar
    when `verbose`), as a `ListeningCallbackList`."""
    return ListeningCallbackList(list(callbacks), add_history=True, add_progbar=verbose != 0,
                                 verbose=verbose, epochs=epochs, steps=steps, model=model)
