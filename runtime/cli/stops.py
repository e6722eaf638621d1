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
an error inside `fit`) keeps it the same way when `--save` is not given.

Such a run (stopped by a signal, or failed with its model kept) is also listed in the
runs folder's index (`runs.json`, `runtime.run_record.merge_index`) with its settings,
status, message, result and epoch curves, so the window's Training tab shows it beside
its own runs. With `--save` the entry names that file (by its path from the runs folder).
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

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
        from ..launch import is_main

        if self.received is not None or self.target.stopped:
            if self._cuts_the_evaluation():
                if is_main():
                    _say(self.command, f"{NAMES.get(signum, signum)}: ending the final "
                                       "evaluation after its current batch (the model is "
                                       "still saved; the same signal again aborts)")
                self.target.request_stop()
                return
            if signum == signal.SIGINT:
                raise KeyboardInterrupt
            raise SystemExit(exit_code(signum))
        self.received = signum
        if is_main():
            _say(self.command, f"{NAMES.get(signum, signum)}: stopping after the current "
                               f"batch (the same signal again {self.again})")
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


def runs_folder(project_file: str | Path) -> Path:
    """The project's runs folder: `model.runs/` beside `model.json`, as in the window."""
    path = Path(project_file)
    return path.with_name(path.stem + ".runs")


def stopped_model_path(project_file: str | Path) -> Path:
    """A free `stopped_N.keras` in the project's runs folder."""
    folder = runs_folder(project_file)
    number = 1
    while (folder / f"stopped_{number}.keras").exists():
        number += 1
    return folder / f"stopped_{number}.keras"


def keep_model(result, project_file: str | Path) -> None:
    """Save the model of a run that stopped before its end (a signal, a NaN loss, an error
    inside `fit`) when `--save` did not, and memory did not run out: `result.saved` then
    names the file."""
    from ..callbacks import save_atomic
    from ..train import OOM

    if result.saved or result.model is None or result.status == OOM:
        return
    path = stopped_model_path(project_file)
    save_atomic(result.model, path)  # makes the runs folder, as the window's first run
    result.saved = str(path)


def stopped_line(signum: int, result, project_file: str) -> str:
    """What the command says after a signal stopped it: where, what was kept, how to go on."""
    from ..train import STOPPED

    where = result.message if result.status == STOPPED else \
        f"Training had ended (epoch {result.epochs_run} reached)."
    return f"stopped by {NAMES.get(signum, signum)}. {where} {kept_line(result, project_file)}"


def kept_line(result, project_file: str) -> str:
    """Where the model was saved and how to continue it, or that it was not saved."""
    if not result.saved:
        return "No model was saved."
    return (f"Saved the model to {result.saved}; continue with: kerascanvas run "
            f"{project_file} --resume {result.saved}")


class CurveTap:
    """A sink that keeps the batch losses and learning rates of a run's events as the
    window's curves store them ([x values, y values], x in epochs), for its runs entry."""

    def __init__(self) -> None:
        self.batch_loss: list[list[float]] = [[], []]
        self.lr: list[list[float]] = [[], []]

    def __call__(self, event) -> None:
        from .. import events as ev

        if isinstance(event, ev.BatchEnd) and event.logs.get("loss") is not None:
            steps = event.steps
            x = event.epoch + ((event.batch + 1) / steps if steps else 1.0)
            self.batch_loss[0].append(float(x))
            self.batch_loss[1].append(float(event.logs["loss"]))
        elif isinstance(event, ev.EpochEnd) and event.lr is not None:
            self.lr[0].append(float(event.epoch + 1))
            self.lr[1].append(float(event.lr))


def index_entry(result, folder: Path, processes: int = 1, tap: CurveTap | None = None) -> dict:
    """The runs index entry, in the runs folder `folder`, of a run whose model was kept
    (in `folder` by `keep_model`, or at --save), as the window writes its own runs
    (`app.training.history.record_to_dict`)."""
    from .. import events as ev

    event = ev.Result.of(result, processes=processes)
    start, settings = result.initial_epoch, ev.plain(result.settings)
    settings.pop("data_fingerprint", None)  # in the run record beside the model
    epochs = {name: [[float(start + i + 1) for i in range(len(values))], list(values)]
              for name, values in event.history.items()}
    return {  # merge_index writes NaN as null (strict JSON)
        "settings": settings, "status": event.status, "epochs": settings.get("epochs"),
        "steps": None, "epoch": result.epochs_run, "initial_epoch": start,
        "epochs_done": result.epochs_run - start, "message": result.message,
        "result": ev.to_wire(event), "resumed_from": None, "processes": processes,
        "saved": os.path.relpath(result.saved, folder),
        "curves": {"batch_loss": tap.batch_loss if tap else [[], []],
                   "lr": tap.lr if tap else [[], []], "epochs": epochs,
                   "last_epoch": result.epochs_run or settings.get("epochs")}}


def index_kept(result, project_file: str | Path, processes: int = 1,
               tap: CurveTap | None = None) -> int:
    """List the run whose model was kept (`result.saved`) in the project's runs index,
    with the curves `tap` heard; returns its run number there."""
    from ..run_record import merge_index

    folder = runs_folder(project_file)
    entry = index_entry(result, folder, processes, tap)
    merge_index(folder, [entry])
    return entry["number"]
