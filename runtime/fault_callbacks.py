"""Faults a test (or a UI check) asks a run for through its settings: an out-of-memory
error or NaN weights at a batch (`FaultInjector`), a hold inside the validation pass
(`HoldInValidation`) or the window's predictions (`HoldInPredictions`), each released by
the stop it waits for. `fault_callbacks` and `prediction_faults` make them from the
fault's description."""

from __future__ import annotations

from pathlib import Path

from .keras_env import import_keras

keras = import_keras()


class FaultInjector(keras.callbacks.Callback):
    """Fail on purpose at `at_batch` of the first epoch: "oom" raises torch's
    out-of-memory error, "nan" poisons the weights. For tests and UI checks."""

    def __init__(self, at_batch: int = 0, error: str = "oom"):
        super().__init__()
        if error not in ("oom", "nan"):
            raise ValueError(f"fault error: expected 'oom' or 'nan'. Received: {error!r}")
        self.at_batch, self.error = int(at_batch), error

    def on_train_batch_begin(self, batch, logs=None):
        if batch != self.at_batch or self.model.optimizer.iterations > batch:
            return
        if self.error == "oom":
            import torch

            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB "
                                         "(injected fault)")
        self.model.set_weights([w * float("nan") for w in self.model.get_weights()])


class HoldInValidation(keras.callbacks.Callback):
    """For tests and UI checks: at validation batch `at_batch` of the first validation
    pass (of epoch `epoch` or later, counted from 0), write the file `signal_path` (the run
    is now inside it), then hold until a stop request sets the model's `stop_evaluating`
    (or `timeout_s` passes)."""

    def __init__(self, signal_path: str, at_batch: int = 1, timeout_s: float = 300.0,
                 epoch: int = 0):
        super().__init__()
        self.path, self.at_batch, self.timeout_s = str(signal_path), int(at_batch), timeout_s
        self.done, self.epoch, self.from_epoch = False, 0, int(epoch)

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_test_batch_begin(self, batch, logs=None):
        import time

        if self.done or batch != self.at_batch or self.epoch < self.from_epoch:
            return
        self.done = True
        Path(self.path).write_text("validating\n", encoding="utf-8")
        deadline = time.monotonic() + self.timeout_s
        while not getattr(self.model, "stop_evaluating", False) and \
                time.monotonic() < deadline:
            time.sleep(0.01)


class HoldInPredictions(keras.callbacks.Callback):
    """For tests and UI checks: at batch `at_batch` of the window's predictions (after
    training and the final evaluation), write the file `signal_path`, then hold until
    `released()` is true (the pass's `bridge.CutOnStop` was asked to end it) or
    `timeout_s` passes."""

    def __init__(self, signal_path: str, released, at_batch: int = 1,
                 timeout_s: float = 300.0):
        super().__init__()
        self.path, self.released = str(signal_path), released
        self.at_batch, self.timeout_s = int(at_batch), float(timeout_s)

    def on_predict_batch_begin(self, batch, logs=None):
        import time

        if batch != self.at_batch:
            return
        Path(self.path).write_text("predicting\n", encoding="utf-8")
        deadline = time.monotonic() + self.timeout_s
        while not self.released() and time.monotonic() < deadline:
            time.sleep(0.01)


def prediction_faults(fault, guard) -> list:
    """The callbacks of a test fault for the window's predictions: with
    {"hold_in_predictions": path, "timeout_s": S} a `HoldInPredictions` released by
    `guard.asked`; none otherwise."""
    if not fault or "hold_in_predictions" not in fault or guard is None:
        return []
    return [HoldInPredictions(fault["hold_in_predictions"], lambda: guard.asked,
                              timeout_s=fault.get("timeout_s", 300.0))]


def fault_callbacks(fault) -> list:
    """The callbacks of a test fault: {"at_batch", "error"} (`FaultInjector`) or
    {"hold_in_validation": path, "epoch": N} (`HoldInValidation`); none for None (nor for a fault
    of the predictions, `prediction_faults`)."""
    if not fault or "hold_in_predictions" in fault:
        return []
    if "hold_in_validation" in fault:
        return [HoldInValidation(fault["hold_in_validation"], epoch=fault.get("epoch", 0))]
    return [FaultInjector(**fault)]
