"""A window's run listed in its project's runs index while it trains, so that it is not
lost when the window dies with it.

A window's run was written to the runs index only when it ended. Killed together with
the window (the app killed with SIGKILL, the system's out-of-memory killer, a crash, a
power cut) it was never listed, though its epoch-end snapshot (`run_N.last.keras`,
`runtime.snapshot`) might be there. Now the run is listed as "running" as it starts,
with the window's process (`runs_index.this_process`) and the snapshot it keeps
(`runs_index.SNAPSHOT`), and again whenever the window sees a new snapshot on disk, with
the snapshot as its model, the epoch it holds and the curves up to it (a run on several
processes keeps no snapshot: it is listed again when an epoch has ended since). A reader that
finds the window's process gone (the next open of the project, another window, the next
command that writes the index) shows the run "interrupted" with the snapshot it finds
(`runs_index.judged`), so Continue goes on from there. The run's end replaces the entry.
No Qt here: `listed_runs` calls it.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from ...runtime import runs_index
from ...runtime.kill_keep import file_identity
from ...runtime.snapshot import held_epoch
from .history import record_to_dict

BY = "by"  # the process's key naming what trains the run, for the progress line
IF_ENDED = ("The window that trained this run ended during training, without a result "
            "(killed: SIGKILL, the system's out-of-memory killer, a crash, or the machine "
            "stopped).")


class RunListing:
    """The listing of one window run `record`, whose snapshot is `snapshot` (a path)."""

    def __init__(self, record, snapshot: str) -> None:
        self.record, self.snapshot = record, snapshot
        self.folder = Path(record.folder)
        self.seen: tuple | None = file_identity(snapshot)  # a snapshot from before: not its
        self.listed_epoch = record.initial_epoch  # on several processes: listed by epoch

    def begin(self) -> None:
        """List the run as running, nothing kept yet (its curves: those it continues)."""
        self.write(self.begun())

    def follow(self) -> bool:
        """List the run again when a new snapshot is on disk, whole with its record (a run
        on several processes, which keeps none: when an epoch has ended since); whether
        it did."""
        entry = self.followed()
        if entry is not None:
            self.write(entry)
        return entry is not None

    def begun(self) -> dict:
        """The run's entry as it starts (for `write`)."""
        return self._entry(None, self.record.initial_epoch)

    def followed(self) -> dict | None:
        """The run's entry holding the new snapshot on disk (for `write`), or on several
        processes the epoch that ended since it was last listed; None when there is none
        since the last one taken."""
        if self.record.processes > 1:
            epoch = self.record.initial_epoch + self.record.epochs_done
            moved, self.listed_epoch = epoch != self.listed_epoch, epoch
            return self._entry(None, epoch) if moved else None
        identity = file_identity(self.snapshot)
        if identity is None or identity == self.seen:
            return None
        held = held_epoch(self.snapshot)
        if held is None:  # its record is still being written: the next look takes it
            return None
        self.seen = identity
        return self._entry(self.snapshot, held)

    def write(self, entry: dict) -> tuple:
        """Write `entry` into the index (any thread: the entry is made already); the
        index's stamps before and after (`runs_index.merge_index_stamped`)."""
        return runs_index.merge_index_stamped(self.folder, [entry])

    def _entry(self, snapshot: str | None, epoch: int) -> dict:
        """The run's entry as running, holding epoch `epoch` in `snapshot`."""
        record, start = self.record, self.record.initial_epoch
        cut = dataclasses.replace(record, curves=record.curves.copy(until=epoch),
                                  saved_path=None, result=None)
        entry = record_to_dict(cut, self.folder)
        process = runs_index.this_process(IF_ENDED)
        kept = (f"a snapshot after epoch {epoch} is kept" if snapshot else
                f"no epoch-end snapshot on {record.processes} processes"
                if record.processes > 1 else "no epoch-end snapshot yet")
        planned = record.epochs or record.settings.get("epochs")  # before its first event
        entry.update({"status": runs_index.RUNNING, "epoch": epoch, "epochs": planned,
                      "epochs_done": max(epoch - start, 0), "message":
                      f"Training in a window of Keras Canvas (process {process['pid']}); "
                      f"{kept}.",
                      "saved": os.path.relpath(snapshot, self.folder) if snapshot else None,
                      runs_index.PROCESS: {**process, BY: "another window",
                                           runs_index.SNAPSHOT: os.path.relpath(
                                               self.snapshot, self.folder)}})
        return entry
