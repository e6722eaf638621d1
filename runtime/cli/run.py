"""`kerascanvas run FILE`: train a project's model headless.

It trains with the engine the app's worker uses (`runtime.train`): every
training setting of the project applies, and the flags below override them.
Options written `NAME[:k=v,...]` take Keras' keyword names; values are JSON
(numbers, true/false, null, [lists]) or plain text:

    kerascanvas run model.json --optimizer sgd:momentum=0.9,nesterov=true --lr 0.05 \\
        --schedule cosine_decay:warmup_epochs=1 --callback early_stopping:patience=3 \\
        --callback csv_logger:filename=log.csv --class-weight balanced

Every run is listed in the project's runs folder (`model.runs/runs.json` beside
`model.json`), which the window's Training tab shows beside its own runs, with the
model it kept: the `--save` file, else `model.runs/trained_N.keras` (or `stopped_N.keras`
for a run stopped or failed), as the window keeps a model for each of its runs;
`--no-keep` keeps none there (`runtime.cli.kept_runs`). A run on one process is listed
as running from its start, and reads "interrupted" with its epoch-end snapshot once
killed outright (`runtime.cli.run_snapshot`). Failing to keep or list leaves the exit
code alone.

Ctrl+C (SIGINT) or SIGTERM stops training (or the validation pass, or the final
evaluation) after the current batch and keeps the model; the command says where
training stopped and exits with 130 (SIGINT) or 143 (SIGTERM). A second signal aborts
without saving. A stopped run goes on with `--resume MODEL.keras`: the
weights and optimizer state are loaded, epochs are numbered on from the one its run
record says it reached (or `--initial-epoch N`), at the learning rate the run ended
with (its record; as the window's Continue offers) unless `--lr` gives another.
`--epochs N` is then the epoch to train to, as Keras' `fit(initial_epoch, epochs=N)`
counts (default: the rest of the resumed run's plan); an epoch already trained is
refused. It trains on the data recorded beside the saved model
(`runtime.run_record`), and refuses other or changed data unless `--data-changed`
says so.

Exit codes:
    0  trained and evaluated
    1  the graph is invalid, the settings are refused, or the data does not fit the
       model (each problem names its node, input, output or settings field)
    2  the project file cannot be read
    3  training failed: the loss became NaN, or memory ran out, or the --save file
       could not be written (the model is then kept in the runs folder); with several
       processes, also a rank that failed or was killed (the others are stopped). After
       a NaN loss, an error inside `fit` or an error in the final evaluation after it
       (memory running out there too) the model trained so far is kept (as after a
       signal), and the message names the pass that failed and the error
    4  the project has CustomLayer code that is not trusted (nothing ran; see
       --trust-custom-code)
    130, 143  stopped by SIGINT (Ctrl+C) or SIGTERM; the model trained so far is saved
    129, 131  (several processes) SIGHUP or SIGQUIT to the launcher: torchrun's agent
       ends every rank; rank 0 keeps the model trained so far
    70  an internal error (a bug of ours; with several processes, in the rank, whose
       launcher then exits with 3)

Several processes (torch DDP, started by torchrun; one per GPU on a GPU machine):

    kerascanvas run model.json --nproc-per-node 4
    kerascanvas run model.json --nnodes 2 --nproc-per-node 4 --rdzv-endpoint node0:29400

`batch_size` is the global batch: each of N processes trains on batch_size/N of
it, so the learning rate and the steps per epoch mean what they mean in one
process. Only rank 0 writes the log, checkpoints and the saved model.

keras and torch are imported inside `run` only, so `kerascanvas --help` stays light.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from pathlib import Path

from kerascanvas.graph.initial_weights import anchored

from .. import events as ev
from . import run_snapshot
from .common import (
    EXIT_UNREADABLE,
    initial_weights_off,
    load_or_report,
    output_folders_exist,
    prepare_custom,
)
from .kept_runs import CurveTap, keep_model, list_run
from .progress import EventLog, ProgressBar, metrics_table
from .run_data import checked, error
from .run_options import add_arguments
from .stops import StopOnSignals, exit_code, kept_line, stopped_line

__all__ = ["add_arguments", "run"]  # the command's interface (app/cli.py)

EXIT_OK, EXIT_INVALID, EXIT_FAILED = 0, 1, 3


def _quick_exit() -> None:
    """Have the process end without a last garbage collection: the interpreter's, at its
    exit, walked every keras and torch object, for 3-10 s after the run had ended, or after
    the second Ctrl+C that aborts it. Frozen, they are left to the operating system; a
    process that goes on (the tests call `run` in-process) freezes them only at its exit."""
    import atexit
    import gc

    atexit.unregister(gc.freeze)  # once, however many runs
    atexit.register(gc.freeze)


def run(args) -> int:
    """Validate, load data, check it, train, evaluate; return the exit code."""
    _quick_exit()
    from kerascanvas.graph.summary import left_out_text

    from ..build import describe_issues
    from ..import_generic import keras_layer_problems

    if not output_folders_exist("run", {"--save": args.save, "--log": args.log}):
        return EXIT_INVALID
    project = load_or_report(args.file, "run")
    if project is None:
        return EXIT_UNREADABLE
    refused = prepare_custom(project, getattr(args, "trust_custom_code", False), "run",
                             in_process=True)
    if refused is not None:
        return refused
    doc, analysis = project.doc, project.analysis
    anchored(doc, Path(args.file).parent)  # the initial weights file beside the project
    initial_weights_off(doc, args)
    for issue in analysis.warnings:
        error(describe_issues(doc, [issue], "warning").splitlines()[-1].strip("- "))
    if analysis.left_out_errors:  # each is a warning's node too; say that they do not block
        error(left_out_text(doc, analysis))
    if not analysis.valid:
        error(describe_issues(doc, analysis.blocking, f"{args.file}: the graph is invalid"))
        return EXIT_INVALID
    problems = keras_layer_problems(doc, analysis)
    if problems:
        error(f"{args.file}: the graph is invalid: {problems[0]}")
        return EXIT_INVALID
    return _train(doc, args, analysis)


def _processes() -> int:
    """The processes this run trains on: torchrun's world, else 1."""
    from .. import distributed

    return int(os.environ.get("WORLD_SIZE") or 1) if distributed.launched() else 1


def _train(doc, args, analysis) -> int:
    from .. import distributed
    from ..train import TrainingRefused
    from .run_launch import launch_options

    launch = launch_options(args)
    if launch is not None and not distributed.launched():
        return _launch(doc, args, launch, analysis)
    prepared = checked(doc, args, analysis)
    if prepared is None:
        return EXIT_INVALID
    doc, settings, data = prepared
    if not distributed.is_main():  # rank 0 alone logs, shows progress, saves and prints
        args = argparse.Namespace(**{**vars(args), "log": None, "save": None,
                                     "no_progress": True})
    with EventLog(args.log) as log:
        progress = None if args.no_progress else ProgressBar()
        tap = CurveTap()  # the curves of a run listed in the runs index
        snap = run_snapshot.start(args, settings, tap)  # lists it as running
        say = _say_executor if distributed.is_main() else None  # once, not per rank
        sinks = [s for s in (log, progress, say, tap) if s is not None]
        try:
            result, received = _fit(doc, settings, data, args,
                                    lambda event: [s(event) for s in sinks], analysis, snap)
        except TrainingRefused as exc:
            error(str(exc))
            log(ev.Result(ev.FAILED, str(exc)))
            if snap is not None:  # listed as running as it began: it failed
                snap.refused(str(exc))
            return EXIT_INVALID
        finally:
            if progress is not None:
                progress.close()
        log(ev.Result.of(result, processes=_processes()))
    if distributed.is_main():
        list_run(result, args.file, _processes(), tap, args.resume, snap)
    return _finish(result, received, args)


def _finish(result, received: int | None, args) -> int:
    """Say how the run ended; its exit code. A rank says no signal's name and returns
    0 after a stop: the launcher heard the signal, and its exit code counts."""
    from .. import distributed

    main, launched = distributed.is_main(), distributed.launched()
    kept_elsewhere = bool(result.saved) and result.saved != args.save
    kept = kept_line(result, args.file, args.planned_epochs)
    if not result.ok:
        if main:  # after an error's details (a traceback's last lines), on its own line
            sep = "\n" if "\n" in result.message else " "
            message = result.message.replace("run PROJECT --", f"run {args.file} --")
            named = bool(result.saved) and result.saved in message  # a snapshot, with how
            error(message + (f"{sep}{kept}" if kept_elsewhere and not named else ""))
        return EXIT_FAILED
    if main:  # the message and where the model went are said once, not in both streams
        if received is not None:
            print(metrics_table(result, message="", saved=False), flush=True)
            error(stopped_line(None if launched else received, result, args.file,
                               args.planned_epochs))
        elif kept_elsewhere or result.save_error:
            message = result.message.removesuffix(result.save_error or "").strip()
            print(metrics_table(result, message=message, saved=False), flush=True)
            error(f"{result.save_error} {kept}".strip())
        else:
            print(metrics_table(result), flush=True)
    if result.save_error:  # trained, but --save was not written (the model kept instead)
        return EXIT_FAILED
    return EXIT_OK if received is None or launched else exit_code(received)


def _say_executor(event: ev.TrainingEvent) -> None:
    """Print which training step runs, and why not a faster one, before training; and a
    rank the others wait for (on several processes: `runtime.rank_watch`)."""
    if isinstance(ev.require(event), ev.ExecutorChosen | ev.WeightsLoaded):
        print(event.message, file=sys.stderr, flush=True)
    elif isinstance(event, ev.RankSilent):
        error(event.text())


def _launch(doc, args, launch, analysis) -> int:
    """Check everything here, then start torchrun with this command in every rank."""
    from .. import distributed
    from .run_launch import start_ranks

    found = launch.problems()
    prepared = checked(doc, args, analysis)
    if prepared is None:
        return EXIT_INVALID
    doc, settings, _data = prepared
    found += distributed.problems(doc, settings, launch.world)
    if found:
        error("; ".join(found))
        return EXIT_INVALID
    return start_ranks(args, launch, EXIT_INVALID, EXIT_FAILED)


def _snapshot_identity(save: str | None):
    from ..kill_keep import file_identity
    from ..snapshot import snapshot_path

    return file_identity(snapshot_path(save)) if save else None


@contextlib.contextmanager
def _say_snapshot(args, before, snap=None):
    """A run aborted (the second signal) names the epoch-end snapshot it kept
    (`runtime.snapshot`: beside --save, else `snap`'s in the runs folder), and how to
    continue it."""
    try:
        yield
    except (KeyboardInterrupt, SystemExit):
        from ..snapshot import kept_snapshot, kept_text

        if snap is None or args.save:
            kept = kept_snapshot(args.save, before)
        else:  # taken by this run: its number was reserved as it began
            kept = snap.path if snap.path and os.path.exists(snap.path) else None
        if kept:
            error("aborted without saving. " + kept_text(kept).replace("PROJECT", args.file))
        raise


def _fit(doc, settings, data, args, sink, analysis=None, snap=None):
    """(the TrainResult, the signal that stopped it or None). Without --save the run keeps
    its model in the runs folder (`kept_runs.keep_model`), unless --no-keep, and its
    epoch-end snapshot there (`snap`, a `run_snapshot.RunSnapshot`) until it ends."""
    from .. import distributed
    from ..bridge import FastBridge
    from ..train import train

    def scoring(event) -> None:
        """Say that the model kept after a signal is being scored, and how to skip it."""
        sink(event)
        if isinstance(event, ev.TrainEnd) and signals.received is not None and \
                bridge.val_cut is None and distributed.is_main():
            error("training stopped; scoring the model kept (the final evaluation): the "
                  "same signal again ends it after its current batch")

    bridge = FastBridge(scoring)
    # A rank leaves SIGTERM alone: torchrun sends it to end the ranks when one has failed,
    # and a rank waiting on a dead peer could not finish its batch.
    caught = (signal.SIGINT,) if distributed.launched() else (signal.SIGINT, signal.SIGTERM)
    before = _snapshot_identity(args.save)
    extra = [c for c in [snap.callback(data) if snap else None] if c is not None]
    with StopOnSignals(bridge, caught) as signals, _say_snapshot(args, before, snap):
        result = train(doc, data, sink=sink, save=args.save, threads=args.threads,
                       bridge=bridge, initial_model=args.resume, callbacks=extra,
                       initial_epoch=args.initial_epoch, resolved=settings, analysis=analysis)
        if distributed.is_main():
            keep_model(result, args.file, not getattr(args, "no_keep", False), data)
        if snap is not None:
            snap.finish(result)
    if signals.received is None and distributed.stop_asker() is not None:
        return result, signal.SIGINT  # another machine's launcher passed a stop on
    return result, signals.received

