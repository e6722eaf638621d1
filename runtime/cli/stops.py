"""Stopping a headless run from outside: Ctrl+C (SIGINT) and SIGTERM.

The first signal ends training after the current batch (or the validation pass after
its current batch), as the window's Stop does, and the run keeps what was trained:
the model goes where `--save` says, else into the project's runs folder (`model.runs/`
beside `model.json`, where the window keeps the models of its runs), as
`stopped_N.keras` (a name the window's runs never take), with its run record so that
`--resume` continues it on the same data. The command says
where training stopped (epoch and batch) and exits with 128 plus the signal's number
(130 for SIGINT, 143 for SIGTERM), as shells expect of a command a signal ended. A
second signal aborts at once, without saving; but while the model kept is being scored
(the final evaluation, after training ended) it ends that evaluation after its current
batch instead, so the model is still saved (without a final score); a third aborts.

A run that fails with its model as trained so far (a NaN loss: the last finite weights;
an error inside `fit`) keeps it the same way when `--save` is not given. Where models
are kept, and how every run is listed in the runs index: `runtime.cli.kept_runs`.
"""

from __future__ import annotations

import signal
import sys

NAMES = {signal.SIGINT: "SIGINT (Ctrl+C)", signal.SIGTERM: "SIGTERM"}


def exit_code(signum: int) -> int:
    """The shell's exit code for a command that `signum` ended: 130, 143..."""
    return 128 + int(signum)


def _say(command: str, text: str) -> None:
    print(f"kerascanvas {command}: {text}", file=sys.stderr, flush=True)


class StopOnSignals:
    """While open, the first of `signals` asks `target` to stop after its current batch
    (`target.request_stop()`: a training bridge, a search driver); a second one aborts
    (KeyboardInterrupt for SIGINT, else exit code 128 + the signal's number), except
    while a bridge's training has ended (its final evaluation runs): the second one
    then asks the bridge once more, which ends that evaluation after its batch.

    `received` is the first signal's number, or None; `again` says what a second one
    does, in the line the first one prints.
    """

    def __init__(self, target, signals=(signal.SIGINT, signal.SIGTERM),
                 command: str = "run", again: str = "aborts without saving"):
        self.target, self.signals, self.command = target, tuple(signals), command
        self.again = again
        self.received: int | None = None
        self._previous: dict[int, object] = {}
        self._evaluation_cut = False

    def _cuts_the_evaluation(self) -> bool:
        """Whether this signal ends the final evaluation (once) rather than aborting."""
        if self._evaluation_cut or getattr(self.target, "stops_in_training", None) is None:
            return False
        self._evaluation_cut = True
        return True

    def _on_signal(self, signum, frame):
        from ..launch import is_main, launched

        # A rank's signals come from its launcher, which names them and says what they do.
        name = "the launcher's second stop" if launched() else NAMES.get(signum, signum)
        if self.received is not None or self.target.stopped:
            if self._cuts_the_evaluation():
                if is_main():
                    _say(self.command, f"{name}: ending the final evaluation after its "
                                       "current batch (the model is still saved; the same "
                                       "signal again aborts)")
                self.target.request_stop()
                return
            if signum == signal.SIGINT:
                raise KeyboardInterrupt
            raise SystemExit(exit_code(signum))
        self.received = signum
        if is_main() and not launched():
            _say(self.command, f"{name}: stopping after the current batch (the same signal "
                               f"again {self.again})")
        self.target.request_stop()

    def __enter__(self):
        for signum in self.signals:
            try:
                self._previous[signum] = signal.signal(signum, self._on_signal)
            except ValueError:  # not the main thread: leave the signals alone
                pass
        return self

    def __exit__(self, *exc):
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous.clear()


def stopped_line(signum: int | None, result, project_file: str,
                 planned: int | None = None) -> str:
    """What the command says after a signal stopped it: which (unless `signum` is None:
    a rank, whose launcher names it), where, what was kept, how to go on."""
    from ..train import STOPPED

    where = result.message if result.status == STOPPED else \
        f"Training had ended (epoch {result.epochs_run} reached). {result.message}".strip()
    which = "" if signum is None else f"stopped by {NAMES.get(signum, signum)}. "
    return f"{which}{where} {kept_line(result, project_file, planned)}"


def kept_line(result, project_file: str, planned: int | None = None) -> str:
    """Where the model was saved and how to continue it (to the rest of its run's plan,
    `planned`, or to an epoch --epochs names), or that it was not saved."""
    if not result.saved:
        return "No model was saved."
    command = f"kerascanvas run {project_file} --resume {result.saved}"
    reached = result.epochs_run
    if planned and planned > reached:
        how = (f" (trains on to epoch {planned}, the rest of the run's plan; add --epochs N "
               f"to train to epoch N instead)")
    else:
        how = f" --epochs N (N: the epoch to train to, after epoch {reached})"
    return f"Saved the model to {result.saved}; continue with: {command}{how}"
