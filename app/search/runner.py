"""A study run from the window: checks in a process, then the driver in a thread.

Nothing of a study runs on the GUI thread. A thread of the runner first starts
the study's checks in a process of their own (`runtime.search.checks`: the
data is read, the search space validated, sampled models built there, with any
trusted custom code), waiting on it; when they pass, the same thread opens the
study and runs the driver, whose own threads only wait on trial processes.
Events cross to the GUI thread through a queue that a 10 Hz timer drains (never
a signal per epoch). After each finished trial the driver's thread also
computes the parameter importances, off the GUI thread.
"""

from __future__ import annotations

import queue
import threading
import time

from PySide6 import QtCore

from ...runtime import events as ev

POLL_MS = 100
IDLE, CHECKING, STUDY = "idle", "checking", "study"


class SearchRunner(QtCore.QObject):
    """Checks and runs one study at a time. In the GUI thread: `checking` gives each step
    of the checks, `checked` their problems ([] when they passed: the study opens),
    `opened` the trials the study already held (`trial_summary` dicts), `events` its
    study events (`runtime.events`), and `finished` ends every start: "" when the study
    ended normally, the checks refused it or were cancelled, else the error."""

    events = QtCore.Signal(list)
    checking = QtCore.Signal(str)
    checked = QtCore.Signal(list)
    opened = QtCore.Signal(list)
    finished = QtCore.Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.driver = None
        self.phase = IDLE
        self.check_pids: list[int] = []  # the check processes started (for the record)
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._cancel = threading.Event()
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._on_timer_timeout)

    @property
    def running(self) -> bool:
        """From `start` until `finished` is emitted (in the GUI thread)."""
        return self.phase != IDLE

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def start(self, doc, options) -> None:
        """Check, then run, the study of `doc` (a snapshot the runner may keep)."""
        from kerascanvas.graph.projectfile import to_dict

        payload = {"document": to_dict(doc), "overrides": dict(options.overrides),
                   "trusted_code": sorted(options.trusted_code)}
        self.driver, self.phase = None, CHECKING
        self._cancel = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(doc, options, payload),
                                        name="kerascanvas-search", daemon=True)
        self._thread.start()
        self._timer.start()

    # ---- the runner's thread ---------------------------------------------------------
    def _run(self, doc, options, payload) -> None:
        try:
            found = self._check(payload)
            if found is None or found:  # cancelled, or refused
                self._queue.put(ev.StudyEnd())
                return
            self._study(doc, options)
            self._queue.put(ev.StudyEnd())
        except Exception as exc:  # noqa: BLE001  shown to the user, the window stays up
            self._queue.put(ev.StudyEnd(f"{type(exc).__name__}: {exc}"))

    def _check(self, payload) -> list[str] | None:
        """The problems the check process found ([] when none); None when cancelled."""
        from kerascanvas.runtime.search.checks import start_check

        self._queue.put(("checking", "starting the check process (Keras loads once)"))
        process, events = start_check(payload)
        self.check_pids.append(process.pid)
        try:
            found = self._follow_check(process, events)
        finally:
            if process.is_alive():
                process.kill()
            process.join(5)
        if found is not None:
            self._queue.put(("checked", found))
        return found

    def _follow_check(self, process, events) -> list[str] | None:
        while not self._cancel.is_set():
            try:
                message = events.get(timeout=0.1)
            except queue.Empty:
                if not process.is_alive():
                    return self._check_lost(process, events)
                continue
            if message["kind"] == "done":
                return message["problems"]
            self._queue.put(("checking", message["text"]))
        return None

    def _check_lost(self, process, events) -> list[str]:
        deadline = time.monotonic() + 1.0  # what it put before it ended may still arrive
        while time.monotonic() < deadline:
            try:
                message = events.get(timeout=0.1)
            except queue.Empty:
                continue
            if message["kind"] == "done":
                return message["problems"]
        return [f"the check process ended unexpectedly (exit code {process.exitcode})"]

    def _study(self, doc, options) -> None:
        from kerascanvas.runtime.search.driver import SearchDriver
        from kerascanvas.runtime.search.study import trial_summary

        driver = SearchDriver(doc, options, on_event=self._on_driver_event)
        study = driver.open()  # a refusal (StudyError) ends the start with its message
        self._queue.put(("opened", [trial_summary(t) for t in study.get_trials(deepcopy=False)]))
        self.driver, self.phase = driver, STUDY
        if self._cancel.is_set():  # Stop came while the study opened
            driver.stop()
        driver.run()

    def _on_driver_event(self, event: ev.StudyEvent) -> None:
        """In the driver's threads: queue the event, and importances after each trial."""
        self._queue.put(ev.require_study(event))
        if isinstance(event, ev.TrialEnd):
            from kerascanvas.runtime.search.study import importances

            self._queue.put(ev.Importances(importances(self.driver.study)))

    # ---- the GUI thread --------------------------------------------------------------
    def _on_timer_timeout(self) -> None:
        drained = []
        while True:
            try:
                drained.append(self._queue.get_nowait())
            except queue.Empty:
                break
        study = [item for item in drained if not isinstance(item, tuple)]
        for item in drained:
            if isinstance(item, tuple):
                getattr(self, item[0]).emit(item[1])
        if study:
            self.events.emit(study)
        for event in study:
            if isinstance(event, ev.StudyEnd):
                self._timer.stop()
                self.phase = IDLE
                self.finished.emit(event.error)

    def pause(self) -> None:
        if self.running and self.driver is not None:
            self.driver.pause()

    def resume(self) -> None:
        if self.running and self.driver is not None:
            self.driver.resume()

    def stop(self) -> None:
        """Cancel the checks (their process is killed), or stop the study."""
        if not self.running:
            return
        self._cancel.set()
        if self.driver is not None:
            self.driver.stop()

    def wait(self, timeout: float = 30.0) -> None:
        """Stop and wait for the thread (the window closes)."""
        self.stop()
        if self._thread is not None:
            self._thread.join(timeout)
