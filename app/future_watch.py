"""Results of worker threads, handed to the GUI thread without Qt calls from the threads.

A Python thread must not emit a signal of a QObject that the GUI thread may delete (a
window's children go with the window). PySide6 6.11 checks that the object is alive and
then calls into it, and a deletion in between leaves the emitting thread in freed
memory: a crash, "RuntimeError: Signal source has been deleted", or a thread stuck on a
freed lock. Catching the RuntimeError only hides one outcome of that race.

So the worker threads of the app only complete `concurrent.futures.Future`s, and a
`FutureWatcher`, a QObject of the GUI side, polls them with a timer that runs while
any is pending, then calls each callback on the GUI thread. Deleting the watcher (with
its parent) or `clear()` drops what is pending: no answer reaches a closed window, and
no one waits for a thread.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future

from PySide6 import QtCore

POLL_MS = 20  # answers come within a frame or two; the timer stops when none is pending


class FutureWatcher(QtCore.QObject):
    """`watch(future, callback)`: `callback(future)` runs on the GUI thread once it is done."""

    def __init__(self, parent: QtCore.QObject | None = None, interval_ms: int = POLL_MS):
        super().__init__(parent)
        self._pending: list[tuple[Future, Callable[[Future], None]]] = []
        self._cleared = 0  # how many times clear() ran: a callback may call it
        self._timer = QtCore.QTimer(self, interval=interval_ms)
        self._timer.timeout.connect(self._on_timer_timeout)

    @property
    def pending(self) -> int:
        """How many watched futures have not been handed over yet."""
        return len(self._pending)

    def watch(self, future: Future, callback: Callable[[Future], None]) -> None:
        """Call `callback(future)` on this object's (the GUI) thread once `future` is done,
        unless `clear()` comes first. Call it from the GUI thread."""
        self._pending.append((future, callback))
        if not self._timer.isActive():
            self._timer.start()

    def clear(self) -> None:
        """Drop every pending future: their callbacks never run."""
        self._pending.clear()
        self._cleared += 1
        self._timer.stop()

    def _on_timer_timeout(self) -> None:
        done, waiting = [], []
        for item in self._pending:
            (done if item[0].done() else waiting).append(item)
        if not done:
            return
        self._pending = waiting
        if not waiting:
            self._timer.stop()
        cleared = self._cleared
        for future, callback in done:  # a callback may watch another future, or clear
            if self._cleared != cleared:
                return
            callback(future)
