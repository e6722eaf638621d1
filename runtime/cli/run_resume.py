"""`kerascanvas run --resume MODEL.keras`: where the resumed run goes on from, and to.

The run record beside the model (`runtime.run_record`, written for every model a run
keeps, by the window's runs too) says the epoch it reached and the epoch its run was set
to end at; `--initial-epoch N` says the first instead. Epochs count as Keras'
`fit(initial_epoch=E, epochs=N)` does: epochs E+1..N are trained, so `--epochs` is the
epoch to reach. Each refusal says what was received and what is allowed.
"""

from __future__ import annotations

import os

from .. import data_stamp, run_record


def resume_point(args, say) -> None:
    """Set `args.initial_epoch` (--initial-epoch, else the epoch the resumed model's run
    record says it reached), `args.resume_plan` (the epoch that run was set to end at,
    from its record; None without one), `args.resume_record` (the record, None without
    one) and `args.start_from` (where the initial epoch comes from, for the messages).

    Raises:
        TrainingRefused: a resume flag without --resume, a --resume that is no file, or
            an unreadable run record without --data-changed.
    """
    from ..train import TrainingRefused

    args.resume_plan = args.resume_record = None
    if not args.resume:
        _refuse_without_resume(args)
        args.initial_epoch, args.start_from = 0, None
        return
    if not os.path.isfile(args.resume):
        what = "is a folder" if os.path.isdir(args.resume) else "does not exist"
        raise TrainingRefused(f"--resume {args.resume}: the file {what}; expected the "
                              ".keras model a run kept (a --save file, or one in the "
                              "project's runs folder)")
    problem = _not_a_model(args.resume)
    if problem:  # before anything is said of the run it would continue, or it is listed
        raise TrainingRefused(f"--resume {args.resume}: {problem}; expected the .keras "
                              "model a run kept (a --save file, or one in the project's "
                              "runs folder)")
    args.resume_record = _record(args)
    reached, args.resume_plan = run_record.resume_point(args.resume_record)
    if args.initial_epoch is None:
        args.initial_epoch = reached or 0
        args.start_from = "its run record" if reached is not None else None
        if reached:
            say(f"resuming {args.resume} after epoch {reached} (its run record)")
        elif reached is None:
            say(f"resuming {args.resume} from epoch 0: no run record says the epoch it "
                "reached (give --initial-epoch N, the epoch it reached, to number on)")
        return
    args.start_from = "--initial-epoch"
    if reached is not None and reached != args.initial_epoch:
        say(f"numbering on from epoch {args.initial_epoch} (--initial-epoch), though the "
            f"run record of {args.resume} says it reached epoch {reached}")


def _not_a_model(path: str) -> str | None:
    """What keeps the file at `path` from being a .keras model (a zip archive holding its
    config.json), read without keras; None when it may be one."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return "not a .keras file (expected a zip archive)"
    return None if "config.json" in names else \
        "a zip archive without a model's config.json, so no .keras file"


def _refuse_without_resume(args) -> None:
    from ..train import TrainingRefused

    if args.initial_epoch:  # 0 is where any run starts
        raise TrainingRefused(f"--initial-epoch {args.initial_epoch} without --resume: it is "
                              "the epoch a resumed model had reached, so it needs --resume "
                              "MODEL.keras; a new run starts at epoch 0")
    if getattr(args, "data_changed", False):
        raise TrainingRefused("--data-changed without --resume: it lets a resumed run train "
                              "on data other than its run record's, so it needs --resume "
                              "MODEL.keras")


def _record(args) -> dict | None:
    """The resumed model's run record (None without one); an unreadable one is refused,
    unless --data-changed says to go on without it."""
    from ..train import TrainingRefused

    try:
        return run_record.read(args.resume)
    except run_record.RecordMismatch as exc:
        if not args.data_changed:
            raise TrainingRefused(f"{exc}, and --initial-epoch N for the epoch it reached "
                                  "(else it numbers on from epoch 0)") from None
        return None


def check_target(args, settings: dict, say) -> None:
    """With --resume: refuse a target epoch at or before the one the run starts from,
    naming both and where each comes from; else say the span trained (Keras'
    `fit(initial_epoch=E, epochs=N)` trains epochs E+1..N)."""
    from ..train import TrainingRefused

    start, target = args.initial_epoch, settings["epochs"]
    if target > start:
        say(f"continuing from epoch {start} to epoch {target} ({target - start} more)")
        return
    allowed = (f"--epochs is the epoch to train to (as Keras' fit(epochs=)), so give more "
               f"than {start}, or leave it out to train ")
    allowed += (f"to epoch {args.resume_plan}, the rest of the run's plan"
                if args.resume_plan and args.resume_plan > start else
                "the project's epochs more")
    if args.start_from == "--initial-epoch":
        past = "past" if start > target else "not before"
        raise TrainingRefused(f"--initial-epoch {start} is {past} --epochs {target}: the "
                              f"run would train no epoch. {allowed}")
    where = f" ({args.start_from})" if args.start_from else ""
    raise TrainingRefused(f"--epochs {target} is an epoch already trained: {args.resume} "
                          f"reached epoch {start}{where}. {allowed}")


def resume_data(args, settings: dict, say) -> None:
    """With --resume: set the data to resume on (`run_record.resume_spec`) and say which.

    Raises:
        RecordMismatch: --data other than the recorded data, or the recorded data's files
            changed since (`data_stamp.DataChanged`), without --data-changed.
    """
    record = args.resume_record
    spec, origin = run_record.resume_spec(record, args.data, settings["data"],
                                          args.data_changed)
    settings["data"] = spec
    say(f"resuming {args.resume} on {spec!r} ({origin})")
    data_stamp.verify(record, spec, args.data_changed)  # before the data is read


def resume_rate(args, settings: dict, say) -> None:
    """With --resume and no --lr: go on at the learning rate the resumed run ended with
    (its run record: what ReduceLROnPlateau or a schedule had reached), as the window's
    Continue offers, and say which rate is used and why. A schedule goes on from the
    saved step by itself: the settings' rate then drives it. A run the runs index lists
    as ended on a NaN loss is refused: at the rate it diverged at it diverges again.

    Raises:
        TrainingRefused: the resumed run ended on a NaN loss, and no --lr was given.
    """
    if args.lr:
        return
    optimizer = settings.get("optimizer")
    rate = optimizer.get("learning_rate") if isinstance(optimizer, dict) else None
    if not isinstance(rate, int | float) or isinstance(rate, bool):
        return
    ended = run_record.reached_rate(args.resume_record)
    _refuse_after_nan(args, ended or rate)
    schedule = (settings.get("schedule") or {}).get("name", "constant")
    if schedule != "constant":
        say(f"the {schedule} schedule goes on from the step {args.resume} reached, from the "
            f"project's learning rate {rate:g} (--lr RATE scales it)")
    elif ended is None:
        say(f"training at the project's learning rate {rate:g}: {args.resume} has no run "
            "record of the rate it ended with (--lr RATE for another)")
    else:
        settings["optimizer"] = {**optimizer, "learning_rate": ended}
        differs = f"; the project's is {rate:g}" if abs(rate - ended) > 1e-6 * ended else ""
        say(f"training at learning rate {ended:.3g}, the one {args.resume} ended with (its "
            f"run record, as the window's Continue offers){differs}; --lr RATE for another")


def _refuse_after_nan(args, rate: float) -> None:
    """Refuse to resume, without --lr, a model the project's runs index lists as kept
    after a NaN loss."""
    from ..train import TrainingRefused
    from .kept_runs import listed_entry, runs_folder

    entry = listed_entry(runs_folder(args.file), args.resume) or {}
    result = entry.get("result")
    if isinstance(result, dict) and result.get("nan") is True:
        raise TrainingRefused(
            f"--resume {args.resume}: Run {entry.get('number')} ended on a NaN loss (the "
            f"runs index says so) at learning rate {rate:.3g}, and would diverge again at "
            f"it. Give --lr RATE, well below it (the window's Continue offers a tenth of "
            f"the rate of the run's last epoch with a finite loss)")
