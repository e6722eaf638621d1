"""What `kerascanvas run` says of its run besides the progress bar (`progress`): which
training step runs and a rank the others wait for, as it trains; how the run ended,
with the final metrics and the command's exit code, once it has."""

from __future__ import annotations

import sys

from .. import events as ev
from .progress import metrics_table
from .run_data import error
from .stops import exit_code, kept_line, stopped_line

__all__ = ["EXIT_FAILED", "EXIT_INVALID", "EXIT_OK", "finish", "say_executor"]

EXIT_OK, EXIT_INVALID, EXIT_FAILED = 0, 1, 3


def say_executor(event: ev.TrainingEvent) -> None:
    """Print which training step runs, and why not a faster one, before training, with a
    setting the run does not use; and a rank the others wait for (on several processes:
    `runtime.rank_watch`)."""
    if isinstance(ev.require(event), ev.ExecutorChosen | ev.WeightsLoaded):
        print(event.message, file=sys.stderr, flush=True)
    elif isinstance(event, ev.TrainBegin) and event.note:
        error(event.note)
    elif isinstance(event, ev.RankSilent):
        error(event.text())


def finish(result, received: int | None, args) -> int:
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
            # Where it was kept (the --save file too) and how to go on, unless it says so.
            error(message + (f"{sep}{kept}" if result.saved and not named else ""))
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
