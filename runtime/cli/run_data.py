"""The settings and data a `kerascanvas run` trains on, checked before it starts; with
--resume, the saved run's record (`runtime.run_record`) that says which data it continues
on, from which epoch and to which (the record beside a kept model is written where it is
saved: `runtime.train`, `kept_runs.keep_model`)."""

from __future__ import annotations

import sys

from .. import events as ev
from .. import run_record
from .progress import EventLog
from .run_options import project_overrides
from .run_resume import check_target, resume_data, resume_point, resume_rate


def error(message: str) -> None:
    """A line on stderr, after whatever stdout holds: piped, stdout is block-buffered
    and stderr is not, and the lines must keep the order a terminal shows."""
    sys.stdout.flush()
    print(f"kerascanvas run: {message}", file=sys.stderr, flush=True)


def checked(doc, args, analysis):
    """(document, settings, data), or None after saying what is refused."""
    from ..data import DataError
    from ..train import TrainingRefused, prepare

    try:
        resume_point(args, error)
        doc, settings = prepare(doc, project_overrides(doc, args), analysis)
        args.planned_epochs = settings["epochs"]
        if args.resume:
            check_target(args, settings, error)
            resume_data(args, settings, error)
            resume_rate(args, settings, error)
        data = _load_data(doc, settings, args, analysis)
        if args.resume or args.save:
            settings["data_fingerprint"] = run_record.fingerprint(settings["data"], data)
        if args.resume:
            run_record.verify(args.resume_record, settings["data"],
                              settings["data_fingerprint"], args.data_changed)
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
