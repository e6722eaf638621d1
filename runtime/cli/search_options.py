"""The flags of `kerascanvas search` and the SearchOptions they make: how many trials and
where, the study's storage and name, sampler and pruner, and the run settings every
trial overrides (`--epochs`, `--data`, `--device`). Light: no keras, no Optuna.

The project's search section may hold the study's run settings (`graph.search_run`:
trials, jobs, epochs, timeout, sampler, pruner, seed, as the window's Search tab saves
them); they are the defaults here, and each flag given overrides its own setting."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from kerascanvas.graph.layers import custom
from kerascanvas.graph.training_schema import DEVICES

from .common import add_initial_weights_argument, add_trust_argument
from .run_options import _positive, named_options


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="the project file (.json) with a search section")
    parser.add_argument("--trials", type=_positive, metavar="N",
                        help="trials this process runs (default: the project's, else 20; "
                             "none of its own with --timeout or --max-trials)")
    parser.add_argument("--max-trials", type=_positive, metavar="N",
                        help="stop once the study holds N complete or pruned trials, those "
                             "of earlier runs and other processes included (--trials then "
                             "defaults to no limit of its own)")
    parser.add_argument("--timeout", type=_seconds, metavar="SECONDS",
                        help="after this many seconds of search (time suspended by Ctrl+Z "
                             "not counted), stop the running trials after their current "
                             "batch (marked failed: no value) and start no new one "
                             "(default: the project's, else none)")
    parser.add_argument("--jobs", type=_positive, metavar="J",
                        help="trials at once on this machine: the CPU threads are split "
                             "between them, or each gets a GPU (default: the project's, "
                             "else one per GPU, else 1)")
    parser.add_argument("--storage", metavar="PATH|URL",
                        help="a journal file, or a database URL (sqlite:///x.db, "
                             "postgresql://...) that processes on several machines share "
                             "(default: PROJECT.study.log beside the project)")
    parser.add_argument("--study", metavar="NAME", help="the study name (default: the "
                                                        "project file's name)")
    parser.add_argument("--sampler", type=named_options, metavar="NAME[:k=v,...]",
                        help="tpe, random, gp, qmc or cmaes, with Optuna's options "
                             "(default: the project's, else tpe)")
    parser.add_argument("--pruner", type=named_options, metavar="NAME[:k=v,...]",
                        help="median, percentile, hyperband, successive_halving, threshold, "
                             "wilcoxon or none, with Optuna's options (default: the "
                             "project's, else median)")
    parser.add_argument("--seed", type=int, metavar="S",
                        help="trial N draws with a sampler seeded S + N: reproducible, and "
                             "distinct across --jobs and processes sharing the study "
                             "(default: the project's, else unseeded)")
    parser.add_argument("--metric", metavar="NAME",
                        help="the logged value to optimize (default: the search section's, "
                             "else val_loss)")
    parser.add_argument("--direction", choices=("minimize", "maximize"))
    parser.add_argument("--epochs", type=_positive, metavar="N",
                        help="epochs of every trial (default: the search section's, else "
                             "the training settings')")
    parser.add_argument("--data", metavar="SPEC", help="the data of every trial (as in run)")
    parser.add_argument("--device", choices=DEVICES)
    parser.add_argument("--best-project", metavar="OUT.json",
                        help="write the project with the best trial's values")
    parser.add_argument("--best-model", metavar="OUT.keras",
                        help="keep the trained model of this run's best trial there "
                             "(replaced as better trials complete; kept on Ctrl+C)")
    parser.add_argument("--show", action="store_true",
                        help="run nothing: print the study the storage holds, a table of "
                             "every trial (number, state, value, epochs reached, duration, "
                             "the values drawn; with --json, all of it as JSON), and write "
                             "--best-project from its best trial; "
                             "trials listed as running whose process is gone (killed, "
                             "heartbeat lost) are marked failed, and it says so")
    parser.add_argument("--json", action="store_true",
                        help="print the study's summary as JSON (trials, states, values, "
                             "parameters, the best trial)")
    add_initial_weights_argument(parser)
    add_trust_argument(parser)
    parser.epilog = (
        "The project's search section may hold the study's run settings (trials, jobs, "
        "epochs, timeout, sampler, pruner, seed: what the window's Search tab saves); they "
        "are the defaults, and each option given overrides its own. "
        "Before any trial, the checks of the window's Search tab run: trust, space, settings, "
        "metric, data, and Keras builds of sampled models. Exit codes: 0 the study ran (or "
        "already held --max-trials); 1 it cannot start (each problem names its node, "
        "parameter or field); 2 unreadable project; 3 no trial of this run completed; 4 "
        "untrusted custom code; 130 (143) stopped by Ctrl+C (SIGTERM): the finished trials "
        "stay in the storage, and the same command continues the study.")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, "
                                         f"received {text!r}")
    return value


def objective_section(doc, args) -> dict:
    """The objective flags, into the document's search section; the project's own back."""
    own = dict(doc.search)
    if args.metric or args.direction:
        doc.search = {**doc.search, **({"metric": args.metric} if args.metric else {}),
                      **({"direction": args.direction} if args.direction else {})}
    return own


def options_from(args, doc):
    from kerascanvas.graph.search_run import run_settings, stored_run
    from kerascanvas.graph.training_paths import anchored_settings

    from ..search.driver import SearchOptions
    from ..search.slots import visible_gpus
    from ..search.study import default_storage

    saved = run_settings(doc)  # the project's run settings: the flags override them
    flags = {"trials": args.trials, "jobs": args.jobs, "epochs": args.epochs,
             "timeout": args.timeout, "sampler": args.sampler, "pruner": args.pruner,
             "seed": args.seed}
    run = {key: saved[key] if flags[key] is None else flags[key] for key in flags}
    # the project's relative paths are read next to it, the flags' in the current folder
    overrides = {**anchored_settings(doc.training, Path(args.file).resolve().parent),
                 **{k: v for k, v in (("epochs", run["epochs"]), ("data", args.data),
                                      ("device", args.device)) if v is not None}}
    jobs = run["jobs"] or (len(visible_gpus()) if args.device != "cpu" else 0) or 1
    # the flag --timeout or --max-trials without a trial count given: no count of its own
    # (a timeout from the file keeps the count, as the window's Start does)
    trials = args.trials or stored_run(doc).get("trials") or (
        None if args.timeout or args.max_trials else saved["trials"])
    return SearchOptions(storage=args.storage or default_storage(args.file),
                         study_name=args.study or Path(args.file).stem, trials=trials,
                         timeout=run["timeout"], jobs=jobs, sampler=run["sampler"],
                         pruner=run["pruner"], seed=run["seed"], overrides=overrides,
                         device=args.device, best_model=args.best_model,
                         max_trials=args.max_trials,
                         trusted_code=custom.context(doc).trusted)
