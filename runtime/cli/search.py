"""`kerascanvas search PROJECT`: search the design space the project's `search` section marks.

Built on Optuna. Each trial trains with the engine of `kerascanvas run`, in its
own process; its epoch metrics go to the pruner. The study lives in a journal
file beside the project (`PROJECT.study.log`) unless `--storage` names another
file or a database URL; every `kerascanvas search` pointed at the same storage
and study joins the same study, on this machine or on others:

    kerascanvas search model.json --trials 30 --jobs 2
    kerascanvas search model.json --storage postgresql://me@db/studies --trials 50

`--timeout` stops the running trials after their current batch (they end failed,
"Stopped by the study's time limit") once the study has searched that long: the time the
command is suspended (Ctrl+Z until `fg`) is not counted (`search_suspend`); `--seed S`
seeds trial N's draws with S + N, so parallel workers never draw alike; a study that
already holds `--max-trials` is complete, and the command only shows its best trial (no
checks, no Keras).

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

import json
import signal
from pathlib import Path

from kerascanvas.graph.initial_weights import anchored, section_json

from .. import events as ev
from .common import (
    EXIT_UNREADABLE,
    initial_weights_off,
    load_or_report,
    output_folders_exist,
    prepare_custom,
)
from .search_options import add_arguments, objective_section, options_from
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
from .search_suspend import HeldWhileSuspended
from .stops import StopOnSignals, exit_code

EXIT_OK, EXIT_INVALID, EXIT_NO_TRIAL = 0, 1, 3

__all__ = ["add_arguments", "checks", "run"]  # add_arguments: the subcommand's flags


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
    own = objective_section(doc, args)
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
    a database storage that cannot be opened, or an existing study that optimizes another
    direction or metric."""
    from kerascanvas.graph.search import objective

    from ..search import study as studies

    try:
        studies.make_sampler(options.sampler, options.seed)
        studies.make_pruner(options.pruner)
        if "://" in options.storage:
            studies.open_storage(options.storage)
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
                       "kills the running trials; the finished ones stay") as stops, \
            HeldWhileSuspended(driver.limit, driver.held_outside):  # Ctrl+Z's time
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
