"""The callback bridge: Keras training progress as typed events.

`FastBridge` is a `keras.callbacks.Callback` that hands the events of
`runtime.events` to a sink callable (a log writer, a progress bar, a queue
through `events.to_wire`), with plain numbers in their logs:

    TrainBegin(settings, epochs=10, steps=45, samples=1437, batch_size=32, initial_epoch=0)
    EpochBegin(epoch=0)
    BatchEnd(epoch=0, batch=7, steps=45, logs={"loss": 2.1, ...}, lr=0.001,
             samples_per_s=5300.0, eta_s=12.5, batch_logs={"loss": 1.9})
    EpochEnd(epoch=0, logs={"loss": .., "val_loss": ..}, lr=0.001, samples_per_s=5300.0,
             eta_s=4.2)
    Paused(epoch=0, batch=7) / Resumed(epoch=0)      (held before batch 7 of epoch 0)
    TrainEnd(epochs_run=10, stopped=False, logs={...})

Batch logs are Keras' running means since the start of the epoch (as Keras' own
progress bar shows them). `batch_logs` holds the losses ("loss" and each output's
"<name>_loss") of the batches since the previous batch event of the epoch: a running
mean m_k over n_k samples and the previous reading m_j over n_j hold the sums n_k m_k
and n_j m_j, so those batches average (n_k m_k - n_j m_j) / (n_k - n_j) (`mean_since`).
The counts are the loss trackers' own (samples, so a short last batch weighs what it
holds). Metrics get no batch value: an epoch's accuracy is not the mean of its batches'
(Keras weighs samples, and AUC, precision, RMSE are no means at all), and one batch's
accuracy is mostly noise; their curves are per epoch. With several processes the
epoch's last event carries no `batch_logs`: its logs are summed over the ranks while the
earlier reads were this rank's. Epoch numbers are Keras' own, so a run continued from
epoch 5 numbers its first epoch 5.

Why the batch events come from `on_train_batch_begin`: when any callback
overrides `on_train_batch_end` (or `on_batch_end`), Keras' CallbackList turns
the batch logs into Python floats after every batch, and each conversion waits
for the GPU. Begin-hook logs are empty, so the bridge reads the model's running
metrics only when the throttle (`max_rate` events per second) lets an event
through, and a run with the live view trains as fast as a plain `fit`. The last
batch of every epoch is always sent. A NaN loss seen in any read stops training
after the current batch and sets `nan_at` to (epoch, batch).

`request_stop()` ends training after the current batch; an epoch it cuts short sends
no EpochEnd, is not counted in `epochs_run` and is noted in `stopped_in`. A stop during
the epoch's validation pass ends that pass after its current validation batch: Keras
reads `model.stop_training` only between training batches, and its `evaluate` reads
`model.stop_evaluating` instead (and clears it when it begins), so the bridge sets that
flag at once and again before each validation batch. Such an epoch is not complete
either: no EpochEnd, not counted, its partial `val_` scores sent nowhere, and noted in
`val_cut` (`runtime.train_epochs` hides it from the other callbacks). `CutOnStop`
(`runtime.pass_cut`) does the same for a pass run after training (the final evaluation,
predictions) when a stop arrives during it. With several processes (`stop_at_once`
false) no rank cuts a pass on its own, since the ranks would disagree on its batches:
`runtime.rank_sync.PassSync` cuts the validation pass and the final evaluation
after the same batch on every rank, at rank 0's word.

A validation pass reads no metric until it ends, and sends no progress event: only a
`Validating` as it begins and then every `VALIDATING_EVERY_S` seconds (from its batch
hooks, so no GPU sync), so that a long pass is not taken for a hung run.

`pause()` holds the training thread before the next batch until `resume()`.
`BridgeBase` (`runtime.bridge_base`) holds the sink and these controls for any other
bridge to build on. `BridgeBase`, `CutOnStop`, `Sink` and `drop` are importable from here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from . import events as ev
from .bridge_base import BridgeBase, Sink, drop
from .events import plain
from .keras_env import import_keras
from .optim import current_learning_rate
from .pass_cut import CutOnStop

keras = import_keras()

__all__ = ["BridgeBase", "CutOnStop", "FastBridge", "Sink", "drop", "loss_counts",
           "mean_since", "validation_cut"]

# A validation pass says it goes on this often (`events.Validating`), and as it begins.
VALIDATING_EVERY_S = 5.0


def mean_since(previous: tuple[float, float] | None, count: float, mean: float) -> float:
    """The mean of the values a running mean took in since an earlier reading of it.

    Args:
        previous: (count, mean) at the earlier reading; None when there was none (the
            values since the start are all of them).
        count, mean: the running mean now and how many values (samples) it holds.

    >>> mean_since((2, 3.0), 4, 2.5)  # 3, 3, then 1 and 3
    2.0
    """
    if previous is None or count <= previous[0]:
        return float(mean)
    seen, earlier = previous
    return (count * float(mean) - seen * earlier) / (count - seen)


def loss_counts(model, batches: int) -> dict[str, float]:
    """The samples each loss tracker of `model` ("loss", "<output>_loss") holds, by log
    name; `batches` for a tracker without a count."""
    counts = {}
    for metric in getattr(model, "metrics", None) or ():
        name = getattr(metric, "name", "")
        if isinstance(metric, keras.metrics.Mean) and (name == "loss" or
                                                       name.endswith("_loss")):
            count = getattr(metric, "count", None)
            counts[name] = float(keras.ops.convert_to_numpy(count.value)) if count is not None \
                else float(batches)
    return counts


def validation_cut(model, batches: int | None) -> tuple[int, int | None] | None:
    """(batches run, batches in the pass) when the validation pass `fit` ran inside the
    current epoch broke off before its last batch, else None.

    Args:
        model: the model being fitted; Keras' `evaluate` leaves `model.stop_evaluating`
            set when a stop ended the pass.
        batches: the validation batches begun this epoch; None when none ran.
    """
    if batches is None or not getattr(model, "stop_evaluating", False):
        return None
    total = getattr(getattr(model, "_eval_epoch_iterator", None), "num_batches", None)
    return None if total is not None and batches >= total else (batches, total)

class FastBridge(BridgeBase):
    """Training progress as typed events without a per-batch GPU sync; stop and pause.

    See the module docstring for the events. `nan_at` is (epoch, batch) of the
    first NaN or infinite loss read, else None.
    """

    def __init__(self, sink: Sink = drop, settings: Mapping[str, Any] | None = None,
                 **options):
        super().__init__(sink, settings, **options)
        self._batch, self._epoch_start, self._train_time = 0, 0.0, None
        self._epoch_times: list[float] = []
        self.nan_at: tuple[int, int] | None = None
        # (epoch, batches run, steps) of an epoch a stop request cut short.
        self.stopped_in: tuple[int, int, int] | None = None
        # (epoch, validation batches run, batches in the pass) of an epoch whose
        # validation pass a stop request cut short.
        self.val_cut: tuple[int, int, int | None] | None = None
        self._val_batches: int | None = None  # validation batches begun this epoch
        # The loss trackers at the previous batch event of this epoch, (count, mean) by
        # name, and their counts when training ended (validation resets them).
        self._readings: dict[str, tuple[float, float]] = {}
        self._end_counts: dict[str, float] | None = None

    # ---- Keras hooks (no batch_end hook, on purpose) ---------------------
    def on_epoch_begin(self, epoch, logs=None):
        self._epoch, self._train_time, self._val_batches = epoch, None, None
        self._readings, self._end_counts = {}, None
        self._epoch_start = self._last_sent = self.clock()
        self._emit(ev.EpochBegin(epoch))

    def on_train_batch_begin(self, batch, logs=None):
        self._batch = batch
        if batch > 0:
            now = self.clock()
            if now - self._last_sent >= self.min_interval:
                self._last_sent = now
                self._batch_event(batch - 1, self.model.get_metrics_result(), now,
                                  loss_counts(self.model, batch))
        self._wait_if_paused(batch)
        if self._stop_requested:
            self.model.stop_training = True

    def _held(self, seconds: float) -> None:
        # The epoch's elapsed time gives the rate and the ETA: a pause is no work done.
        self._epoch_start += seconds
        self._last_sent += seconds

    def _batch_event(self, batch: int, logs: Mapping[str, Any], now: float,
                     counts: Mapping[str, float] | None = None) -> None:
        """Send the event of `batch` (0-based) from the epoch's running means `logs` and
        the loss trackers' `counts` (None: the epoch's end, whose logs are Keras' epoch logs)."""
        loss = logs.get("loss")
        if loss is not None and not math.isfinite(float(loss)) and self.nan_at is None:
            self.nan_at = (self._epoch, batch)
            self.model.stop_training = True
        elapsed = max(now - self._epoch_start, 1e-9)
        steps = self._steps()
        left = None
        if steps:
            left = (steps - batch - 1) + steps * max(self._epochs() - self._epoch - 1, 0)
        self._emit(ev.BatchEnd(self._epoch, batch, steps, plain(logs), self.learning_rate(),
                               self._rate(elapsed, batch + 1),
                               elapsed / (batch + 1) * left if left is not None else None,
                               self._since_last(batch, logs, counts)))

    def _since_last(self, batch: int, logs: Mapping[str, Any],
                    counts: Mapping[str, float] | None) -> dict:
        """The losses of the batches since the previous batch event (see the module)."""
        if counts is None:  # the epoch's end
            if not self.stop_at_once:
                return {}  # the epoch's logs are summed over the ranks: not this rank's
            counts = self._end_counts if self._end_counts is not None else \
                loss_counts(self.model, batch + 1)
        losses = {}
        for name, count in counts.items():
            if logs.get(name) is None:
                continue
            mean = float(logs[name])
            losses[name] = mean_since(self._readings.get(name), count, mean)
            self._readings[name] = (count, mean)
        return losses

    def on_test_begin(self, logs=None):
        # Validation runs inside the epoch; the training rate should not count it.
        if self._train_time is None:
            self._train_time = self.clock() - self._epoch_start
            # Before `evaluate` resets the loss trackers: the epoch's last batch event
            # needs their training counts.
            self._end_counts = loss_counts(self.model, self._batch + 1)
        self._val_batches = 0

    def on_test_batch_begin(self, batch, logs=None):
        self._val_batches = (self._val_batches or 0) + 1
        if self._stop_requested and self.stop_at_once:  # `evaluate` cleared the flag
            self.model.stop_evaluating = True
        now = self.clock()
        if batch == 0 or now - self._last_sent >= VALIDATING_EVERY_S:  # alive (no metric read)
            self._last_sent = now
            total = getattr(getattr(self.model, "_eval_epoch_iterator", None), "num_batches",
                            None)
            self._emit(ev.Validating(self._epoch, int(batch), total))

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        now = self.clock()
        steps = self._steps()
        train_logs = {k: v for k, v in logs.items() if not k.startswith("val_")}
        if self._stop_requested and steps and self._batch + 1 < steps:
            # Keras ends the epoch it stopped in as if it were complete; it is not one.
            self.stopped_in = (epoch, self._batch + 1, steps)
            self._batch_event(self._batch, train_logs, now)
            return
        train_time = max(self._train_time or (now - self._epoch_start), 1e-9)
        cut = validation_cut(self.model, self._val_batches)
        if cut is not None:  # trained in full, validated in part: no score, not counted
            self.val_cut = (epoch, *cut)
            self._batch_event(self._batch, train_logs, self._epoch_start + train_time)
            return
        elapsed = max(now - self._epoch_start, 1e-9)
        self._epoch_times.append(elapsed)
        self.epochs_run, self.last_logs = epoch + 1, logs
        self._batch_event(self._batch, train_logs, self._epoch_start + train_time)
        mean = sum(self._epoch_times) / len(self._epoch_times)
        self._emit(ev.EpochEnd(epoch, plain(logs), self.learning_rate(),
                               self._rate(train_time, self._steps()),
                               mean * max(self._epochs() - self.epochs_run, 0)))

    def _rate(self, elapsed: float, batches: int | None) -> float:
        """Samples per second over `batches` batches (all of them: the epoch's samples)."""
        if batches is not None and batches == self._steps() and self.samples:
            return float(self.samples) / elapsed
        if self.batch_size and batches:
            return float(self.batch_size * batches) / elapsed
        return math.nan

    def learning_rate(self) -> float:
        """The optimizer's current learning rate (schedules included), or NaN."""
        optimizer = getattr(self.model, "optimizer", None)
        return math.nan if optimizer is None else current_learning_rate(optimizer)
