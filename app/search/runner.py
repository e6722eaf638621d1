"""A study run from the window: the driver in a thread, its events polled by a timer.

The driver's own threads only wait on trial processes, so the window stays
responsive; events cross to the GUI thread through a queue that a 10 Hz timer
drains (never a signal per epoch). After each finished trial the driver's
thread also computes the parameter importances, off the GUI thread.
"""

from __future__ import annotations

import queue
import threading

from PySide6 import QtCore

from ...runtime import events as ev

POLL_MS = 100


class SearchRunner(QtCore.QObject):
    """Runs one `SearchDriver` at a time; `events` delivers its study events (`runtime.events`)
    in the GUI thread, the last one a `StudyEnd`."""

    events = QtCore.Signal(list)
    finished = QtCore.Signal(str)  # "" when the study ended normally, else the error

    def __init__(self, parent=None):
        super().__init__(parent)
        self.driver = None
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._on_timer_timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, driver) -> None:
        """Open the study here (a refusal raises at once), then run it in a thread."""
        driver.open()
        driver.on_event = self._on_driver_event
        self.driver = driver
        self._thread = threading.Thread(target=self._run, name="kerascanvas-search",
                                        daemon=True)
        self._thread.start()
        self._timer.start()

    def _run(self) -> None:
        try:
            self.driver.run()
            self._queue.put(ev.StudyEnd())
        except Exception as exc:  # noqa: BLE001  shown to the user, the window stays up
            self._queue.put(ev.StudyEnd(f"{type(exc).__name__}: {exc}"))

    def _on_driver_event(self, event: ev.StudyEvent) -> None:
        """In the driver's threads: queue the event, and importances after each trial."""
        self._queue.put(ev.require_study(event))
        if isinstance(event, ev.TrialEnd):
            from kerascanvas.runtime.search.study import importances

            self._queue.put(ev.Importances(importances(self.driver.study)))

    def _on_timer_timeout(self) -> None:
        drained = []
        while True:
            try:
                drained.append(self._queue.get_nowait())
            except queue.Empty:
                break
        if drained:
            self.events.emit(drained)
        for event in drained:
            if isinstance(event, ev.StudyEnd):
                self._timer.stop()
                self.finished.emit(event.error)

    def pause(self) -> None:
        if self.running:
            self.driver.pause()

    def resume(self) -> None:
        if self.running:
            self.driver.resume()

    def stop(self) -> None:
        if self.running:
            self.driver.stop()

    def wait(self, timeout: float = 30.0) -> None:
        """Stop and wait for the thread (the window closes)."""
        self.stop()
        if self._thread is not None:
            self._thread.join(timeout)
