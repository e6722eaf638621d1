"""Only complete epochs reach the end-of-epoch callbacks.

Keras' `fit` ends an epoch that a stop cut short (the window's Stop, Ctrl+C, our NaN
guard, TerminateOnNaN) as if it were complete: it runs the validation pass, then
calls every callback's `on_epoch_end` with the logs of the batches that ran. A
ModelCheckpoint then saves the partial epoch (as "best" with `save_best_only` when its
partial loss is lower), EarlyStopping and ReduceLROnPlateau count it as an epoch
without improvement, CSVLogger and History write it as a row. The run itself does not
count that epoch (a continued run trains it again), so those callbacks would record
an epoch that never happened.

`CompleteEpochs` is the callback list `runtime.train` gives `fit`. For an epoch that
did not complete, it skips the validation pass and calls `on_epoch_end` only on the
callbacks that watch the run itself (the progress bridge, the NaN weight keeper, the
ranks' agreement); the callbacks named `hidden` (the settings' callbacks, the caller's,
and Keras' History) never see it, so they end in the state Keras' `fit` leaves them in
after the complete epochs alone. An epoch is incomplete when training stopped before its
last batch, when a training loss in its logs is NaN or infinite (the weights of such
an epoch are not kept: `callbacks.LastFiniteWeights` restores the last finite ones), or
when a stop ended its validation pass before the pass's last batch
(`bridge.validation_cut`): its `val_` scores are partial, so the callbacks that watch
the run see its logs without them. `on_train_end` receives the logs of the last
complete epoch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .bridge import validation_cut
from .callbacks import non_finite_losses
from .dispatch import ListeningCallbackList, plain_logs
from .keras_env import import_keras

keras = import_keras()

CUT, NAN, VALIDATION_CUT = "cut", "nan", "validation cut"


class CompleteEpochs(ListeningCallbackList):
    """`dispatch.ListeningCallbackList` that hides incomplete epochs from `hidden`.

    Args:
        callbacks: every callback of the fit, in order.
        hidden: those of `callbacks` that see only complete epochs (Keras' History,
            added here, is one of them).
        model, epochs, steps: as for `dispatch.callback_list`.

    Attributes:
        incomplete: (epoch, why, batches run) of each epoch hidden, why "cut" (stopped
            before its last batch), "nan" (a non-finite training loss) or "validation
            cut" (a stop ended its validation pass early).
    """

    def __init__(self, callbacks: Sequence[Any], hidden: Sequence[Any], model,
                 epochs: int, steps: int | None):
        super().__init__(list(callbacks), add_history=True, add_progbar=False, verbose=0,
                         epochs=epochs, steps=steps, model=model)
        history = [c for c in self.callbacks if isinstance(c, keras.callbacks.History)]
        self._hidden = {id(c) for c in (*hidden, *history)}
        self._steps = steps
        self._batches = 0
        self._val_batches: int | None = None  # validation batches begun this epoch
        self._last_logs: dict = {}
        self.incomplete: list[tuple[int, str, int]] = []

    # ---- which epochs are complete -----------------------------------------------
    def _cut_short(self) -> bool:
        """Training stopped before the epoch's last batch (Keras breaks out of it)."""
        return bool(getattr(self.model, "stop_training", False)) and bool(self._steps) \
            and self._batches < self._steps

    def _why_incomplete(self, logs) -> str | None:
        if self._cut_short():
            return CUT
        if non_finite_losses(logs):
            return NAN
        return VALIDATION_CUT if validation_cut(self.model, self._val_batches) else None

    # ---- hooks ---------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        model, cls = self.model, type(self.model)
        # Keras asks this right after the batch loop: an epoch cut short is not validated.
        model._should_eval = lambda epoch, freq: (not self._cut_short()
                                                  and cls._should_eval(model, epoch, freq))
        super().on_train_begin(logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._batches, self._val_batches = 0, None
        super().on_epoch_begin(epoch, logs)

    def on_test_begin(self, logs=None):
        self._val_batches = 0
        super().on_test_begin(logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._val_batches = (self._val_batches or 0) + 1
        super().on_test_batch_begin(batch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._batches = max(self._batches, int(batch) + 1)
        super().on_train_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._batches = max(self._batches, int(batch) + 1)
        super().on_train_batch_end(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        why = self._why_incomplete(logs)
        if why is None:
            self._last_logs = dict(logs or {})
            super().on_epoch_end(epoch, logs)
            return
        self.incomplete.append((int(epoch), why, self._batches))
        logs = plain_logs(logs)
        if why == VALIDATION_CUT:  # a partial validation score is no score
            logs = {k: v for k, v in logs.items() if not k.startswith("val_")}
        for callback in self.callbacks:
            if id(callback) not in self._hidden:
                callback.on_epoch_end(epoch, logs)

    def on_train_end(self, logs=None):
        self.release()
        super().on_train_end(self._last_logs)

    def release(self) -> None:
        """Give the model Keras' own validation rule back (also after a failed fit)."""
        if self.model is not None:
            self.model.__dict__.pop("_should_eval", None)
