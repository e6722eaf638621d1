"""Reading a project's saved runs off the GUI thread.

A project's runs index holds every finished run's curves (hundreds of thousands of
numbers for a long project): parsing it on the GUI thread froze the window for
seconds after a project opened. `RunsReader.read(folder)` parses it in a worker
thread, and the app's `FutureWatcher` emits `read_done(folder, records, problem)` on
the GUI thread once the records are ready (the thread itself emits nothing). Since
`json` holds the interpreter lock while it parses, a large index is parsed in a
child process (`runs_parse`), and the thread only waits for its arrays. A newer
request replaces a pending one, whose result is dropped; `wait()` finishes a pending
read at once (a run about to start is numbered after the saved ones).
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from PySide6 import QtCore

from ...runtime import run_record
from ..future_watch import FutureWatcher
from .history import load_runs
from .runs_parse import parse_index

# An index up to this size is parsed in the thread (some 30 ms; a child takes a second).
INLINE_BYTES = 1_000_000


class RunsReader(QtCore.QObject):
    """Loads `history.load_runs(folder)` in the background; one request at a time."""

    read_done = QtCore.Signal(object, object, object)  # folder, records, problem or None

    def __init__(self, parent=None):
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kerascanvas-runs")
        self._children: ProcessPoolExecutor | None = None  # made for the first large index
        self._pending: tuple[Path, Future] | None = None
        self._watcher = FutureWatcher(self)

    @property
    def busy(self) -> bool:
        """A read was asked for and its records are not handed over yet."""
        return self._pending is not None

    def read(self, folder: Path) -> None:
        """Read `folder`'s runs; `read_done` follows on the GUI thread."""
        self._watcher.clear()
        future = self._pool.submit(self._load, folder)
        self._pending = (folder, future)
        self._watcher.watch(future, lambda _future: self._deliver())

    def cancel(self) -> None:
        """Drop the pending read: its records are not handed over."""
        self._pending = None
        self._watcher.clear()

    def wait(self) -> None:
        """Finish the pending read now (blocking until it is parsed) and hand it over."""
        if self._pending is not None:
            self._pending[1].exception()  # waits; an error is reported by `_deliver`
            self._watcher.clear()
            self._deliver()

    def shutdown(self) -> None:
        self.cancel()
        self._pool.shutdown(wait=False, cancel_futures=True)
        if self._children is not None:
            self._children.shutdown(wait=False, cancel_futures=True)

    def _deliver(self) -> None:
        if self._pending is None:
            return
        (folder, future), self._pending = self._pending, None
        try:
            records, problem = future.result()
        except Exception as exc:  # noqa: BLE001  an unreadable index must not end the app
            records, problem = [], f"Could not read the runs in {folder}: {exc}"
        self.read_done.emit(folder, records, problem)

    # ---- the reading thread ---------------------------------------------------------
    def _load(self, folder: Path):
        index = Path(folder) / run_record.INDEX
        large = index.is_file() and index.stat().st_size > INLINE_BYTES
        return load_runs(folder, self._parse_in_child if large else run_record.read_index)

    def _parse_in_child(self, folder: Path) -> list[dict]:
        try:
            if self._children is None:
                self._children = ProcessPoolExecutor(
                    max_workers=1, mp_context=multiprocessing.get_context("spawn"))
            return self._children.submit(parse_index, str(folder)).result()
        except (BrokenProcessPool, OSError):  # no child to parse in: parsed here, slower
            self._children = None
            return run_record.read_index(folder)
