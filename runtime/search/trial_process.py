"""The trial processes of a study, and the controls over them.

`TrialProcesses` knows which trial processes run now (by trial number, each with
its commands queue), and passes the driver's controls on to them: pause (hold
before the next batch, start no new trial), resume, and stop, which ends a trial
after its current training or validation batch (`stopping.TrialBridge`); a trial's
process confirms a pause and its end with `Paused` and `Resumed` (`holds`). A trial
whose process has not ended STOP_GRACE_S seconds after it was asked (it is reading
its data, building its model, or inside one long batch) is killed, and ends as
stopped. `follow` reads one trial's events until its `Result`.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

from ..events import FAILED, STOPPED, EpochEnd, Result, TrainingEvent, from_wire
from ..worker_kill import ended_text
from .lost import last_received

STOP_GRACE_S = 5.0  # seconds a trial may take to end after a stop before it is killed
KILLED = "Its process did not end within {:g} s of the stop and was killed."


class TrialProcesses:
    """The running trials' command queues, the stops asked of them, and the pause."""

    def __init__(self) -> None:
        self.running: dict[int, object] = {}  # trial number -> commands queue
        self._stop_asked: dict[int, float] = {}  # trial number -> when it was told to stop
        self._lock = threading.Lock()
        self._go = threading.Event()
        self._go.set()
        self.stopped = False
        self.grace_s: float | None = None  # STOP_GRACE_S unless a stop gives its own

    # ---- controls (any thread) -------------------------------------------------------
    def pause(self) -> None:
        self._go.clear()
        self._tell_all("pause")

    def resume(self) -> None:
        self._go.set()
        self._tell_all("resume")

    def stop(self, grace_s: float | None = None) -> None:
        """Ask every running trial to stop; none is to start after this."""
        self.stopped = True
        if grace_s is not None:
            self.grace_s = float(grace_s)
        with self._lock:
            for number, commands in self.running.items():
                self.ask_stop(number, commands)
        self._go.set()

    @property
    def paused(self) -> bool:
        return not self._go.is_set()

    def wait_go(self) -> float:
        """Return once no pause holds new trials: the seconds it waited."""
        if self._go.is_set():
            return 0.0
        began = time.monotonic()
        while not self._go.wait(0.2):
            pass
        return time.monotonic() - began

    def numbers(self) -> list[int]:
        with self._lock:
            return sorted(self.running)

    def _tell_all(self, command: str) -> None:
        with self._lock:
            for commands in self.running.values():
                commands.put(command)

    def ask_stop(self, number: int, commands) -> None:
        self._stop_asked.setdefault(number, time.monotonic())
        commands.put("stop")

    # ---- one trial's process -----------------------------------------------------------
    def add(self, number: int, commands) -> None:
        """List a started trial; a stop or pause asked before it started reaches it."""
        with self._lock:
            self.running[number] = commands
            if self.stopped:
                self.ask_stop(number, commands)
            elif self.paused:
                commands.put("pause")

    def remove(self, number: int) -> None:
        with self._lock:
            self.running.pop(number, None)
            self._stop_asked.pop(number, None)

    def follow(self, number: int, process, events, metric: str,
               on_event: Callable[[TrainingEvent], None]) -> Result:
        """Read the trial's events until its result, `on_event` for each other one (those
        of `child.SENT`); kill it when it has not ended the grace after a stop."""
        epochs, curve = 0, {}
        while True:
            try:
                event = from_wire(events.get(timeout=0.25))
            except queue.Empty:
                if not process.is_alive():
                    return self._lost(process, events, curve, metric)
                if self._overdue(number):
                    process.kill()
                    return Result(STOPPED, KILLED.format(self.grace()), epochs_run=epochs)
                continue
            if isinstance(event, Result):
                return event
            if isinstance(event, EpochEnd):
                epochs = event.epoch + 1
                if metric in event.logs:
                    curve[event.epoch] = float(event.logs[metric])
            on_event(event)

    def killed(self, result: Result) -> bool:
        """Whether `result` is that of a trial killed after the grace."""
        return result.message == KILLED.format(self.grace())

    def grace(self) -> float:
        return STOP_GRACE_S if self.grace_s is None else self.grace_s

    def _overdue(self, number: int) -> bool:
        with self._lock:
            asked = self._stop_asked.get(number)
        return asked is not None and time.monotonic() - asked > self.grace()

    @staticmethod
    def _lost(process, events, curve, metric: str) -> Result:
        """The result the ended process left on the queue, or a failure saying how it
        ended and what it last reported."""
        try:
            while not isinstance(event := from_wire(events.get(timeout=1.0)), Result):
                pass
            return event
        except queue.Empty:
            pass
        return Result(FAILED, f"The trial's process ended unexpectedly "
                              f"({ended_text(process.exitcode)}). "
                              f"{last_received(curve, metric)}")
