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
CLOSE_GRACE_S = 1.0  # a closing window's trials end within this after their stop
CLOSE_MARGIN_S = 1.5  # then the driver's kill, the study's writes and the threads' ends
IDLE, CHECKING, STUDY = "idle", "checking", "study"


class _Run:
    """One start: its queue, cancel flag, phase and driver. A cancelled run's thread may
    still wait for its check process to start (the fork server's first keras import);
    it kills it then, and nobody reads its queue any more."""

    def __init__(self):
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.cancel = threading.Event()
        self.lock = threading.Lock()  # the move from checking to the study, against Cancel
        self.phase, self.driver = CHECKING, None


class SearchRunner(QtCore.QObject):
    """Checks and runs one study at a time. In the GUI thread: `checking` gives each step
    of the checks, `checked` their problems ([] when they passed: the study opens),
    `opened` the trials the study already held (`trial_summary` dicts), `events` its
    study events (`runtime.events`), `settled` the study's trials as its storage holds
    them once the driver is done (`listing.shown_trials`: a trial whose end no event told,
    after an error, is not left "running"), and `finished` ends every start: "" when the
    study ended normally, the checks refused it or were cancelled, else the error. They
    come in the order they happened."""

    events = QtCore.Signal(list)
    checking = QtCore.Signal(str)
    checked = QtCore.Signal(list)
    opened = QtCore.Signal(list)
    settled = QtCore.Signal(list)
    finished = QtCore.Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.check_pids: list[int] = []  # the check processes started (for the record)
        self.cancelled = False  # the last start's checks were cancelled
        self._run: _Run | None = None
        self._closed = False  # `close` ran (the window goes); a new start reopens
        self._threads: list[threading.Thread] = []
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._on_timer_timeout)

    @property
    def phase(self) -> str:
        return IDLE if self._run is None else self._run.phase

    @property
    def driver(self):
        """The running study's driver; None while it checks, and after a refusal."""
        return None if self._run is None else self._run.driver

    @property
    def running(self) -> bool:
        """From `start` until `finished` is emitted (in the GUI thread)."""
        return self._run is not None

    def start(self, doc, options) -> None:
        """Check, then run, the study of `doc` (a snapshot the runner may keep)."""
        from kerascanvas.graph.projectfile import to_dict

        payload = {"document": to_dict(doc), "overrides": dict(options.overrides),
                   "trusted_code": sorted(options.trusted_code)}
        self._run, self.cancelled, self._closed = _Run(), False, False
        thread = threading.Thread(target=self._work, args=(self._run, doc, options, payload),
                                  name="kerascanvas-search", daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        self._timer.start()

    # ---- the runner's thread ---------------------------------------------------------
    def _work(self, run: _Run, doc, options, payload) -> None:
        from kerascanvas.runtime.search.study import StudyError

        try:
            found = self._check(run, payload)
            if found == []:
                self._study(run, doc, options)
            run.queue.put(ev.StudyEnd())
        except StudyError as exc:  # the study cannot be opened as asked: its message says why
            run.queue.put(ev.StudyEnd(_with_notes(str(exc), exc)))
        except Exception as exc:  # noqa: BLE001  shown to the user, the window stays up
            run.queue.put(ev.StudyEnd(_with_notes(f"{type(exc).__name__}: {exc}", exc)))

    def _settle(self, run: _Run) -> None:
        """Queue the trials as the study's storage holds them, its driver done."""
        from kerascanvas.runtime.search.listing import shown_trials

        study = None if run.driver is None else run.driver.study
        if study is not None:
            storage = study._storage  # a database's is wrapped in Optuna's cache
            run.queue.put(("settled", shown_trials(study, getattr(storage, "_backend",
                                                                  storage))))

    def _check(self, run: _Run, payload) -> list[str] | None:
        """The problems the check process found ([] when none); None when cancelled."""
        from kerascanvas.runtime.search.checks import follow_check, start_check

        run.queue.put(("checking", "starting the check process (Keras loads once)"))
        process, events = start_check(payload)
        self.check_pids.append(process.pid)
        found = follow_check(process, events, lambda text: run.queue.put(("checking", text)),
                             run.cancel.is_set)  # it kills the process when it returns
        if found is not None:
            run.queue.put(("checked", found))
        return found

    def _study(self, run: _Run, doc, options) -> None:
        from kerascanvas.runtime.search.driver import SearchDriver
        from kerascanvas.runtime.search.study import trial_summary

        driver = SearchDriver(doc, options,
                              on_event=lambda event: _on_driver_event(run, event))
        with run.lock:
            if run.cancel.is_set():
                return
            run.driver = driver
        study = _opened(driver, options.storage)  # a refusal ends the start with its message
        run.queue.put(("opened", [trial_summary(t) for t in study.get_trials(deepcopy=False)]))
        with run.lock:
            if run.cancel.is_set():  # Stop came while the study opened
                return
            run.phase = STUDY
        try:
            driver.run()
        except Exception as exc:
            try:
                self._settle(run)
            except Exception as late:  # noqa: BLE001  the study's own error comes first
                exc.add_note(f"its trials could not be read back: {late}")
            raise
        self._settle(run)

    # ---- the GUI thread --------------------------------------------------------------
    def _on_timer_timeout(self) -> None:
        run = self._run
        if run is None:
            self._timer.stop()
            return
        batch, end = [], None  # the study events in a row go as one `events`
        while end is None:
            try:
                item = run.queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, tuple):
                self._emit_events(batch)
                getattr(self, item[0]).emit(item[1])
            else:
                batch.append(item)
                end = item if isinstance(item, ev.StudyEnd) else None
        self._emit_events(batch)
        if end is not None:
            self._finish(end.error)

    def _emit_events(self, batch: list) -> None:
        if batch:
            self.events.emit(list(batch))
            batch.clear()

    def _finish(self, error: str) -> None:
        self._timer.stop()
        self._run = None
        self.finished.emit(error)

    def pause(self) -> None:
        if self.driver is not None:
            self.driver.pause()

    def resume(self) -> None:
        if self.driver is not None:
            self.driver.resume()

    def stop(self) -> None:
        """Cancel the checks at once (their process is killed as soon as it exists; no
        study starts), or stop the study after its trials' current batch."""
        run = self._run
        if run is None:
            return
        with run.lock:
            checking = run.phase == CHECKING
            run.cancel.set()
        if checking:
            self.cancelled = True  # a study opened meanwhile is left unrun
            self._finish("")
        elif run.driver is not None:
            run.driver.stop()

    @property
    def threads_alive(self) -> int:
        """Threads of this runner still alive (a cancelled start's may be, briefly)."""
        return sum(t.is_alive() for t in self._threads)

    def close(self, grace_s: float = CLOSE_GRACE_S) -> str:
        """End the study promptly (the window goes): ask its trials to stop after their
        current batch, kill those still running `grace_s` seconds later, and wait a
        bounded time for the runner's threads. The study's storage keeps what it holds:
        the finished trials stay, the stopped ones end failed ("stopped"). Touches no Qt
        object, so it is safe while the window is being deleted. Returns what happened,
        for the status line and the log ("" when nothing ran)."""
        run, closed_before, self._closed = self._run, self._closed, True
        if closed_before or (run is None and not self.threads_alive):
            return ""
        driver = None if run is None else run.driver
        running = 0 if driver is None else len(driver.running_trials())
        if run is not None:
            with run.lock:
                run.cancel.set()
        if driver is not None:
            driver.stop(grace_s=grace_s)
        # Checks that wait for their process get no grace: no trial runs to stop.
        deadline = time.monotonic() + (grace_s if driver else 0.0) + CLOSE_MARGIN_S
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return _closing_text(driver, running, self.threads_alive)

    def wait(self, timeout: float | None = None) -> None:
        """Stop and wait for the threads (the window closes): `close`, bounded."""
        self.close(CLOSE_GRACE_S if timeout is None else min(timeout, CLOSE_GRACE_S))


def _with_notes(text: str, exc: BaseException) -> str:
    return "; ".join([text, *getattr(exc, "__notes__", ())])


def _closing_text(driver, running: int, left: int) -> str:
    if driver is None or driver.study is None:
        return ("The search's checks were cancelled with the window." +
                (" A check process still starting is ended when it starts." if left else ""))
    counts: dict[str, int] = {}
    for trial in driver.study.get_trials(deepcopy=False):
        state = trial.state.name.lower()
        counts[state] = counts.get(state, 0) + 1
    held = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "no trial"
    text = (f"The search was stopped with the window; study {driver.options.study_name!r} "
            f"keeps its trials in {driver.options.storage} ({held})")
    if running:
        text += (f"; {running} running trial{'s were' if running != 1 else ' was'} asked to "
                 "stop, and any still running was killed")
    return text + (" (a thread of the search was still ending)." if left else ".")


def _opened(driver, storage: str):
    """The driver's study; a journal file that cannot be read is said as such (StudyError),
    and left as it is: a damaged last line before anything is written (Optuna would skip
    it, then append after it), any other damage when Optuna reads the file."""
    from kerascanvas.runtime.search.listing import StudyReadError, check_tail
    from kerascanvas.runtime.search.study import StudyError

    try:
        check_tail(storage)
        return driver.open()
    except StudyReadError as exc:
        raise StudyError(str(exc)) from exc
    except StudyError:
        raise
    except (ValueError, UnicodeError) as exc:  # JSONDecodeError is a ValueError
        raise StudyError(f"the study file {storage} cannot be read as a study journal "
                         f"({type(exc).__name__}: {exc}); it is left as it is") from exc


def _on_driver_event(run: _Run, event: ev.StudyEvent) -> None:
    """In the driver's threads: queue the event, and importances after each trial."""
    run.queue.put(ev.require_study(event))
    if isinstance(event, ev.TrialEnd):
        from kerascanvas.runtime.search.study import importances

        run.queue.put(ev.Importances(importances(run.driver.study)))
