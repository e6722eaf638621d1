"""The settings and data a `kerascanvas run` trains on, checked before it starts; with
--resume, the saved run's record that says which data it continues on, and after the run,
the record written beside the saved model (`runtime.run_record`)."""

from __future__ import annotations

import sys

from .. import events as ev
from .. import run_record
from .progress import EventLog
from .run_options import project_overrides


def error(message: str) -> None:
    """A line on stderr, after whatever stdout holds: piped, stdout is block-buffered
    and stderr is not, and the lines must keep the order a terminal shows."""
    sys.stdout.flush()
    print(f"kerascanvas run: {message}", file=sys.stderr, flush=True)


def _count(value) -> int | None:
    """A record's epoch: a positive int, else None."""
    ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
    return value if ok else None


def _resume_point(args) -> None:
    """Set `args.initial_epoch` (--initial-epoch, else the epoch the resumed model's run
    record says it reached) and `args.resume_plan` (the epoch that run was set to end
    at, from its record; None without one)."""
    args.resume_plan = None
    if not args.resume:
        args.initial_epoch = args.initial_epoch or 0
        return
    try:
        record = run_record.read(args.resume) or {}
    except run_record.RecordMismatch:
        record = {}  # the record is refused, with its reason, where the data is resumed
    args.resume_plan = _count(record.get("planned_epochs"))
    reached = _count(record.get("epochs"))
    if args.initial_epoch is None and reached:
        error(f"resuming {args.resume} after epoch {reached} (its run record)")
    args.initial_epoch = args.initial_epoch if args.initial_epoch is not None else \
        reached or 0


def _check_target(args, settings: dict) -> None:
    """With --resume: refuse a target epoch already trained, else say the span trained
    (Keras' `fit(initial_epoch=E, epochs=N)` trains epochs E+1..N)."""
    from ..train import TrainingRefused

    start, target = args.initial_epoch, settings["epochs"]
    if target <= start:
        raise TrainingRefused(
            f"--epochs {target} is an epoch already trained: {args.resume} reached epoch "
            f"{start}. --epochs is the epoch to train to (as Keras' fit(epochs=)), so give "
            f"more than {start}, or leave it out to train the rest of the run's plan")
    error(f"continuing from epoch {start} to epoch {target} ({target - start} more)")


def checked(doc, args, analysis):
    """(document, settings, data), or None after saying what is refused."""
    _resume_point(args)
    from ..data import DataError
    from ..train import TrainingRefused, prepare

    try:
        doc, settings = prepare(doc, project_overrides(doc, args), analysis)
        args.planned_epochs = settings["epochs"]
        if args.resume:
            _check_target(args, settings)
        record = _resume_record(args, settings)
        data = _load_data(doc, settings, args, analysis)
        if args.resume or args.save:
            settings["data_fingerprint"] = run_record.fingerprint(settings["data"], data)
        if args.resume:
            run_record.verify(record, settings["data"], settings["data_fingerprint"],
                              args.data_changed)
    except (TrainingRefused, DataError, run_record.RecordMismatch) as exc:
        error(str(exc))
        _log_refusal(args, exc)
        return None
    return doc, settings, data


def _load_data(doc, settings: dict, args, analysis):
    """The checked data; a source that cannot be read names the setting it came from."""
    from ..data import DataError
    from ..train import load_checked_data

    try:
        return load_checked_data(doc, settings, analysis=analysis)
    except DataError as exc:
        if exc.issues:  # read, but does not fit: the issues name the nodes
            raise
        field = ("the resumed run's data" if args.resume else "--data" if args.data
                 else "the project's training.data")
        raise DataError(f"{field} {settings['data']!r}: {exc}") from None


def _log_refusal(args, exc: Exception) -> None:
    """With --log, the refusal as the log's one event: a failed Result with the message
    and the issues (each naming its node, with its fixes and their data), as the window
    gets them from its worker."""
    from .. import distributed

    if args.log and distributed.is_main():
        with EventLog(args.log) as log:
            log(ev.Result(ev.FAILED, str(exc), issues=tuple(getattr(exc, "issues", ()))))


def _resume_record(args, settings: dict) -> dict | None:
    """With --resume: the saved run's record; sets the data to resume on and says which."""
    if not args.resume:
        return None
    record = None if args.data_changed and args.data else run_record.read(args.resume)
    spec, origin = run_record.resume_spec(record, args.data, settings["data"],
                                          args.data_changed)
    settings["data"] = spec
    error(f"resuming {args.resume} on {spec!r} ({origin})")
    return record


def record_data(result, settings: dict, data) -> None:
    """Write the saved model's run record: the data `--resume` is to continue on (a
    record that cannot be written is said; the run's exit code stays)."""
    if not result.saved:
        return
    current = settings.get("data_fingerprint") or \
        run_record.fingerprint(settings["data"], data)
    try:
        run_record.write(result.saved, settings["data"], current, result.epochs_run,
                         settings.get("epochs"))
    except OSError as exc:
        error(f"could not write {run_record.record_path(result.saved)}, the record of the "
              f"data the model was trained on ({exc}); --resume will need --data")
