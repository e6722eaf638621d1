"""What keeps the ranks of a data-parallel run (`runtime.distributed`) in step, batch
by batch: the training step whose forward pass goes through DDP, the callback that makes
every rank stop after the batch rank 0 stops after (`RankSync`), and the one that ends a
held-out pass after the same batch on every rank (`PassSync`). Each agrees through
`Session.agree_stop`, an all-reduce on a CPU group, so no hook waits for the GPU: rank 0's
decision counts, and so does a stop asked of any rank (a launcher reaches the ranks of its
own machine only), which every rank then takes as its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import rank_end
from .keras_env import import_keras

if TYPE_CHECKING:
    from .distributed import Session

__all__ = ["PassSync", "RankSync", "ddp_train_step"]

keras = import_keras()


def ddp_train_step(model, ddp, session: Session | None = None):
    """A `train_step` for `model` whose forward pass goes through `ddp`.

    The same steps as Keras' torch `train_step` (forward, zero the gradients,
    the compiled loss, the loss tracker, backward, `optimizer.apply`, metrics);
    only the forward call differs, so that DDP averages the gradients. Each call
    is counted in `session.ddp_steps`, and sets `session.updated` once it updated the
    weights (a run that lost a rank keeps the model as of that update).
    """
    import torch

    keras = import_keras()

    def train_step(data):
        if session is not None:
            session.ddp_steps += 1
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        y_pred = ddp(x, training=True) if model._call_has_training_arg else ddp(x)
        model.zero_grad()
        loss = model._compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight,
                                   training=True)
        first = next(t for t in keras.tree.flatten(x) if t is not None)
        model._loss_tracker.update_state(loss, sample_weight=first.shape[0])
        loss = model.optimizer.scale_loss(loss)
        loss.backward()
        weights = model.trainable_weights[:]
        with torch.no_grad(), rank_end.held():  # a SIGTERM waits for the update's end
            model.optimizer.apply([v.value.grad for v in weights], weights)
            if session is not None:
                session.updated = True
        return model.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    return train_step


PASSES = {"validation": "validation pass", "evaluation": "final evaluation"}


class PassSync(keras.callbacks.Callback):
    """Every rank ends a held-out pass (`evaluate`) after the same batch, when any rank
    was asked to.

    Before each batch that every rank has, less the last (`Session.passes[kind]`),
    the ranks agree on their `asked()`; when one was asked each sets
    `model.stop_evaluating`, so Keras ends the pass after that batch on every rank, and
    calls `on_cut`; a rank that was not asked itself first calls `request` (the stop
    becomes its own, as if its launcher had passed it on).

    Args:
        session: this rank's session.
        kind: "validation" (the pass `fit` runs each epoch) or "evaluation" (the final
            one, `runtime.train._evaluate`).
        asked: whether this rank was asked to stop.
        on_cut: called when the ranks agreed to end the pass.
        request: asks this rank to stop (a bridge's `request_stop`).
    """

    def __init__(self, session: Session, kind: str, asked, on_cut=None, request=None):
        super().__init__()
        self.session, self.kind, self.asked, self.on_cut = session, kind, asked, on_cut
        self.request = request
        self._batches = 0

    def on_test_begin(self, logs=None):
        self._batches = 0

    def on_test_batch_begin(self, batch, logs=None):
        agreeing = self._batches < self.session.passes.get(self.kind, 0) - 1
        self._batches += 1
        if not agreeing:
            return
        asked = bool(self.asked())
        stop, _ = self.session.agree_stop(asked, asked, f"batch {self._batches} of the "
                                          f"{PASSES.get(self.kind, self.kind)}")
        if stop:
            if not asked and self.request is not None:
                self.request()
            self.model.stop_evaluating = True
            if self.on_cut is not None:
                self.on_cut()


class RankSync(keras.callbacks.Callback):
    """Every rank stops after the same batch, and at the same epoch: the batch rank 0
    stops after, or the first before which any rank was asked to stop (its launcher
    passed a signal on); and ends the epoch's validation pass the same way (`PassSync`).

    Last in the callback list, it overrides any rank-local decision (a NaN seen by
    one rank's bridge) with rank 0's. Only begin hooks, so no per-batch GPU sync.
    """

    def __init__(self, session: Session, bridge):
        super().__init__()
        self.session, self.bridge = session, bridge
        self.epoch = 0
        self.validation = PassSync(session, "validation", lambda: bridge.stopped,
                                   request=bridge.request_stop)

    def set_model(self, model):
        super().set_model(model)
        self.validation.set_model(model)

    def on_test_begin(self, logs=None):
        self.validation.on_test_begin(logs)

    def on_test_batch_begin(self, batch, logs=None):
        self.validation.on_test_batch_begin(batch, logs)

    def _agree(self, where: str) -> bool:
        """Whether every rank stops now (`Session.agree_stop`); a stop asked of another
        rank becomes this rank's too, so rank 0 reports and keeps a stopped run."""
        asked = bool(getattr(self.bridge, "stopped", False))
        stop, requested = self.session.agree_stop(bool(self.model.stop_training) or asked,
                                                  asked, where)
        if requested and not asked:
            self.bridge.request_stop()
        return stop

    def on_train_begin(self, logs=None):
        if self.session.is_main and self.session.watch is None:  # tells a rank that hangs
            from .rank_watch import Watch

            self.session.watch = Watch(self.session, self.bridge.sink,
                                       lambda: self.bridge.paused)
            self.session.watch.start()

    def on_epoch_begin(self, epoch, logs=None):
        self.session._epoch_open = True
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if batch > 0 and not self.session.ddp_steps:
            # A step that bypasses `train_step` (say, a captured whole-step function)
            # would train each rank alone and let them drift apart: fail loudly instead.
            raise RuntimeError("the training step did not go through DistributedDataParallel "
                               "(Model.train_function was replaced); several processes need "
                               "the plain step")
        self.model.stop_training = self._agree(f"epoch {self.epoch + 1}, batch {batch + 1}")

    def on_epoch_end(self, epoch, logs=None):
        self.model.stop_training = self._agree(f"the end of epoch {epoch + 1}")
