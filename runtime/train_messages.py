"""What a training run gives and says: its `TrainResult` (status, message, history,
scores, the model), `TrainingRefused` for a run that cannot start, and the messages of a
run that ends other than planned: a stop, early stopping, a NaN loss, an error inside
`fit`, memory running out. `runtime.train` sets each result's status and message from
these (and its callers import these names from there).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kerascanvas.graph.errors import KerasCanvasError

from .keras_env import import_keras

OK, STOPPED, NAN, OOM, ERROR = "ok", "stopped", "nan", "oom", "error"


class TrainingRefused(KerasCanvasError, ValueError):
    """Training cannot start: refused settings, an invalid graph, or a saved model that
    cannot continue. `issues` holds the graph's issues when it is the graph."""

    def __init__(self, message: str, issues=()):
        super().__init__(message)
        self.issues = list(issues)


@dataclass
class TrainResult:
    """What a training run gave.

    Attributes:
        status: "ok", "stopped" (on request), "nan" (loss diverged), "oom", or "error"
            (an exception inside `fit` or in the final evaluation after it; the model
            trained so far is kept).
        message: a sentence for the user; empty when all went well.
        history: Keras' epoch logs, name -> one value per complete epoch (not the epoch
            a stop cut short, nor one whose loss was NaN: `runtime.train_epochs`).
        metrics: the final evaluation (Keras names), on `evaluated_on` data.
        evaluated_on: "validation", "training", or "" when no evaluation ran.
        epochs_run: the epoch reached, counted as Keras counts (a run continued from
            epoch 5 that trains 3 more reaches 8); after a NaN loss, the epoch whose
            weights were kept. An epoch a stop request cut short is not counted.
        initial_epoch: the epoch the run started from (0 unless continued).
        device: "cpu" or "cuda".
        settings: the resolved training settings used.
        model: the trained keras.Model (None if it could not be built).
        saved: the path the model was saved to, or None.
        executor: which training step ran and why (`runtime.executor.Choice`).
        dropped_epoch: after a NaN loss, the epoch (counted from 1) whose loss was not
            finite: it is in neither `history` nor `epochs_run`, and `metrics` score the
            weights kept (those of the epoch before).
        nan_losses: the training losses of that epoch that were NaN or infinite.
        unscored: why `metrics` is empty when a stop skipped the final evaluation (it
            came during validation) or cut it short (a stop during the evaluation), or
            an error ended it (status "error"); the message says it too. Empty otherwise.
        save_error: why the model could not be saved where asked (a full disk, a folder
            that cannot be written); the message says it too, `saved` is None and
            `model` still holds the model. Empty otherwise.
        early_stopped: the epoch (from 1, as Keras numbers a continued run) after which
            EarlyStopping ended training; None when it did not.
        kept_epoch: the epoch (from 1) whose weights EarlyStopping(restore_best_weights)
            put back as training ended: `metrics` score those, `history` runs past them.
        failed_in: the pass of `fit` an error ended ("epoch 3, batch 7", "the validation pass
            of epoch 3 (its training batches ran)"); empty otherwise.
    """

    status: str
    message: str = ""
    history: dict[str, list[float]] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    evaluated_on: str = ""
    epochs_run: int = 0
    initial_epoch: int = 0
    device: str = "cpu"
    settings: dict[str, Any] = field(default_factory=dict)
    model: Any = None
    saved: str | None = None
    executor: str = ""
    dropped_epoch: int | None = None
    nan_losses: tuple[str, ...] = ()
    unscored: str = ""
    save_error: str = ""
    failed_in: str = ""
    early_stopped: int | None = None
    kept_epoch: int | None = None

    @property
    def ok(self) -> bool:
        return self.status in (OK, STOPPED)


def stop_message(stopped_in: tuple[int, int, int] | None, epochs_run: int,
                 val_cut: tuple[int, int, int | None] | None = None) -> str:
    """What a stop request ended: an epoch's end, an epoch part way through, or an
    epoch's validation pass part way through (`bridge.FastBridge.val_cut`)."""
    done = (f"epoch {epochs_run} was the last complete one" if epochs_run
            else "no epoch completed")
    if stopped_in is not None:
        epoch, batches, steps = stopped_in
        return (f"Stopped on request during epoch {epoch + 1}, after {batches} of {steps} "
                f"batches ({done}). The model is kept as trained up to that batch.")
    if val_cut is not None:
        epoch, batches, total = val_cut
        return (f"Stopped on request while validating epoch {epoch + 1}, after {batches} of "
                f"{total if total is not None else '?'} validation batches ({done}; epoch "
                f"{epoch + 1} has no validation score and does not count). The model is kept "
                f"as trained to the end of epoch {epoch + 1}'s training batches.")
    return f"Stopped on request after epoch {epochs_run}."


def unscored_message(cut: tuple[int, int | None] | None) -> str:
    """Why a run has no final score: a stop came during validation (the evaluation was
    skipped), or a stop cut the final evaluation short (`cut`: batches run, in all)."""
    if cut is None:
        return ("No final evaluation: the stop came during validation, and scoring would "
                "take another pass over the same data.")
    batches, total = cut
    return (f"The final evaluation was stopped on request after {batches} of "
            f"{total if total is not None else '?'} batches: there is no final score.")


def early_stop_message(callbacks: list) -> str:
    keras = import_keras()
    for cb in callbacks:
        if isinstance(cb, keras.callbacks.EarlyStopping) and cb.stopped_epoch > 0:
            kept = (f" and restored the best weights, those of epoch {cb.best_epoch + 1} "
                    f"({cb.monitor} {float(cb.best):.4g})") if cb.restore_best_weights and \
                cb.best_weights is not None else ""
            return (f"Early stopping ended training after epoch {cb.stopped_epoch + 1} "
                    f"({cb.monitor} stopped improving){kept}.")
    return ""


def early_stop_epochs(callbacks: list) -> tuple[int | None, int | None]:
    """(the epoch early stopping ended training after, the epoch whose weights it
    restored), each from 1 or None: Keras restores the best weights as training ends,
    whether or not it stopped early."""
    keras = import_keras()
    stopped = kept = None
    for cb in callbacks:
        if isinstance(cb, keras.callbacks.EarlyStopping):
            if cb.stopped_epoch > 0:
                stopped = cb.stopped_epoch + 1
            if cb.restore_best_weights and cb.best_weights is not None:
                kept = cb.best_epoch + 1
    return stopped, kept


def nan_message(at: tuple[int, int | None], settings: Mapping[str, Any],
                 good_epochs: int, losses: Sequence[str] = ()) -> str:
    lr = settings["optimizer"].get("learning_rate")
    lr = f"{lr:g}" if isinstance(lr, int | float) else lr
    where = f"epoch {at[0] + 1}" + (f", batch {at[1] + 1}" if at[1] is not None else "")
    which = ", ".join(losses) or "loss"
    kept = (f"the weights kept, the history and the last-epoch metrics are those of epoch "
            f"{good_epochs}" if good_epochs else
            "the weights kept are those from before training (the initial weights)")
    return (f"The loss became NaN or infinite at {where} ({which} not finite; learning rate "
            f"{lr}). Training stopped and epoch {at[0] + 1} was dropped: {kept}. Try a lower "
            f"learning rate, or check the data for extreme values.")


def _lines(exc: BaseException) -> list[str]:
    """The non-empty lines of an exception's text, stripped."""
    return [line.strip() for line in str(exc).splitlines() if line.strip()]


def training_error(result, exc: BaseException, save: str | None) -> None:
    """An exception inside `fit` (a callback, a layer, Keras itself) ends the run as a
    result that keeps the model trained so far, with the error in the message. The
    traceback's last lines follow, except after one of our own errors (a data file a
    batch could not read): its text names the file and the problem, and a traceback
    into our reader would only hide it."""
    import traceback

    first = next(iter(_lines(exc)), "")
    details = "" if isinstance(exc, KerasCanvasError) else \
        " Details:\n" + "".join(traceback.format_exception(exc)[-3:]).rstrip()
    result.status = ERROR
    result.message = (
        f"Training stopped in {result.failed_in or f'epoch {result.epochs_run + 1}'} by an "
        f"error: "
        f"{type(exc).__name__}: {first}. The model as trained so far "
        f"is kept{' and saved' if save else ''}.{details}")


def error_line(exc: BaseException) -> str:
    """An error as one line: its type and the first line of its text.

    >>> error_line(ValueError("bad\\nmore"))
    'ValueError: bad'
    """
    first = next(iter(_lines(exc)), "")
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def rank_lost(result, exc: BaseException, save: str | None, finished: bool) -> None:
    """Another rank of a data-parallel run failed or was ended while this rank (rank 0)
    trained (`rank_end.lost_rank`): the run fails and keeps the model as of the last
    batch this rank finished (`finished`: the batch it was in had updated the weights)."""
    from .rank_end import describe_lost

    where = result.failed_in or f"epoch {result.epochs_run + 1}"
    kept = "to the end of that batch" if finished else "to the batch before it"
    if not finished and where.endswith(", batch 1"):
        kept = "to the end of the epoch before"
    result.status = ERROR
    result.message = (
        f"Training stopped in {where}: another process of this run failed or was ended "
        f"({describe_lost(exc)}). The model as trained {kept} is kept"
        f"{' and saved' if save else ''}.")


def out_of_memory(result, exc: BaseException, stage: str, batch_size,
                   save: str | None, snapshot: str | None = None) -> None:
    """The result of a run that ran out of memory while `stage`: where, the advice, and
    the epoch-end `snapshot` it kept (`runtime.snapshot`), then the run's model."""
    import torch

    from .snapshot import kept_text

    if torch.cuda.is_available():
        torch.cuda.empty_cache()  # give the failed attempt's blocks back to other work
    lines = _lines(exc)
    # Keras puts its own "Exception encountered when calling..." line first.
    detail = next((line for line in lines if "memory" in line.lower()),
                  lines[0] if lines else type(exc).__name__)
    result.status = OOM
    where = f", in {result.failed_in}," if stage == "training" and result.failed_in else ""
    kept = f" {kept_text(snapshot)}" if snapshot else \
        (" The model was not saved." if save else "")
    result.message = (f"Out of memory on {result.device} while {stage}{where} with batch size "
                      f"{batch_size}. Try a smaller batch size or a smaller model.{kept} "
                      f"({detail})")
    if snapshot:  # the model as trained at that epoch's end is the run's model
        result.saved = snapshot
