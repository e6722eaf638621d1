"""Every one-process `kerascanvas run` is listed in the runs index from its start, and
keeps an epoch-end snapshot (`runtime.snapshot`) that the listing names.

A run takes its run number as it starts (`runs_index.reserve_number`) and is listed in
the runs index (`runs.json`) as "running" with its process (`runs_index.this_process`),
then again each time its snapshot is written whole, with the snapshot as its model, the
epoch it holds and the curves up to it, and at an epoch's end between snapshots (`heard`:
at most every `LIVE_S` seconds, and `COST_FACTOR` times what the last listing took), with
that epoch and the curves up to it and the last snapshot still its model, so the window
following the project shows the epoch and curves move while the run trains (snapshots are
at least a minute apart). A process killed without warning (SIGKILL, the
system's out-of-memory killer, a crash, a power cut) cannot say anything, so the entry
also holds what it says then: a reader that finds the process gone shows the run
"interrupted" with that message (the snapshot kept and how to continue it, or that
nothing was kept). The run's final entry (same number) replaces it when the command ends.

Where the snapshot is: a run with --save keeps it beside that file (`net.last.keras`,
as `train` would; `train` removes it once --save is written). A run without --save has
no model path until training ends (its model is then kept in the project's runs folder,
`kept_runs.keep_model`), so it keeps its snapshot in the runs folder as
`run_N.last.keras` (the name the window gives run N's snapshot), with its run record; a
run that ends normally keeps its model (`stopped_N.keras`, `trained_N.keras`) and removes
the snapshot, one that ran out of memory keeps the snapshot as its model
(`train_messages.out_of_memory`). With `--no-keep` (and no --save) it keeps none: it is
listed all the same. A run on several processes (torchrun) takes no snapshot: rank 0
lists it as running from its start with the launcher (its parent, torchrun's agent) as
its process, and again at an epoch's end as one process is (`heard`); once the launcher
is gone it reads "interrupted" with what was kept: the last checkpoint ModelCheckpoint
wrote (`snapshot.checkpoint_text`), or nothing.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

from ..events import EpochEnd
from ..snapshot import COST_FACTOR
from .kept_runs import CurveTap, continue_listed, index_entry, runs_folder

__all__ = ["LIVE_S", "RunSnapshot", "start"]

LIVE_S = 2.0  # the window looks up the runs other processes list as often


def _say(text: str) -> None:
    import sys

    print(f"kerascanvas run: {text}", file=sys.stderr, flush=True)


class RunSnapshot:
    """The snapshot of one `kerascanvas run` without --save, and its runs index entry.

    Args:
        args: the command's arguments (the project file, --resume).
        settings: the run's resolved settings.
        tap: the sink that keeps the run's curves (`kept_runs.CurveTap`).
        number: the run number reserved for the run.
    """

    def __init__(self, args, settings, tap: CurveTap, number: int) -> None:
        self.args, self.settings, self.tap, self.number = args, settings, tap, number
        self.folder = runs_folder(args.file)
        self.uid = uuid.uuid4().hex
        self.processes = _world()  # several: no snapshot, listed with the launcher
        self.path = None if self.processes > 1 else _snapshot_at(args, self.folder, number)
        self.listing = True  # until an index write fails (said once)
        self.previous: dict | None = None  # the listed run --resume continues, as listed
        self.kept: str | None = None  # the last snapshot written whole (one process)
        self.listed_at: float | None = None  # when the run was last listed (monotonic)
        self.cost = 0.0  # how long that listing took, seconds
        self.listed_epoch = int(args.initial_epoch or 0)  # the epoch it held
        self.graph: str | None = getattr(args, "trained_graph", None)  # `graph.digest`

    def callback(self, data):
        """The Keras callback that writes the snapshot (`train` adds none of its own) and
        lists the run at each; None for a run that keeps none."""
        from ..snapshot_callback import EpochSnapshot

        if self.path is None:
            return None
        return EpochSnapshot(self.args.save, self.settings, data, path=self.path,
                             written=self.written)

    def begin(self) -> None:
        """List the run as running, before its first epoch: nothing kept yet."""
        start = int(self.args.initial_epoch or 0)
        if self.processes > 1:  # what was kept is looked for once the launcher is gone
            self._list(None, start, f"Training in `kerascanvas run` on {self.processes} "
                       f"processes, from epoch {start}.", self._launcher_gone())
            return
        self._list(None, start, f"Training in `kerascanvas run`, from epoch {start}; "
                   "no epoch has ended yet.",
                   "The process of `kerascanvas run` ended before any epoch of the run "
                   "ended, without a result (killed: SIGKILL, the system's out-of-memory "
                   "killer, a crash, or the machine stopped): nothing of it was kept.")

    def written(self, path: str, epochs: int) -> None:
        """List the run as it stands: its snapshot, holding epoch `epochs`, is its model."""
        self.kept = path
        self._listed(epochs)

    def heard(self, event) -> None:
        """A sink of the run's events, after its `tap`: at an epoch's end the run is listed
        again, holding that epoch and its curves (its model: the last snapshot, if any),
        unless it was listed at that epoch already, or less than `LIVE_S` seconds (or
        `COST_FACTOR` times what that listing took) before."""
        if not isinstance(event, EpochEnd):
            return
        epochs = event.epoch + 1
        if epochs <= self.listed_epoch or self.listed_at is not None and \
                time.monotonic() - self.listed_at < max(LIVE_S, COST_FACTOR * self.cost):
            return
        self._listed(epochs)

    def _listed(self, epochs: int) -> None:
        """List the run as running, holding epoch `epochs`; time the listing."""
        began = time.monotonic()
        if self.processes > 1:
            self._list(None, epochs, f"Training in `kerascanvas run` on {self.processes} "
                       f"processes: epoch {epochs} of {self.settings.get('epochs', '?')} has "
                       "ended.", self._launcher_gone())
        else:
            self._list(*self._one_process(epochs))
        self.listed_at, self.cost = began, time.monotonic() - began
        self.listed_epoch = epochs

    def _one_process(self, epochs: int) -> tuple[str | None, int, str, str]:
        """(the model, the epoch, the message, what it says once this process is gone) of
        a one-process run at the end of epoch `epochs`: its last snapshot is its model."""
        from ..snapshot import kept_text

        path = self.kept if self.kept and os.path.exists(self.kept) else None
        ended = (f"Training in `kerascanvas run`: epoch {epochs} of "
                 f"{self.settings.get('epochs', '?')} has ended.")
        gone = ("The process of `kerascanvas run` ended during training, without a result "
                "(killed: SIGKILL, the system's out-of-memory killer, a crash, or the machine "
                "stopped).")
        curves = f" The curves and metrics up to epoch {epochs} are kept in the run."
        if path is None:
            kept, had = (("no epoch-end snapshot yet", "It had written no epoch-end snapshot")
                         if self.path else ("it keeps no epoch-end snapshot (--no-keep)",
                                            "It kept no epoch-end snapshot (--no-keep)"))
            return (None, epochs, f"{ended[:-1]}; {kept}.",
                    f"{gone} {had}: nothing of its model was kept.{curves}")
        kept = kept_text(path).replace("PROJECT", self.args.file)
        return path, epochs, f"{ended} {kept}", f"{gone} {kept}{curves}"

    def _launcher_gone(self) -> str:
        return (f"The launcher of `kerascanvas run` on {self.processes} processes "
                "(torchrun) ended during training, without a result (killed: SIGKILL, "
                "the system's out-of-memory killer, a crash, or the machine stopped).")

    def _list(self, path: str | None, epochs: int, message: str, if_ended: str) -> None:
        """Write the run's entry as running, holding epoch `epochs` and the model at
        `path` (None: none yet); `if_ended` is what it says once its process is gone."""
        from ..run_record import merge_index
        from ..runs_index import PROCESS, RUNNING
        from ..train_messages import TrainResult
        from .run_continued import continued

        if not self.listing:
            return
        start = int(self.args.initial_epoch or 0)
        result = TrainResult(RUNNING, message, history=self.tap.history_until(epochs - start),
                             initial_epoch=start, epochs_run=epochs, saved=path,
                             settings=dict(self.settings))
        try:
            entry = self.entry(index_entry(result, self.folder, self.processes,
                                           self.tap.until(epochs), self.graph))
            entry.update({"status": RUNNING, "result": None, "message": message,
                          PROCESS: self._process(if_ended)})
            self.previous = continue_listed(entry, self.folder, self.args.resume,
                                            self.previous)
            merge_index(self.folder, [entry, *continued(self.previous, entry, self.folder,
                                                        self.args.resume)])
        except (OSError, ValueError, TimeoutError) as exc:
            self.listing = False
            _say(f"could not list the run in {self.folder}: {exc}")

    def _process(self, if_ended: str) -> dict:
        """The process the entry is listed by: this one, or on several processes the
        launcher (torchrun's agent, this rank's parent) with ModelCheckpoint's files."""
        from ..runs_index import CHECKPOINTS, this_process

        if self.processes == 1:
            return this_process(if_ended)
        files = [os.path.abspath(c["filepath"]) for c in self.settings.get("callbacks") or []
                 if c.get("name") == "model_checkpoint" and c.get("filepath")]
        return {**this_process(if_ended, os.getppid()), CHECKPOINTS: files,
                "project": os.path.abspath(self.args.file)}

    def refused(self, message: str) -> None:
        """List the run as failed: its settings or data were refused before training."""
        from ..train_messages import ERROR, TrainResult
        from .kept_runs import list_run

        start = int(self.args.initial_epoch or 0)
        list_run(TrainResult(ERROR, message, initial_epoch=start, epochs_run=start,
                             settings=dict(self.settings)), self.args.file, self.processes,
                 self.tap, self.args.resume, self, self.graph)

    def entry(self, entry: dict) -> dict:
        """`entry` as this run's: its reserved number and uid."""
        entry["number"], entry["uid"] = self.number, self.uid
        return entry

    def finish(self, result) -> None:
        """Remove the snapshot once the run kept a model of its own (or none): only a run
        whose model is the snapshot (out of memory) keeps it."""
        from .. import snapshot

        # With --save, `train` removed it once that file was written, and leaves it when
        # the file could not be (the model is then kept in the runs folder too).
        if self.path is not None and not self.args.save and result.saved != self.path:
            snapshot.discard_at(self.path)


def _snapshot_at(args, folder: Path, number: int) -> str | None:
    """Where run `number` keeps its snapshot: beside --save, else in the runs folder;
    None with --no-keep and no --save."""
    from ..snapshot import snapshot_path

    if args.save:
        return snapshot_path(args.save)
    return None if getattr(args, "no_keep", False) else str(folder / f"run_{number}.last.keras")


def _world() -> int:
    """How many processes train the run (torchrun's WORLD_SIZE; 1 without torchrun)."""
    from .. import distributed

    return int(os.environ.get("WORLD_SIZE", "1")) if distributed.launched() else 1


def start(args, settings, tap: CurveTap) -> RunSnapshot | None:
    """The listing (and snapshot) of a run, listed as running as it begins (on several
    processes by rank 0, with no snapshot); None on the other ranks, or when its run
    number cannot be reserved (said: the run is listed when it ends, and a run without
    --save keeps no snapshot)."""
    from .. import distributed
    from ..runs_index import reserve_number

    if not distributed.is_main():
        return None
    folder = runs_folder(args.file)
    try:
        number = reserve_number(folder)
    except (OSError, TimeoutError) as exc:
        _say(f"not listed while it trains: could not take a run number in {Path(folder)} "
             f"({exc})" + ("" if args.save else "; no epoch-end snapshot for this run"))
        return None
    snapshot = RunSnapshot(args, settings, tap, number)
    snapshot.begin()
    return snapshot
