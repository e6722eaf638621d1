"""A trial's bridge: a stop ends training and the validation pass within a batch.

Keras reads `model.stop_training` only between training batches; its validation
pass (`evaluate`, run at the end of each epoch) reads `model.stop_evaluating`
instead, which `evaluate` resets when it begins. With a large validation split
that pass takes minutes, and a Stop that arrives during it used to wait for its
end, then for the final evaluation `runtime.train` runs after `fit`.

`TrialBridge` is the `FastBridge` a trial trains with. After `request_stop()`:

- during training, Keras ends the epoch after the current batch (as before);
- during the validation pass, it ends after the current validation batch
  (`on_test_batch_begin`, and at once from the command thread);
- the epoch whose validation was cut is not a complete epoch: it sends no
  `EpochEnd` (so no partial validation score reaches the pruner or the study),
  is not counted in `epochs_run`, and its `val_` logs are removed before the
  callbacks after the bridge (Keras' History among them) see them; `val_cut` is
  its number;
- the final evaluation after `fit` is skipped (`evaluate_when_stopped`): a
  stopped trial has no score (the driver records it stopped), and the pass would
  take as long as a validation pass. The trial's `Result.metrics` stays empty.
"""

from __future__ import annotations

from ..bridge import FastBridge


class TrialBridge(FastBridge):
    """`FastBridge` whose stop also ends the validation pass; see the module doc."""

    evaluate_when_stopped = False  # `runtime.train` skips the final evaluation

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.val_cut: int | None = None  # the epoch whose validation a stop cut short

    def request_stop(self) -> None:
        super().request_stop()
        if self._model is not None and self.stop_at_once:  # read after each test batch
            self.model.stop_evaluating = True

    def on_test_batch_begin(self, batch, logs=None):
        if self._stop_requested:  # `evaluate` reset the flag when it began
            self.model.stop_evaluating = True

    def on_epoch_end(self, epoch, logs=None):
        if self._stop_requested and getattr(self.model, "stop_evaluating", False) \
                and logs is not None and any(k.startswith("val_") for k in logs):
            self.val_cut = epoch
            for key in [k for k in logs if k.startswith("val_")]:
                del logs[key]  # the callbacks after this one must not see a partial score
            self._batch_event(self._batch, dict(logs), self.clock())
            return
        super().on_epoch_end(epoch, logs)
