"""The window's listings of its runs in training, written into the runs index off the GUI
thread.

Each write re-reads the project's `runs.json` under its lock and replaces it whole
(`runtime.runs_index.merge_index`): the other entries' lines are only copied, but for a
project of 2,000 runs that is still 30 MB read, written and synced to disk, some tenths of
a second. A run is listed as it starts and again at each snapshot (`run_listing`), so
those writes run in one worker thread, in the order they were asked for, and a write
that failed is said on the GUI thread (`FutureWatcher`). A run's end is written there
too, after its listings (0.4 s at 2,000 runs, which the GUI thread waited for). The
entries are made on the GUI thread, where the runs' records change. `flush()` waits for
the writes asked for: none is left behind when the window closes or a project's runs
move. A run killed with the window is written after them too (`after_pending`), so that a
listing of it as running still waiting here never lands over its end.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait

from PySide6 import QtCore

from ..future_watch import FutureWatcher


class IndexWrites(QtCore.QObject):
    """Writes into runs indexes in a worker thread, one at a time, in order."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kerascanvas-index")
        self._watcher = FutureWatcher(self)
        self._pending: list[tuple[Future, Callable[[Exception], None],
                                  Callable[[object], None] | None]] = []

    @property
    def busy(self) -> bool:
        """A write was asked for and its outcome is not handed back yet."""
        return bool(self._pending)

    def write(self, work: Callable[[], object], failed: Callable[[Exception], None],
              done: Callable[[object], None] | None = None) -> None:
        """Run `work()` after the writes asked before; `failed(error)` follows on the GUI
        thread if it raised (OSError, ValueError, filelock's Timeout...), else `done(what
        it returned)`."""
        future = self._pool.submit(work)
        self._pending.append((future, failed, done))
        self._watcher.watch(future, lambda _future: self._deliver())

    def after_pending(self, work: Callable[[], object]) -> bool:
        """Run `work()` after the writes asked before, without waiting for it or handing
        its outcome back; no Qt here (the window may be half deleted). False when this
        writer was shut down (its writes are all done): run `work` now instead."""
        try:
            self._pool.submit(work)
        except RuntimeError:  # shut down: nothing is left to land after it
            return False
        return True

    def flush(self) -> None:
        """Wait for every write asked for; their failures are said now."""
        wait([future for future, _, _ in self._pending])
        self._deliver()

    def shutdown(self) -> None:
        self.flush()
        self._watcher.clear()
        self._pool.shutdown(wait=True)

    def _deliver(self) -> None:
        """Hand back, in order, the outcomes of the writes that ended."""
        while self._pending and self._pending[0][0].done():
            future, failed, done = self._pending.pop(0)
            error = future.exception()
            if error is not None:
                failed(error)
            elif done is not None:
                done(future.result())
