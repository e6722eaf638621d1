"""Ending a pass run after training (the final evaluation, the predictions) after its
current batch when a stop arrives during it: `CutOnStop`, with the bridge whose stops
it follows (`runtime.bridge`). On several processes the ranks agree on the cut first
(`runtime.rank_sync.PassSync`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .keras_env import import_keras

if TYPE_CHECKING:
    from .bridge_base import BridgeBase

keras = import_keras()

__all__ = ["CutOnStop"]


class CutOnStop(keras.callbacks.Callback):
    """Ends an `evaluate` or `predict` pass after its current batch when `bridge` is
    asked to stop after training ended (or, before that, after this callback was made):
    the stop that ended training does not count. `cut` is then (batches run, batches in
    the pass), else None.

    With several processes (`bridge.stop_at_once` false) the pass runs to its end,
    unless the ranks agreed to end it (`agreed`, set by `runtime.rank_sync.PassSync`).
    """

    def __init__(self, bridge: BridgeBase):
        super().__init__()
        self.bridge = bridge
        ended = bridge.stops_in_training
        self.since = bridge.stop_count if ended is None else ended
        self.cut: tuple[int, int | None] | None = None
        self.agreed = False  # the ranks agreed to end this pass
        self._batches = 0

    @property
    def requested(self) -> bool:
        """A stop arrived after training ended (or, before that, after this callback was
        made)."""
        return self.bridge.stop_count > self.since

    @property
    def asked(self) -> bool:
        """The pass is to end: a stop was requested and this process may end the pass on
        its own, or the ranks agreed to end it."""
        return self.agreed or (self.bridge.stop_at_once and self.requested)

    def _begin(self, logs=None) -> None:
        self._batches = 0

    on_test_begin = on_predict_begin = _begin

    def _batch_begins(self, flag: str) -> None:
        self._batches += 1
        if self.asked:
            setattr(self.model, flag, True)

    def on_test_batch_begin(self, batch, logs=None):
        self._batch_begins("stop_evaluating")

    def on_predict_batch_begin(self, batch, logs=None):
        self._batch_begins("stop_predicting")

    def _end(self, flag: str) -> None:
        steps = (self.params or {}).get("steps")
        if self.asked and getattr(self.model, flag, False) and \
                (steps is None or self._batches < steps):
            self.cut = (self._batches, steps)

    def on_test_end(self, logs=None):
        self._end("stop_evaluating")

    def on_predict_end(self, logs=None):
        self._end("stop_predicting")
