"""The epoch-end snapshot of `kerascanvas run` without --save (`runtime.snapshot`).

A run without --save has no model path until training ends (its model is then kept in
the project's runs folder, `kept_runs.keep_model`), so it would write no snapshot. It
takes its run number as it starts (`runs_index.reserve_number`) and keeps its snapshot
in the runs folder as `run_N.last.keras` (the name the window gives run N's snapshot),
with its run record. Each time a snapshot is written whole, the run's entry in the runs
index (`runs.json`) is written too, so that a process killed without warning (SIGKILL,
the system's out-of-memory killer, a crash), which cannot say anything, leaves it for
the next look: the entry names the snapshot as the run's model, the epoch it holds, how
to continue it, and holds the curves up to that epoch. The run's final entry (same
number) replaces it when the command ends. A run that ends normally keeps its model
(`stopped_N.keras`, `trained_N.keras`) and removes the snapshot; one that ran out of
memory keeps the snapshot as its model (`train_messages.out_of_memory`). Not with
`--no-keep` (no model is kept), nor on several processes (they take no snapshots).
"""

from __future__ import annotations

import uuid
from pathlib import Path

from .kept_runs import CurveTap, continue_listed, index_entry, runs_folder

__all__ = ["RunSnapshot", "start"]


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
        self.path = str(self.folder / f"run_{number}.last.keras")
        self.listing = True  # until an index write fails (said once)

    def callback(self, data):
        """The Keras callback that writes the snapshot (`train` adds none of its own)."""
        from ..snapshot_callback import EpochSnapshot

        return EpochSnapshot(None, self.settings, data, path=self.path, written=self.written)

    def written(self, path: str, epochs: int) -> None:
        """List the run as it stands: its snapshot, holding epoch `epochs`, is its model."""
        from ..run_record import merge_index
        from ..snapshot import kept_text
        from ..train_messages import ERROR, TrainResult

        if not self.listing:
            return
        start = int(self.args.initial_epoch or 0)
        message = (f"The process of `kerascanvas run` ended during training, without a "
                   f"result (killed: SIGKILL, the system's out-of-memory killer, or a "
                   f"crash). {kept_text(path).replace('PROJECT', self.args.file)} The "
                   f"curves and metrics up to epoch {epochs} are kept in the run.")
        result = TrainResult(ERROR, message, history=self.tap.history_until(epochs - start),
                             initial_epoch=start, epochs_run=epochs, saved=path,
                             settings=dict(self.settings))
        try:
            entry = self.entry(index_entry(result, self.folder, 1, self.tap.until(epochs)))
            continue_listed(entry, self.folder, self.args.resume)
            merge_index(self.folder, [entry])
        except (OSError, ValueError, TimeoutError) as exc:
            self.listing = False
            _say(f"could not list the run's snapshot in {self.folder}: {exc}")

    def entry(self, entry: dict) -> dict:
        """`entry` as this run's: its reserved number and uid."""
        entry["number"], entry["uid"] = self.number, self.uid
        return entry

    def finish(self, result) -> None:
        """Remove the snapshot once the run kept a model of its own (or none): only a run
        whose model is the snapshot (out of memory) keeps it."""
        from .. import snapshot

        if result.saved != self.path:
            snapshot.discard_at(self.path)


def start(args, settings, tap: CurveTap) -> RunSnapshot | None:
    """The snapshot of a run without --save that keeps its model in the runs folder, on
    one process; None otherwise, or when its run number cannot be reserved (said)."""
    from .. import distributed
    from ..runs_index import reserve_number

    if args.save or getattr(args, "no_keep", False) or distributed.launched():
        return None
    folder = runs_folder(args.file)
    try:
        number = reserve_number(folder)
    except (OSError, TimeoutError) as exc:
        _say(f"no epoch-end snapshot for this run: could not take a run number in "
             f"{Path(folder)} ({exc})")
        return None
    return RunSnapshot(args, settings, tap, number)
