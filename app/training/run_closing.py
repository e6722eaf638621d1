"""The training runs' end with the window: every active run killed, the threads reading
their events ended, and each killed run listed in its project's runs index with what it
kept, without touching a Qt object (the window may be half deleted)."""

from __future__ import annotations

import shutil
from pathlib import Path

from ...runtime import run_record
from .records import RunRecord
from .run_kill import RunKiller, killed_result, take_kill

READER_JOIN_S = 1.0  # an event reader wakes every poll interval; a poll may take a moment
# A kill ends its processes at once (`runtime.worker_kill`); joining them may take seconds
# on a loaded machine, and a closing window waits for it to list what the run kept.
KILL_WAIT_S = 30.0


class RunsClosingMixin:
    """Mixed into `TrainingController`: expects its `runs`, `current`, `save_dir`,
    `index_writes`, `_readers`, `_own_dir`, `_drain_timer`, `_inbox` and `_halt_reader`."""

    def shutdown(self) -> None:
        """Kill any active run and stop reading events (call before the window closes)."""
        self._drain_timer.stop()
        self._inbox.clear()
        self.end_workers()

    def end_workers(self, join_s: float = READER_JOIN_S) -> None:
        """Kill every active run's worker and end the threads reading their events, waiting
        at most `join_s` for those, and for a kill begun before (Kill, then the window
        closed) until it has ended (`KILL_WAIT_S` at most); list every killed run in its
        project's runs index; remove the runs' own folder. Touches no Qt object (the
        window may be half deleted) and may be called again."""
        readers = list(self._readers.values())
        # The current run may be another project's (`show_runs` keeps it going).
        records = {id(r): r for r in [*self.runs, self.current, *(r.record for r in readers)]
                   if r is not None}
        for record in records.values():
            self._halt_reader(record)
            if record.active:
                try:
                    record.source.kill()
                except Exception:  # noqa: BLE001  closing must go on regardless
                    pass
                self._keep_killed(record)
        for reader in readers:
            reader.join(KILL_WAIT_S if isinstance(reader, RunKiller) else join_s)
            if isinstance(reader, RunKiller):  # what it kept, once its processes ended
                self._keep_killed(reader.record)
        if self._own_dir:
            shutil.rmtree(self.save_dir, ignore_errors=True)

    def _keep_killed(self, record: RunRecord) -> None:
        """A run killed as the window closes is listed in its project's runs index, with
        the model it saved before (a kill in its final evaluation), or with its settings
        and no model (no Qt: see end_workers). Its entry is made now and written after the
        writes the window's index writer holds (a late listing of it as running), so the
        killed entry is the last."""
        take_kill(record, killed_result(record.source))
        if self._own_dir:  # the runs' own folder goes with the window
            return
        from .history import ended_entries

        folder = Path(record.folder or self.save_dir)
        _, entries = ended_entries(folder, [record])

        def write() -> None:
            try:
                run_record.merge_index(folder, entries)
            except (OSError, ValueError, TimeoutError):  # filelock's Timeout is one
                pass  # the model stays in the folder; the window is gone

        if self.index_writes is None or not self.index_writes.after_pending(write):
            write()
