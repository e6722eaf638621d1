"""`kerascanvas search PROJECT`: search the design space the project's `search` section marks.

Built on Optuna. Each trial trains with the engine of `kerascanvas run`, in its
own process; its epoch metrics go to the pruner. The study lives in a journal
file beside the project (`PROJECT.study.log`) unless `--storage` names another
file or a database URL; every `kerascanvas search` pointed at the same storage
and study joins the same study, on this machine or on others:

    kerascanvas search model.json --trials 30 --jobs 2
    kerascanvas search model.json --storage postgresql://me@db/studies --trials 50

`--timeout` stops the running trials after their current batch (they end failed,
"Stopped by the study's time limit"); `--seed S` seeds trial N's draws with S + N, so
parallel workers never draw alike; a study that already holds `--max-trials` is
complete, and the command only shows its best trial (no checks, no Keras).

Exit codes:
    0  the study ran (some trials may have failed or been pruned), or was complete
    1  the search cannot start: invalid graph, ranges, settings, metric or data, or a
       sampled model Keras cannot build (each problem names its node, parameter or
       field and the value received), or a bad option
    2  the project file cannot be read
    3  no trial of this run completed (also when --timeout stopped them all)
    4  the project has CustomLayer code nobody trusted: no trial started, nothing ran
       (`--trust-custom-code`, or the window's trust; each trial's worker then gets
       the digests of the trusted code, never anything from the file)
  130  Ctrl+C (143: SIGTERM) stopped the study: its running trials ended after their
       current batch, the finished ones stay in the storage, `--best-project` is
       written; the same command continues the study. A second signal kills the
       running trials at once and does not write `--best-project`.

Before any trial the command runs the checks of the window's Search tab (the same
code, `runtime.search.checks`): trust, space, settings, metric, data, then Keras
builds of the sampled models (the lows together, the highs together, two random
draws) in a process of their own; a failure names the trial, the values and the node.
"""

from __future__ import annotations

import argparse
import json
import math
import signal
from pathlib import Path

from kerascanvas.graph.initial_weights import anchored, section_json
from kerascanvas.graph.layers import custom
from kerascanvas.graph.training_schema import DEVICES

from .. import events as ev
from .common import (
    EXIT_UNREADABLE,
    add_initial_weights_argument,
    add_trust_argument,
    initial_weights_off,
    load_or_report,
    output_folders_exist,
    prepare_custom,
)
from .run_options import _positive, named_options
from .search_report import (
    TrialLog,
    best_line,
    held_line,
    kept_model_line,
    say,
    stopped_line,
    timeout_line,
    write_best,
)
from .search_show import complete, show
from .stops import StopOnSignals, exit_code

EXIT_OK, EXIT_INVALID, EXIT_NO_TRIAL = 0, 1, 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="the project file (.json) with a search section")
    parser.add_argument("--trials", type=_positive, metavar="N",
                        help="trials this process runs (default 20; none of its own with "
                             "--timeout or --max-trials)")
    parser.add_argument("--max-trials", type=_positive, metavar="N",
                        help="stop once the study holds N complete or pruned trials, those "
                             "of earlier runs and other processes included (--trials then "
                             "defaults to no limit of its own)")
    parser.add_argument("--timeout", type=_seconds, metavar="SECONDS",
                        help="after this many seconds, stop the running trials after their "
                             "current batch (marked failed: no value) and start no new one")
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
    parser.add_argument("--seed", type=int, metavar="S",
                        help="trial N draws with a sampler seeded S + N: reproducible, and "
                             "distinct across --jobs and processes sharing the study")
    parser.add_argument("--metric", metavar="NAME",
                        help="the logged value to optimize (default: the search section's, "
                             "else val_loss)")
    parser.add_argument("--direction", choices=("minimize", "maximize"))
    parser.add_argument("--epochs", type=_positive, metavar="N", help="epochs of every trial")
    parser.add_argument("--data", metavar="SPEC", help="the data of every trial (as in run)")
    parser.add_argument("--device", choices=DEVICES)
    parser.add_argument("--best-project", metavar="OUT.json",
                        help="write the project with the best trial's values")
    parser.add_argument("--best-model", metavar="OUT.keras",
                        help="keep the trained model of this run's best trial there "
                             "(replaced as better trials complete; kept on Ctrl+C)")
    parser.add_argument("--show", action="store_true",
                        help="run nothing: print the study the storage holds (with --json, "
                             "all of it) and write --best-project from its best trial; "
                             "trials listed as running whose process is gone (killed, "
                             "heartbeat lost) are marked failed, and it says so")
    parser.add_argument("--json", action="store_true",
                        help="print the study's summary as JSON (trials, states, values, "
                             "parameters, the best trial)")
    add_initial_weights_argument(parser)
    add_trust_argument(parser)
    parser.epilog = (
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


def _section(doc, args) -> dict:
    """The objective flags, into the document's search section; the project's own back."""
    own = dict(doc.search)
    if args.metric or args.direction:
        doc.search = {**doc.search, **({"metric": args.metric} if args.metric else {}),
                      **({"direction": args.direction} if args.direction else {})}
    return own


def options_from(args, doc):
    from kerascanvas.graph.training_paths import anchored_settings

    from ..search.driver import SearchOptions
    from ..search.slots import visible_gpus
    from ..search.study import default_storage

    # the project's relative paths are read next to it, the flags' in the current folder
    overrides = {**anchored_settings(doc.training, Path(args.file).resolve().parent),
                 **{k: v for k, v in (("epochs", args.epochs), ("data", args.data),
                                      ("device", args.device)) if v is not None}}
    jobs = args.jobs or (len(visible_gpus()) if args.device != "cpu" else 0) or 1
    trials = args.trials or (None if args.timeout or args.max_trials else 20)
    return SearchOptions(storage=args.storage or default_storage(args.file),
                         study_name=args.study or Path(args.file).stem, trials=trials,
                         timeout=args.timeout, jobs=jobs, sampler=args.sampler,
                         pruner=args.pruner, seed=args.seed, overrides=overrides,
                         device=args.device, best_model=args.best_model,
                         max_trials=args.max_trials,
                         trusted_code=custom.context(doc).trusted)


def run(args) -> int:
    storage = args.storage if args.storage and "://" not in args.storage else None
    if not output_folders_exist("search", {"--storage": storage,
                                           "--best-project": args.best_project,
                                           "--best-model": args.best_model}):
        return EXIT_INVALID
    if args.best_model and not args.best_model.endswith(".keras"):
        say(f"--best-model {args.best_model}: expected a .keras path")
        return EXIT_INVALID
    project = load_or_report(args.file, "search")
    if project is None:
        return EXIT_UNREADABLE
    doc = project.doc
    anchored(doc, Path(args.file).parent)  # the initial weights file beside the project
    own = _section(doc, args)
    if args.show:
        return show(doc, args, own)
    done = complete(doc, args, own)
    if done is not None:  # the study holds --max-trials already: nothing to check or run
        return done
    weights = section_json(doc)  # --best-project's: --no-initial-weights is for the trials
    initial_weights_off(doc, args)
    refused = prepare_custom(project, args.trust_custom_code, "search")
    if refused is not None:  # nothing ran, no trial started
        return refused
    options = options_from(args, doc)
    try:
        found = _refused(doc, options) or checks(doc, options)
    except KeyboardInterrupt:
        say("interrupted during the checks; no study was opened, no trial started")
        return exit_code(signal.SIGINT)
    for problem in found:
        say(problem)
    if found:
        return EXIT_INVALID
    return _search(doc, options, args, weights, own)


def _refused(doc, options) -> list[str]:
    """What the options refuse, before any check: the sampler's or the pruner's options,
    or an existing study that optimizes another direction or metric."""
    from kerascanvas.graph.search import objective

    from ..search import study as studies

    try:
        studies.make_sampler(options.sampler, options.seed)
        studies.make_pruner(options.pruner)
    except studies.StudyError as exc:
        return [str(exc)]
    metric, direction = objective(doc)
    refusal = studies.join_refusal(options.study_name, options.storage, direction, metric)
    return [refusal] if refusal else []


def checks(doc, options) -> list[str]:
    """Every reason the study cannot start, from the window's checks (`search.checks`):
    the light ones here first (an answer at once, without Keras), then all of them, with
    Keras builds of sampled models, in a check process of their own."""
    from kerascanvas.graph.projectfile import to_dict

    from ..search.checks import follow_check, start_check
    from ..search.preflight import problems

    found = problems(doc, options.overrides, check_data=False)
    if found:
        return found
    say("checking the study before it starts: the data, the space, Keras builds of "
           "sampled models")
    process, events = start_check({"document": to_dict(doc),
                                   "overrides": dict(options.overrides),
                                   "trusted_code": sorted(options.trusted_code)})
    return follow_check(process, events, lambda text: say(f"check: {text}"))


def _search(doc, options, args, weights: dict, own: dict) -> int:
    from ..search import study as studies
    from ..search.driver import SearchDriver

    driver = SearchDriver(doc, options, on_event=TrialLog(doc))
    try:
        driver.open()
    except studies.StudyError as exc:
        say(str(exc))
        return EXIT_INVALID
    say(f"study {options.study_name!r} in {options.storage}: {options.jobs} job(s), "
           f"optimizing {driver.direction} {driver.metric}"
           f"{held_line(driver.study)}")
    if options.max_trials and studies.counted(driver.study) >= options.max_trials:
        say(f"the study holds {studies.counted(driver.study)} complete or pruned trials "
            f"already (--max-trials {options.max_trials}): no trial to run")
    ran = []
    driver.on_event = _also(driver.on_event, ran)
    aborted = False
    with StopOnSignals(driver, (signal.SIGINT, signal.SIGTERM), "search",
                       "kills the running trials; the finished ones stay") as stops:
        try:
            study = driver.run()
        except KeyboardInterrupt:  # a second Ctrl+C: the trials were killed
            study, aborted = driver.study, True
    summary = studies.summary(study, driver.metric, options.storage, args.json)
    if args.best_project and not aborted:
        write_best(doc, summary["best"], args.best_project, args.file, weights, own)
    if args.best_model:
        say(kept_model_line(driver.models, driver.metric))
    print(json.dumps(summary, indent=2) if args.json else best_line(summary))
    if driver.timed_out:
        say(timeout_line(driver.cut, ran, options.timeout))
    if stops.received is not None:
        say(stopped_line(stops.received, aborted, ran, options, args))
        return exit_code(stops.received)
    done = options.max_trials and studies.counted(study) >= options.max_trials
    return EXIT_OK if "complete" in ran or done else EXIT_NO_TRIAL


def _also(sink, ran: list):
    def both(event: ev.StudyEvent) -> None:
        if isinstance(ev.require_study(event), ev.TrialEnd):
            ran.append(event.state)
        sink(event)
    return both
