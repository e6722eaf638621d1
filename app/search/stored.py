"""The project's study as its journal file holds it, read off the GUI thread.

When the Search tab opens on a saved project, the trials of its study (earlier runs,
the command line, another window) are read in a thread of their own (Optuna's import
and the file's reading take seconds on a busy machine) and listed as after a run. The
file is then looked at every `POLL_MS` (its size and time only, on the GUI thread);
when it changed, the new trials are read, again in a thread. While a trial is shown
running, the study is read at each look even when its file did not change: the process
running that trial may be killed, and then nothing is written (`listing.shown_trials`
shows it failed). While a study of this window runs, the reads go on (without the
importances, which the run computes): they bring the other processes' trials. Nothing
here writes.
"""

from __future__ import annotations

import queue
import threading

from PySide6 import QtCore

POLL_MS = 2000  # how often the journal file's size and time are looked at
DRAIN_MS = 100  # how often a read in progress is asked for its answer


class StoredStudyWatch(QtCore.QObject):
    """Emits `read(StoredStudy | None)` or `failed(message)` for the study that
    `where()` names ((journal file, study name, searched keys), or None: nothing to
    read), each time its file changes (at each look while a trial is shown running) while
    `paused()` is false; without the importances while `light()` is true (a study of this
    window runs and computes its own)."""

    read = QtCore.Signal(object)
    failed = QtCore.Signal(str)

    def __init__(self, where, paused, light=lambda: False, parent=None):
        super().__init__(parent)
        self._where, self._paused, self._light = where, paused, light
        self._answers: queue.SimpleQueue = queue.SimpleQueue()
        self._reader = None
        self._seen = None  # (journal, study, keys, stamp) of the last read asked
        self._busy = False
        self._live = False  # the last read showed a running trial
        self._marks = 0  # `mark_seen` calls: a read begun before the last one is stale
        self._poll = QtCore.QTimer(self, interval=POLL_MS)
        self._poll.timeout.connect(self._on_poll_timeout)
        self._drain = QtCore.QTimer(self, interval=DRAIN_MS)
        self._drain.timeout.connect(self._on_drain_timeout)

    def start(self) -> None:
        """Read now (in a thread), then follow the file."""
        self._poll.start()
        self._on_poll_timeout()

    def stop(self) -> None:
        self._poll.stop()
        self._drain.stop()

    def mark_seen(self, live: bool) -> None:
        """The file as it is now is known (this window's own study wrote it); `live`:
        a trial is shown running (another process's), so the reads go on."""
        self._seen, self._live = self._current(), live
        self._marks += 1

    def _current(self):
        from kerascanvas.runtime.search.listing import stamp

        where = self._where()
        if where is None:
            return None
        storage, name, keys = where
        return storage, name, tuple(keys), stamp(storage)

    def _on_poll_timeout(self) -> None:
        if self._busy or self._paused():
            return
        current = self._current()
        if current is None or (current == self._seen and not self._live):
            return
        self._seen = current
        storage, name, keys, _ = current
        from kerascanvas.runtime.search.listing import StudyReader

        if self._reader is None or (self._reader.storage, self._reader.name) != (storage, name):
            self._reader = StudyReader(storage, name)
        self._busy = True
        threading.Thread(target=self._read, daemon=True, name="study-reader",
                         args=(self._reader, list(keys), not self._light(), self._marks)).start()
        self._drain.start()

    def _read(self, reader, keys: list[str], importances: bool, marks: int) -> None:
        """In the reader's thread: the answer goes to the queue, whatever happens."""
        from kerascanvas.runtime.search.listing import StudyReadError

        try:
            self._answers.put((marks, "read", reader.read(keys, importances)))
        except StudyReadError as exc:
            self._answers.put((marks, "failed", str(exc)))
        except Exception as exc:  # noqa: BLE001  shown in the tab; the window stays up
            self._answers.put((marks, "failed", f"the study file {reader.storage} could not "
                                                f"be read: {type(exc).__name__}: {exc}"))

    def _on_drain_timeout(self) -> None:
        try:
            marks, kind, answer = self._answers.get_nowait()
        except queue.Empty:
            return
        self._drain.stop()
        self._busy = False
        if marks != self._marks:  # begun before this window's study ended: older news
            return
        self._live = kind == "read" and answer is not None and answer.running
        if not self._paused():  # this window's checks began meanwhile: its study shows next
            getattr(self, kind).emit(answer)
