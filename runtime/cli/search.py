"""`kerascanvas search PROJECT`: search the design space the project's `search` section marks.

Built on Optuna. Each trial trains with the engine of `kerascanvas run`, in its
own process; its epoch metrics go to the pruner. The study lives in a journal
file beside the project (`PROJECT.study.log`) unless `--storage` names another
file or a database URL; every `kerascanvas search` pointed at the same storage
and study joins the same study, on this machine or on others:

    kerascanvas search model.json --trials 30 --jobs 2
    kerascanvas search model.json --storage postgresql://me@db/studies --trials 50

Exit codes:
    0  the study ran (some trials may have failed or been pruned)
    1  the search cannot start: invalid graph, ranges, settings, metric or data
       (each problem names its node, parameter or field), or a bad option
    2  the project file cannot be read
    3  no trial of this run completed
    4  the project has CustomLayer code nobody trusted: no trial started, nothing ran
       (`--trust-custom-code`, or the window's trust; each trial's worker then gets
       the digests of the trusted code, never anything from the file)
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from kerascanvas.graph.layers import custom
from kerascanvas.graph.training_schema import DEVICES

from .. import events as ev
from .common import (
    EXIT_UNREADABLE,
    add_trust_argument,
    load_or_report,
    output_folders_exist,
    prepare_custom,
)
from .run_options import _positive, named_options
from .stops import StopOnSignals

EXIT_OK, EXIT_INVALID, EXIT_NO_TRIAL = 0, 1, 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="the project file (.json) with a search section")
    parser.add_argument("--trials", type=_positive, metavar="N",
                        help="trials this process runs (default 20, or until --timeout)")
    parser.add_argument("--timeout", type=float, metavar="SECONDS",
                        help="start no new trial after this many seconds")
    parser.add_argument("--jobs", type=_positive, metavar="J",
                        help="trials at once on this machine: the CPU threads are split "
                             "between them, or each gets a GPU (default: one per GPU, else 1)")
    parser.add_argument("--storage", metavar="PATH|URL",
                        help="a journal file, or a database URL (sqlite:///x.db, "
                             "postgresql://...) that processes on several machines share "
                             "(default: PROJECT.study.log beside the project)")
    parser.add_argument("--study", metavar="NAME", help="the study name (default: the "
                                                        "project file's name)")
    parser.add_argument("--sampler", type=named_options, default={"name": "tpe"},
                        metavar="NAME[:k=v,...]",
                        help="tpe (default), random, gp, qmc or cmaes, with Optuna's options")
    parser.add_argument("--pruner", type=named_options, default={"name": "median"},
                        metavar="NAME[:k=v,...]",
                        help="median (default), percentile, hyperband, successive_halving, "
                             "threshold, wilcoxon or none, with Optuna's options")
    parser.add_argument("--seed", type=int, metavar="N", help="the sampler's seed")
    parser.add_argument("--metric", metavar="NAME",
                        help="the logged value to optimize (default: the search section's, "
                             "else val_loss)")
    parser.add_argument("--direction", choices=("minimize", "maximize"))
    parser.add_argument("--epochs", type=_positive, metavar="N", help="epochs of every trial")
    parser.add_argument("--data", metavar="SPEC", help="the data of every trial (as in run)")
    parser.add_argument("--device", choices=DEVICES)
    parser.add_argument("--best-project", metavar="OUT.json",
                        help="write the project with the best trial's values")
    parser.add_argument("--json", action="store_true",
                        help="print the study's summary as JSON (trials, states, values, "
                             "parameters, the best trial)")
    add_trust_argument(parser)


def _error(message: str) -> None:
    print(f"kerascanvas search: {message}", file=sys.stderr)


def _section(doc, args) -> None:
    """The objective flags go into the search section of the (loaded) document."""
    if args.metric or args.direction:
        doc.search = {**doc.search, **({"metric": args.metric} if args.metric else {}),
                      **({"direction": args.direction} if args.direction else {})}


def options_from(args, doc):
    from kerascanvas.graph.training_paths import anchored_settings

    from ..search.driver import SearchOptions, visible_gpus
    from ..search.study import default_storage

    # the project's relative paths are read next to it, the flags' in the current folder
    overrides = {**anchored_settings(doc.training, Path(args.file).resolve().parent),
                 **{k: v for k, v in (("epochs", args.epochs), ("data", args.data),
                                      ("device", args.device)) if v is not None}}
    jobs = args.jobs or (len(visible_gpus()) if args.device != "cpu" else 0) or 1
    trials = args.trials or (None if args.timeout else 20)
    return SearchOptions(storage=args.storage or default_storage(args.file),
                         study_name=args.study or Path(args.file).stem, trials=trials,
                         timeout=args.timeout, jobs=jobs, sampler=args.sampler,
                         pruner=args.pruner, seed=args.seed, overrides=overrides,
                         device=args.device,
                         trusted_code=custom.context(doc).trusted)


def run(args) -> int:
    from ..search.preflight import problems

    storage = args.storage if args.storage and "://" not in args.storage else None
    if not output_folders_exist("search", {"--storage": storage,
                                           "--best-project": args.best_project}):
        return EXIT_INVALID
    project = load_or_report(args.file, "search")
    if project is None:
        return EXIT_UNREADABLE
    doc = project.doc
    _section(doc, args)
    refused = prepare_custom(project, args.trust_custom_code, "search")
    if refused is not None:  # nothing ran, no trial started
        return refused
    options = options_from(args, doc)
    found = problems(doc, options.overrides)
    for problem in found:
        _error(problem)
    if found:
        return EXIT_INVALID
    return _search(doc, options, args)


def _search(doc, options, args) -> int:
    from ..search import study as studies
    from ..search.driver import SearchDriver

    driver = SearchDriver(doc, options, on_event=TrialLog(doc))
    try:
        driver.open()
    except studies.StudyError as exc:
        _error(str(exc))
        return EXIT_INVALID
    _error(f"study {options.study_name!r} in {options.storage}: {options.jobs} job(s), "
           f"optimizing {driver.direction} {driver.metric}")
    ran = []
    driver.on_event = _also(driver.on_event, ran)
    with StopOnSignals(driver, (signal.SIGINT,), "search"):
        study = driver.run()
    summary = studies.summary(study, driver.metric, options.storage)
    if args.best_project and summary["best"]:
        write_best(doc, summary["best"]["params"], args.best_project)
    print(json.dumps(summary, indent=2) if args.json else best_line(summary))
    return EXIT_OK if "complete" in ran else EXIT_NO_TRIAL


def _also(sink, ran: list):
    def both(event: ev.StudyEvent) -> None:
        if isinstance(ev.require_study(event), ev.TrialEnd):
            ran.append(event.state)
        sink(event)
    return both


def write_best(doc, params, path: str) -> None:
    """Save the project with the best trial's values (the search section kept)."""
    from kerascanvas.graph.commands import UndoStack
    from kerascanvas.graph.projectfile import save
    from kerascanvas.graph.search_edit import apply_values

    apply_values(UndoStack(), doc, params)
    save(doc, path)
    _error(f"wrote the project with the best trial's values to {path}")


def best_line(summary) -> str:
    best = summary["best"]
    counts = ", ".join(f"{n} {state}" for state, n in sorted(summary["counts"].items()))
    if best is None:
        return f"Study {summary['study']}: no complete trial ({counts})."
    params = ", ".join(f"{k}={_short(v)}" for k, v in best["params"].items())
    return (f"Study {summary['study']} ({counts}): best trial {best['number']}, "
            f"{summary['metric']}={best['value']:.4f} with {params}")


def _short(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else repr(value)


class TrialLog:
    """One line on stderr per trial that starts and ends."""

    def __init__(self, doc):
        self.doc = doc

    def __call__(self, event: ev.StudyEvent) -> None:
        if isinstance(ev.require_study(event), ev.TrialStart):
            params = ", ".join(f"{k}={_short(v)}" for k, v in event.params.items())
            _error(f"trial {event.number} started: {params}")
        elif isinstance(event, ev.TrialEnd):
            value, took = event.value, event.duration_s
            what = f"value {value:.4f}" if value is not None else event.message
            _error(f"trial {event.number} {event.state}"
                   f"{f' in {took:.1f}s' if took else ''}: {what}")
