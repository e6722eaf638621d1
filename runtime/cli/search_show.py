"""`kerascanvas search` on a study as it stands, without Keras: `--show`, and a study that
already holds `--max-trials` (complete: nothing is checked, built or trained). Both mark
failed the trials listed as running whose process is gone, and say so."""

from __future__ import annotations

import json
from pathlib import Path

from .search_report import best_line, marked_line, say, trial_lines, write_best
from .search_table import study_table

EXIT_OK, EXIT_INVALID = 0, 1


def stored_study(args):
    """(study, its storage) that `args` name (`--storage`, `--study`), or (None, None)
    when there is none yet; a journal file that does not exist is not created."""
    import optuna

    from ..search import study as studies
    from ..search.study import default_storage

    where = args.storage or default_storage(args.file)
    name = args.study or Path(args.file).stem
    if "://" not in where and not Path(where).is_file():
        return None, None  # opening the journal would create it
    storage = studies.open_storage(where)  # StudyError: a database it cannot open
    try:
        return optuna.load_study(study_name=name, storage=storage), storage
    except KeyError:
        return None, None


def _report(doc, args, study, storage, own: dict | None) -> None:
    """Print the study (its best trial, a table of every trial, then what became of its
    lost trials; `--json`: all of it as JSON) and write
    `--best-project` from its best trial, with `own`, the project's search section. A trial
    listed as running whose process went away (killed, its heartbeat lost) is marked failed
    first, and the report says so."""
    from kerascanvas.graph.search import objective

    from ..search import study as studies
    from ..search.lost import fail_lost
    from ..search.study import default_storage

    marked = fail_lost(study, storage)
    metric = study.user_attrs.get(studies.METRIC) or objective(doc)[0]
    summary = studies.summary(study, metric, args.storage or default_storage(args.file),
                              args.json)
    if args.best_project:
        write_best(doc, summary["best"], args.best_project, args.file, search=own)
    if args.json:
        if marked:
            say(marked_line(marked))
        print(json.dumps(summary, indent=2))
        return
    print(best_line(summary))
    for line in study_table(summary):
        print(line)
    for line in trial_lines(summary, lost_only=True, marked=marked):
        print(line)


def show(doc, args, own: dict | None = None) -> int:
    """`--show`: the study as it is, and its best trial's project; nothing runs."""
    from ..search import study as studies
    from ..search.study import default_storage

    if args.best_model:
        say("--best-model needs trials to train its model; --show runs none")
        return EXIT_INVALID
    try:
        study, storage = stored_study(args)
    except studies.StudyError as exc:
        say(str(exc))
        return EXIT_INVALID
    if study is None:
        say(f"there is no study {args.study or Path(args.file).stem!r} in "
            f"{args.storage or default_storage(args.file)} (nothing was written)")
        return EXIT_INVALID
    _report(doc, args, study, storage, own)
    return EXIT_OK


def complete(doc, args, own: dict | None = None) -> int | None:
    """EXIT_OK after saying so when the study already holds `--max-trials` complete or
    pruned trials (no check, no Keras, no trial: there is nothing to run), else None."""
    from ..search import study as studies

    if not args.max_trials:
        return None
    try:
        study, storage = stored_study(args)
    except studies.StudyError as exc:
        say(str(exc))
        return EXIT_INVALID
    held = 0 if study is None else studies.counted(study)
    if held < args.max_trials:
        return None
    say(f"the study holds {held} complete or pruned trials already (--max-trials "
        f"{args.max_trials}): it is complete; nothing was checked, built or trained")
    if args.best_model:
        say(f"--best-model {args.best_model} was not written: no trial ran")
    _report(doc, args, study, storage, own)
    return EXIT_OK
