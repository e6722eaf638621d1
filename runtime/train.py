"""Training a document's model: the one engine behind `kerascanvas run` and the worker.

The steps, each shared by every caller:

1. `prepare(doc, overrides, analysis)`: analyse the graph (or take the caller's
   analysis, which every later step then reads too) and refuse an invalid one,
   apply setting overrides, refuse bad settings
   (`graph.training_schema.check_training`, every field named) and an unusable
   device, and resolve every setting (`resolve_extended`).
2. `load_checked_data(doc, settings, analysis=...)`: open the data source (arrays, CSV, image
   folders: `runtime.sources.open_source`) and check it against the model
   (`runtime.data.check_data`); each problem names its Input or output node.
3. `train(doc, data, ..., resolved=settings, analysis=...)`: with the settings of
   step 1 (so the graph is checked and analysed once; without them `train` runs step 1
   itself, and without the analysis it analyses the graph once), build under
   the mixed-precision policy with the output layers in float32, compile
   (optimizer and schedule, our losses and metrics), optionally continue a saved
   model, put array data on the device (`runtime.feed`), fit with `FastBridge`
   and the settings' callbacks (batch-end hooks called only where one listens:
   `runtime.dispatch`), evaluate, save.

`train` never raises for the failures a user causes while training (a loss that
becomes NaN, running out of memory); it returns a `TrainResult` whose `status`
and `message` say what happened, with the model as trained so far.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kerascanvas.graph.document import Document
from kerascanvas.graph.errors import KerasCanvasError
from kerascanvas.graph.layers import custom
from kerascanvas.graph.projectfile import from_dict, to_dict

from . import finetune
from .build import build_model, describe_issues
from .data import DataError, check_data
from .fitplan import FitPlan, plan_fit
from .keras_env import choose_device, device_scope, import_keras, set_threads
from .model_compile import compile_model
from .train_messages import (  # the statuses are this module's too (`train.NAN`...)
    ERROR,  # noqa: F401
    NAN,
    OK,
    OOM,
    STOPPED,
    early_stop_message,
    nan_message,
    out_of_memory,
    stop_message,
    training_error,
    unscored_message,
)


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
            (an exception inside `fit`; the model trained so far is kept).
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
            came during validation) or cut it short (a stop during the evaluation); the
            message says it too. Empty otherwise.
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

    @property
    def ok(self) -> bool:
        return self.status in (OK, STOPPED)


# ---- settings and data --------------------------------------------------------------
def with_overrides(doc: Document, overrides: Mapping[str, Any] | None) -> Document:
    """`doc` itself, or a copy whose training section has `overrides` applied.

    The copy's graph is `doc`'s: it shares `doc`'s custom code context (the trust and
    the shapes Keras computed) as it is, and nothing is analysed or computed here, since
    the analysis of `doc` serves the copy (`data.output_shapes`).
    """
    if not overrides:
        return doc
    copied = from_dict(copy.deepcopy(to_dict(doc)))
    copied.training = {**(copied.training or {}), **copy.deepcopy(dict(overrides))}
    custom.set_context(copied, custom.context(doc))
    return copied


def prepare(doc: Document, overrides: Mapping[str, Any] | None = None,
            analysis=None) -> tuple[Document, dict]:
    """(document with the overrides, its resolved extended settings), checked.

    `analysis` is the document's analysis when the caller has it (a Project's);
    without it the document is analysed here.

    Raises:
        TrainingRefused: every refused setting, each naming its field, or a device
            this machine does not have.
    """
    doc, settings, _ = _prepare(doc, overrides, analysis)
    return doc, settings


def _prepare(doc: Document, overrides: Mapping[str, Any] | None, analysis):
    """`prepare`, also giving the analysis it used (the caller's or its own)."""
    from kerascanvas.graph import validate
    from kerascanvas.graph.training_schema import check_training, resolve_extended

    analysis = analysis if analysis is not None else validate.analyze(doc)
    if not analysis.valid:  # the data and the build both read the graph's shapes
        raise TrainingRefused(describe_issues(doc, analysis.errors, "The graph is invalid"),
                              issues=analysis.errors)
    doc = with_overrides(doc, overrides)
    errors = [i.message for i in check_training(doc) if i.severity == "error"]
    if errors:
        raise TrainingRefused("The training settings are refused: " + "; ".join(errors))
    settings = resolve_extended(doc)
    try:
        choose_device(settings["device"])
    except ValueError as exc:
        raise TrainingRefused(f"training.device: {exc}") from exc
    return doc, settings, analysis


def load_checked_data(doc: Document, settings: Mapping[str, Any], spec: str | None = None,
                      analysis=None):
    """Open the data source and check it against the model before any training.

    Args:
        doc: the document (with overrides applied: its losses decide the label form).
        settings: resolved settings (seed, validation_split, batch_size, data).
        spec: the data spec; None reads `settings["data"]`.
        analysis: the document's analysis (the one `prepare` used), when the caller
            holds it; without it the graph is analysed here.

    Returns:
        A `data.Dataset` or a `sources.ImageFolder`.

    Raises:
        DataError: the source cannot be read, or its problems, each naming the
            Input or output node it concerns.
    """
    from .sources import ImageFolder, check_images, open_source

    data = open_source(spec or settings["data"], doc, settings["seed"],
                       float(settings["validation_split"]), int(settings["batch_size"]),
                       analysis)
    problems = check_images(doc, data, analysis) if isinstance(data, ImageFolder) else \
        check_data(doc, data, analysis)
    if problems:
        raise DataError(describe_issues(doc, problems, f"The data {data.source!r} does not "
                                                       "fit the model"), problems)
    return data


# ---- the model -------------------------------------------------------------------------
def make_model(doc: Document, settings: Mapping[str, Any], steps: int,
               initial_model: str | None = None, analysis=None):
    """Build and compile under the settings' dtype policy; continue `initial_model`.
    `analysis`: the document's, when the caller holds it (else analysed once here)."""
    from kerascanvas.graph import validate

    from .precision import output_dtype_overrides, policy_for, precision_scope

    analysis = analysis if analysis is not None else validate.analyze(doc)
    with precision_scope(policy_for(settings)):
        model = build_model(doc, dtypes=output_dtype_overrides(doc, analysis),
                            analysis=analysis)
        compile_model(model, doc, settings, steps, analysis)
    if initial_model:
        continue_from(model, initial_model)
    return model


def continue_from(model, path: str) -> None:
    """Give `model` the weights and optimizer state of the model saved at `path`.

    The new optimizer keeps the learning rate of the current settings (so a
    changed rate applies) and continues the saved step count and slots.

    Raises:
        TrainingRefused: the file cannot be loaded, or a layer's weights differ.
    """
    from . import archive_check
    from .extras import CUSTOM_OBJECTS
    from .optim import carry_state

    keras = import_keras()
    problem = archive_check.incomplete(path)
    if problem:
        raise TrainingRefused(f"Could not load the model to continue from {path}: {problem}")
    try:
        saved = keras.saving.load_model(path, custom_objects=CUSTOM_OBJECTS, safe_mode=True)
    except (OSError, ValueError, TypeError) as exc:
        raise TrainingRefused(f"Could not load the model to continue from {path}: {exc}") \
            from exc
    for layer in model.layers:
        if not layer.weights:
            continue
        try:
            layer.set_weights(saved.get_layer(layer.name).get_weights())
        except ValueError as exc:
            raise TrainingRefused(
                f"The model in {path} does not match the document at layer "
                f"{layer.name!r}: expected weights of shapes "
                f"{[tuple(w.shape) for w in layer.weights]}. ({exc})") from exc
    carry_state(getattr(saved, "optimizer", None), model.optimizer, model.trainable_variables)


def refuse_untrainable(model) -> None:
    """Refuse what Keras builds but cannot train on torch: stateful LSTM and GRU layers
    (Keras writes their state in place while the backward pass still needs it; a
    stateful SimpleRNN trains).

    Raises:
        TrainingRefused: naming the layer (the node, or the node inside a block).
    """
    keras = import_keras()
    for layer in model._flatten_layers(include_self=False):
        if isinstance(layer, keras.layers.LSTM | keras.layers.GRU) and layer.stateful:
            raise TrainingRefused(
                f"{layer.name}: {type(layer).__name__} with stateful=True cannot be trained "
                "with Keras on the torch backend (Keras updates the state in place while "
                "the backward pass still needs it). The model builds and its code can be "
                "generated; set stateful=False to train it here.")


# ---- training ---------------------------------------------------------------------------
def run_fit(model, **kwargs):
    """`model.fit(**kwargs)`. A seam: tests replace it to inject failures such as OOM."""
    return model.fit(**kwargs)


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether `exc` is torch running out of (GPU or CPU) memory."""
    import torch

    return isinstance(exc, torch.OutOfMemoryError) or (
        isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower())


def train(doc: Document, data, settings: Mapping[str, Any] | None = None,
          sink=None, device: str | None = None, save: str | None = None,
          bridge=None, callbacks: Sequence[Any] = (), threads: int | None = None,
          initial_model: str | None = None, initial_epoch: int = 0,
          resolved: Mapping[str, Any] | None = None, analysis=None) -> TrainResult:
    """Build, compile, fit and evaluate the model of `doc` on `data`.

    Args:
        doc: a valid document (BuildError otherwise); with `resolved`, the document
            `prepare` returned.
        data: from `load_checked_data` (a Dataset or an ImageFolder).
        settings: overrides of the document's training settings (epochs, batch_size...);
            not with `resolved`.
        sink: receives the bridge's dict events, if given.
        device: "auto", "cpu" or "cuda", instead of the settings' device.
        save: a `.keras` path to save the trained model to.
        bridge: a `bridge.FastBridge` to use instead of a new one (to stop or pause it).
        callbacks: further Keras callbacks.
        threads: torch CPU threads (None: torch's default).
        initial_model: a saved `.keras` model to continue (weights and optimizer state).
        initial_epoch: the epoch to continue from; `epochs` stays the last epoch, as
            in Keras' `fit`.
        resolved: the settings `prepare` returned with `doc`, when the caller has
            prepared it (the graph was analysed and the settings checked there); without
            them `train` runs `prepare(doc, settings)` itself.
        analysis: the document's analysis (the one `prepare` used), when the caller
            holds it: the build and the compile read it, so the run analyses the graph
            once. Without it the graph is analysed once here.

    Returns:
        A TrainResult; NaN loss and out-of-memory become results, not exceptions.

    Raises:
        TrainingRefused: refused settings or a model that cannot be continued.
        ValueError: both `settings` and `resolved` were given.
    """
    from . import distributed as ranks
    from .adapt import adapt_layers
    from .bridge import FastBridge
    from .callbacks import save_atomic

    keras = import_keras()
    if resolved is None:
        doc, resolved, analysis = _prepare(doc, settings, analysis)
    elif settings:
        raise ValueError("train() takes setting overrides or prepared settings, not both: "
                         "apply the overrides with prepare(doc, overrides)")
    elif analysis is None:  # read by the build and every compile (a fine-tune has two)
        from kerascanvas.graph import validate

        analysis = validate.analyze(doc)
    resolved = dict(resolved)  # the caller's settings stay as they were
    resolved["device"] = device or resolved["device"]
    result = TrainResult(OK, device=choose_device(resolved["device"]), settings=resolved,
                         initial_epoch=int(initial_epoch), epochs_run=int(initial_epoch))
    set_threads(threads)
    session = ranks.join(resolved["device"], resolved["seed"])
    if session is not None:
        save = ranks.refuse_unshardable(session, doc, resolved, save)
    if resolved["seed"] is not None:
        keras.utils.set_random_seed(int(resolved["seed"]))
    plan = plan_fit(doc, data, resolved)
    bridge = bridge or FastBridge(sink or (lambda event: None))
    bridge.describe({**resolved, "device": result.device}, int(resolved["batch_size"]),
                    plan.samples, initial_epoch)
    stage = "building the model"
    try:
        with device_scope(result.device):
            result.model = make_model(doc, resolved, plan.steps, initial_model, analysis)
            refuse_untrainable(result.model)
            if not initial_model:  # a continued model keeps the state it learned
                stage = "adapting the preprocessing layers to the training data"
                adapt_layers(result.model, plan.fit["x"], int(resolved["batch_size"]))
            stage = "moving the data to the device"
            ranks.place(session, plan, result.device, result.model)
            stage = "training"
            _fit(result, plan, bridge, list(callbacks), doc, session, analysis)
            stage = "evaluating"
            _evaluate(result, plan, bridge, session)
            ranks.release(session, result.model)
    except Exception as exc:
        if is_out_of_memory(exc):
            out_of_memory(result, exc, stage, resolved["batch_size"], save)
        elif stage == "training" and not isinstance(exc, TrainingRefused):
            training_error(result, exc, save)
        else:
            raise
    if save and result.model is not None and result.status != OOM:
        save_atomic(result.model, save)
        result.saved = str(save)
    return result


def _fit(result: TrainResult, plan: FitPlan, bridge, callbacks: list,
         doc: Document | None = None, session=None, analysis=None) -> None:
    from .callbacks import LastFiniteWeights, make_callbacks
    from .train_epochs import CompleteEpochs

    settings, model = result.settings, result.model
    keeper = LastFiniteWeights(result.initial_epoch)
    chosen = make_callbacks(settings)
    listening = [bridge, keeper, *chosen, *callbacks]
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
    elif bridge.stopped:
        result.status = STOPPED
        result.message = stop_message(bridge.stopped_in, result.epochs_run,
                                      bridge.val_cut)
    else:
        result.message = early_stop_message(chosen)


def _evaluate(result: TrainResult, plan: FitPlan, bridge, session) -> None:
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
    scores = result.model.evaluate(**plan.evaluate, verbose=0, return_dict=True,
                                   callbacks=[*ranks.evaluation_callbacks(session, guard),
                                              guard])
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
