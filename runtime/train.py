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
   model (`runtime.train_model`), put array data on the device (`runtime.feed`), fit
   with `FastBridge` and the settings' callbacks (batch-end hooks called only where one
   listens: `runtime.dispatch`) and evaluate (`runtime.train_fit`), save.

`train` never raises for the failures a user causes while training (a loss that
becomes NaN, running out of memory, an error in `fit` or in the final evaluation after
it; on several processes, another rank failing: `runtime.rank_end`); it returns a
`TrainResult` whose `status` and `message` say what happened, with the model as trained
so far (`runtime.train_messages`, where `TrainResult` and `TrainingRefused` live; they are
importable from here too, as the statuses are).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kerascanvas.graph.document import Document

from . import rank_end
from .build import describe_issues
from .data import DataError
from .fitplan import plan_fit
from .initial_weights import apply_for_run
from .keras_env import choose_device, device_scope, import_keras, set_threads
from .overrides import with_overrides  # its home was here; `train.with_overrides` stays
from .train_fit import evaluate_run, evaluation_failed, fit_run
from .train_messages import (  # the statuses are this module's too (`train.NAN`...)
    ERROR,  # noqa: F401
    NAN,  # noqa: F401
    OK,
    OOM,
    STOPPED,  # noqa: F401
    TrainingRefused,
    TrainResult,
    error_line,
    out_of_memory,
    rank_lost,
    training_error,
)
from .train_model import make_model, refuse_untrainable


# ---- settings and data --------------------------------------------------------------
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
    from kerascanvas.graph.initial_weights import source_state
    from kerascanvas.graph.training_schema import refused_training, resolve_extended

    from .callback_paths import callback_path_problem

    analysis = analysis if analysis is not None else validate.analyze(doc)
    if not analysis.valid:  # the data and the build both read the graph's shapes
        raise TrainingRefused(describe_issues(doc, analysis.blocking, "The graph is invalid"),
                              issues=analysis.blocking)
    doc = with_overrides(doc, overrides)
    refused = refused_training(doc) or source_state(doc)
    if refused:  # a missing or changed initial weights file too: never a silent fresh start
        raise TrainingRefused(refused)
    settings = resolve_extended(doc)
    problem = callback_path_problem(settings["callbacks"])
    if problem:
        raise TrainingRefused(f"The training settings are refused: {problem}")
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
    from . import data_stamp

    if spec is None and isinstance(settings, dict):  # the training data, for the run record
        settings["data_stamp"] = data_stamp.stamp(settings["data"])
    data, problems = data_findings(doc, settings, spec, analysis)
    warnings = [p for p in problems if p.severity != "error"]  # said, never refused
    problems = [p for p in problems if p.severity == "error"]
    if problems:
        raise DataError(describe_issues(doc, problems, f"The data {data.source!r} does not "
                                                       "fit the model"), problems)
    data.notes = [w.message for w in warnings]
    return data


def data_findings(doc: Document, settings: Mapping[str, Any], spec: str | None = None,
                  analysis=None) -> tuple[Any, list]:
    """(the opened data, every finding of the check `load_checked_data` makes): errors,
    which refuse a run, and warnings, which a run says.

    Raises:
        DataError: the source cannot be read (or cannot feed this model at all).
    """
    from .datacheck import check_split
    from .sources import check_source, open_source
    from .split_check import sorted_split_issues

    data = open_source(spec or settings["data"], doc, settings["seed"],
                       float(settings["validation_split"]), int(settings["batch_size"]),
                       analysis)
    problems = check_source(doc, data, analysis, "training" if spec is None else "test")
    if spec is None:  # the training data, which the validation split cuts
        problems += check_split(data, settings["validation_split"])
        problems += sorted_split_issues(doc, data, settings)
    return data, problems


# ---- training ---------------------------------------------------------------------------
def is_out_of_memory(exc: BaseException) -> bool:
    """Whether `exc` is torch running out of (GPU or CPU) memory."""
    import torch

    return isinstance(exc, torch.OutOfMemoryError) or (
        isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower())


def _memory_hint(exc: BaseException, settings: Mapping[str, Any]) -> str:
    if not is_out_of_memory(exc):
        return ""
    return (f"Memory ran out scoring batches of {settings['batch_size']}: try a smaller batch "
            "size.")


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
    from .snapshot_callback import EpochSnapshot
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
    callbacks = [*callbacks, *_snapshots(save, session, resolved, data, callbacks)]
    snapshots = [c for c in callbacks if isinstance(c, EpochSnapshot)]
    bridge = bridge or FastBridge(sink or (lambda event: None))
    bridge.describe({**resolved, "device": result.device}, int(resolved["batch_size"]),
                    plan.samples, initial_epoch, plan.note)
    stage = "building the model"
    try:
        with device_scope(result.device):
            result.model = make_model(doc, resolved, plan.steps, initial_model, analysis)
            if not initial_model:  # a continued model keeps the weights it learned
                apply_for_run(result.model, doc, bridge.sink)
            refuse_untrainable(result.model)
            if not initial_model:  # a continued model keeps the state it learned
                stage = "adapting the preprocessing layers to the training data"
                adapt_layers(result.model, plan.fit["x"], int(resolved["batch_size"]))
            stage = "moving the data to the device"
            ranks.place(session, plan, result.device, result.model)
            stage = "training"
            with rank_end.training():  # rank 0: torchrun's SIGTERM ends `fit` as an error
                fit_run(result, plan, bridge, callbacks, doc, session, analysis)
            stage = "evaluating"
            evaluate_run(result, plan, bridge, session)
            ranks.release(session, result.model)
    except Exception as exc:
        _note_failure(session, exc, result.failed_in if stage == "training" else stage)
        if stage == "evaluating":  # trained: the model is kept, as after a NaN loss
            ranks.release(session, result.model)
            evaluation_failed(result, exc, plan.evaluated_on, save, _memory_hint(exc, resolved),
                              session is not None and rank_end.lost_rank(exc))
        elif is_out_of_memory(exc):
            out_of_memory(result, exc, stage, resolved["batch_size"], save,
                          snapshots[0].kept() if snapshots else None)
        elif stage == "training" and session is not None and rank_end.lost_rank(exc):
            rank_lost(result, exc, save, session.updated)
        elif stage == "training" and not isinstance(exc, TrainingRefused):
            training_error(result, exc, save)
        else:
            raise
    if save and result.model is not None and result.status != OOM:
        _save(result, save, data)
    return result


def _snapshots(save: str | None, session, settings, data, given) -> list:
    """The epoch-end snapshot of a run that saves its model (`runtime.snapshot`), unless
    the caller gives its own among `given`; on one process only."""
    from .snapshot_callback import EpochSnapshot

    if not save or session is not None or any(isinstance(c, EpochSnapshot) for c in given):
        return []
    return [EpochSnapshot(save, settings, data)]


def _note_failure(session, exc: BaseException, where: str) -> None:
    """Note on this rank's session where it failed and what it received, for its
    launcher to name (`runtime.rank_reports`); an error that says another rank is gone
    is noted as such (that rank says its own failure, or rank 0 names it)."""
    if session is not None and rank_end.lost_rank(exc):
        session.lost = rank_end.describe_lost(exc)  # named by rank 0's `rank_census`
    elif session is not None:
        where = "the final evaluation" if where == "evaluating" else where or "training"
        session.failure = f"{where}: {error_line(exc)}"


def _save(result: TrainResult, path: str, data) -> None:
    """Save the trained model to `path` (whole or not at all), with its run record beside
    it (`run_record.keep`: what a continuation reads). A file that cannot be written is
    said in the result (`save_error`), not raised: the model stays in the result, for the
    caller to keep elsewhere; a record that cannot be written is said in its message."""
    from . import run_record, snapshot
    from .callbacks import save_atomic

    try:
        save_atomic(result.model, path)
    except (OSError, ValueError) as exc:  # ValueError: Keras refuses the path's suffix
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        result.save_error = f"Could not save the model to {path}: {reason}."
        result.message = f"{result.message} {result.save_error}".strip()
        return
    result.saved = str(path)
    snapshot.discard(path)  # the model kept supersedes the epoch-end snapshot
    unrecorded = run_record.keep(result, data)
    result.message = f"{result.message} {unrecorded}".strip()
