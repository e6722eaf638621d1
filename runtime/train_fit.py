"""Fitting and scoring a run's model: `fit_run` runs Keras' `fit` (both phases of a
fine-tune) with the bridge, the settings' callbacks and the run's own, on the training
step the executor chose, and sets the result's history, status and message;
`evaluate_run` scores the model as kept, unless a stop says not to, and
`evaluation_failed` makes an error there a failed result that keeps the trained model.
"""

from __future__ import annotations

from kerascanvas.graph.document import Document

from . import finetune
from .fitplan import FitPlan
from .keras_env import import_keras
from .model_compile import compile_model
from .train_messages import (
    NAN,
    STOPPED,
    TrainingRefused,
    TrainResult,
    early_stop_epochs,
    early_stop_message,
    nan_message,
    stop_message,
    unscored_message,
)

__all__ = ["evaluate_run", "evaluation_failed", "fit_run", "run_evaluate", "run_fit"]


def run_fit(model, **kwargs):
    """`model.fit(**kwargs)`. A seam: tests replace it to inject failures such as OOM."""
    return model.fit(**kwargs)


def run_evaluate(model, **kwargs):
    """`model.evaluate(**kwargs)`. A seam: tests replace it to make the final evaluation
    fail."""
    return model.evaluate(**kwargs)


def fit_run(result: TrainResult, plan: FitPlan, bridge, callbacks: list,
            doc: Document | None = None, session=None, analysis=None) -> None:
    """Fit `result.model` as `plan` says, with `bridge`, the settings' callbacks and
    `callbacks` (with a session: the ranks' too); set the result's history, epochs,
    status and message (a NaN loss restores the last finite weights)."""
    from .callbacks import LastFiniteWeights, make_callbacks
    from .train_epochs import CompleteEpochs

    settings, model = result.settings, result.model
    keeper = LastFiniteWeights(result.initial_epoch)
    chosen = make_callbacks(settings)
    where = PassWatch(session)
    listening = [bridge, keeper, where, *chosen, *callbacks]
    if session is not None:  # rank 0 writes; one callback keeps the ranks on one batch
        listening = [*session.keep(listening), *session.callbacks(bridge)]
    histories: list[dict] = []  # one per fit: the two fine-tuning phases make two

    def fit(**kwargs):
        before = getattr(model, "history", None)
        # A fresh list (and History) per fit, made as `fit` would make it; the settings'
        # and the caller's callbacks see complete epochs only (`train_epochs`).
        made = CompleteEpochs(listening, [*chosen, *callbacks], model,
                              int(kwargs["epochs"]), plan.steps)
        try:
            _use_executor(result, plan, made, bridge)
            return run_fit(model, **plan.fit, verbose=0, callbacks=made, **kwargs)
        finally:  # also after a NaN stop or an error: keep the epochs that ran
            made.release()
            after = getattr(model, "history", None)
            if after is not None and after is not before:
                histories.append(dict(getattr(after, "history", None) or {}))

    if doc is not None and result.initial_epoch and (doc.training or {}).get("finetune"):
        raise TrainingRefused("training.finetune: a two-phase fine-tune cannot continue a "
                              "saved run; remove the finetune section to continue training")
    try:
        if doc is None or not finetune.fit_document(
                model, doc, lambda s: compile_model(model, doc, s, plan.steps, analysis), fit,
                settings,
                lambda: bridge.nan_at is None and keeper.nan_epoch is None
                and not bridge.stopped):
            fit(epochs=int(settings["epochs"]), initial_epoch=result.initial_epoch)
    except Exception:
        result.failed_in = where.describe()
        raise
    finally:  # History saw the complete epochs only: the kept ones
        result.history = {key: [v for h in histories for v in h.get(key, [])]
                          for key in dict.fromkeys(k for h in histories for k in h)}
        result.epochs_run = max(bridge.epochs_run, result.initial_epoch)
    if bridge.nan_at is not None or keeper.nan_epoch is not None:
        keeper.restore()
        at = bridge.nan_at or (keeper.nan_epoch, None)
        result.status, result.epochs_run = NAN, keeper.good_epochs
        result.dropped_epoch, result.nan_losses = at[0] + 1, tuple(keeper.nan_losses)
        result.message = nan_message(at, settings, keeper.good_epochs, keeper.nan_losses)
        return
    result.early_stopped, result.kept_epoch = early_stop_epochs(chosen)
    if bridge.stopped:
        result.status = STOPPED
        result.message = stop_message(bridge.stopped_in, result.epochs_run,
                                      bridge.val_cut)
    else:
        result.message = early_stop_message(chosen)


class PassWatch(import_keras().callbacks.Callback):
    """Knows which pass of `fit` runs: an epoch's training batch or its validation
    pass (`describe`, for the message of an error inside `fit`). With a session, a
    batch that begins has not updated the weights yet (`Session.updated`)."""

    def __init__(self, session=None) -> None:
        super().__init__()
        self.session = session
        self.epoch: int | None = None
        self.batch: int | None = None
        self.validating = False

    def on_epoch_begin(self, epoch, logs=None) -> None:
        self.epoch, self.batch, self.validating = epoch, None, False

    def on_train_batch_begin(self, batch, logs=None) -> None:
        self.batch = batch
        if self.session is not None:
            self.session.updated = False

    def on_test_begin(self, logs=None) -> None:
        self.validating = self.epoch is not None

    def describe(self) -> str:
        """"" before any epoch began; else the pass, epochs and batches counted from 1."""
        if self.epoch is None:
            return ""
        if self.validating:
            return f"the validation pass of epoch {self.epoch + 1} (its training batches ran)"
        batch = f", batch {self.batch + 1}" if self.batch is not None else ""
        return f"epoch {self.epoch + 1}{batch}"


def evaluate_run(result: TrainResult, plan: FitPlan, bridge, session) -> None:
    """Score the model as kept on `plan.evaluate`: after a stop too, unless the bridge
    says not to (a search trial) or the stop came during validation. A stop during the
    evaluation ends it after its current batch, and the result then has no score."""
    from . import distributed as ranks
    from .bridge import CutOnStop

    guard = CutOnStop(bridge)  # stops from here on end the evaluation
    # After a NaN loss the kept weights are the last finite ones: score those.
    score = result.ok or result.status == NAN
    if result.status == STOPPED and (not bridge.evaluate_when_stopped or
                                     bridge.val_cut is not None):
        score = False
        if bridge.evaluate_when_stopped:
            _unscored(result, unscored_message(None))
    if not ranks.agreed(session, score):
        return
    scores = run_evaluate(result.model, **plan.evaluate, verbose=0, return_dict=True,
                          callbacks=[*ranks.evaluation_callbacks(session, guard), guard])
    if guard.cut is not None:
        _unscored(result, unscored_message(guard.cut))
        return
    result.metrics = {k: float(v) for k, v in scores.items()}
    result.evaluated_on = plan.evaluated_on


def _unscored(result: TrainResult, why: str) -> None:
    result.unscored = why
    result.message = f"{result.message} {why}".strip()


def _use_executor(result: TrainResult, plan: FitPlan, made, bridge) -> None:
    """Set the model's training step (after every compile: a fine-tune compiles twice);
    the choice is reported once, as an "executor" event right after "train_begin"."""
    from .executor import Announce, attach

    choice = attach(result.model, plan, result.device, made.callbacks,
                    result.settings.get("executor", "auto"))
    if not result.executor:
        made.append(Announce(bridge.sink, choice.event(), result.model))
    result.executor = choice.describe()


def evaluation_failed(result: TrainResult, exc: BaseException, split: str,
                      save: str | None, hint: str = "", lost: bool = False) -> None:
    """An error in the final evaluation (after `fit` ended: a metric that fails on this
    data, memory running out...) fails the run, which keeps the model as trained: the
    message names the pass, the data it scored, the error and where it was raised.
    `lost`: the error says another rank of the run is gone (`rank_end.lost_rank`); that
    rank's error is its own, so this one is said in a few words, without details."""
    import traceback

    from .rank_end import describe_lost
    from .train_messages import ERROR, error_line

    result.status, result.metrics, result.evaluated_on = ERROR, {}, ""
    why = (f": another process of this run failed or was ended ({describe_lost(exc)})" if lost
           else f", by an error: {error_line(exc)}")
    result.unscored = (f"The final evaluation on the {split or 'held-out'} data failed after "
                       f"training{why}.")
    kept = f"The trained model is kept{' and saved' if save else ''}, without a final score."
    details = "".join(traceback.format_exception(exc)[-3:]).rstrip()
    result.message = " ".join(part for part in (result.message, result.unscored, hint, kept)
                              if part) + ("" if lost else f" Details:\n{details}")
