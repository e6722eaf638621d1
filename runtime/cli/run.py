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
process. Only rank 0 writes the log, checkpoints and the saved model, and it shows the
progress a one-process run shows (the bar with its ETA, a line per epoch) as it trains,
on the streams of the launcher that started it (torchrun's ranks write to their
launcher's). Rank 0 lists the run in the runs index as running, and again at an epoch's
end (`run_snapshot.LIVE_S`), with the epoch and the curves up to it, so the window
shows its progress while it trains.

keras and torch are imported inside `run` only, so `kerascanvas --help` stays light.
"""

from __future__ import annotations

import argparse
import os
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
from .kept_runs import CurveTap, list_run
from .progress import EventLog, ProgressBar
from .run_data import checked, error
from .run_fit import fit
from .run_options import add_arguments
from .run_report import EXIT_FAILED, EXIT_INVALID, EXIT_OK, finish, say_executor
from .run_test_data import open_test_data, test_metrics_text

# the command's interface (app/cli.py), and the codes a rank returns (`rank`)
__all__ = ["EXIT_FAILED", "EXIT_OK", "add_arguments", "run"]


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
    from kerascanvas.graph.digest import graph_key
    from kerascanvas.graph.summary import left_out_text

    from ..build import describe_issues
    from ..import_generic import keras_layer_problems

    if not output_folders_exist("run", {"--save": args.save, "--log": args.log}):
        return EXIT_INVALID
    if args.save and not args.save.endswith(".keras"):
        error(f"--save {args.save}: expected a path ending in .keras (the Keras model "
              "format); nothing was trained")
        return EXIT_INVALID
    project = load_or_report(args.file, "run")
    if project is None:
        return EXIT_UNREADABLE
    # The graph trained, as the window keeps it on its runs (Export offers their models
    # first); --resume goes on with a model's graph, the listed run's (`continue_listed`).
    # A rank gets the launcher's arguments, this key among them.
    if not hasattr(args, "trained_graph"):
        args = argparse.Namespace(**vars(args), trained_graph=None if args.resume
                                  else graph_key(project.doc))
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
    # rank 0 alone scores the trained model (on several processes too; the launcher
    # refused test data that does not fit before any rank started)
    test, refused = open_test_data(doc, settings, analysis) if distributed.is_main() else \
        (None, None)
    if refused:
        error(refused)
        return EXIT_INVALID
    if not distributed.is_main():  # rank 0 alone logs, shows progress, saves and prints
        args = argparse.Namespace(**{**vars(args), "log": None, "save": None,
                                     "no_progress": True})
    with EventLog(args.log) as log:
        progress = None if args.no_progress else ProgressBar()
        tap = CurveTap()  # the curves of a run listed in the runs index
        snap = run_snapshot.start(args, settings, tap)  # lists it as running
        say = say_executor if distributed.is_main() else None  # once, not per rank
        live = snap.heard if snap is not None else None  # after the tap: its epoch's logs
        sinks = [s for s in (log, progress, say, tap, live) if s is not None]
        try:
            result, received = fit(doc, settings, data, args,
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
        list_run(result, args.file, _processes(), tap, args.resume, snap,
                 args.trained_graph)
    code = finish(result, received, args)
    if test is not None and result.ok and result.model is not None:
        print(test_metrics_text(result, doc, test), flush=True)
    return code


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
    refused = open_test_data(doc, settings, analysis)[1]  # before any rank trains
    found += [refused] if refused else []
    if found:
        error("; ".join(found))
        return EXIT_INVALID
    return start_ranks(args, launch, EXIT_INVALID, EXIT_FAILED)
