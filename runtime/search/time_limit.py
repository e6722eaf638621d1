"""The study's time limit, counted in search time: the time it is held paused is not spent.

`SearchOptions.timeout` is a budget of search: a study of 600 s paused for 480 s still
searches 600 s. `TimeLimit` counts the time from `SearchDriver.run`'s start less the
spans the study was held paused, and calls `on_up` once when that reaches the limit (the
driver then stops the running trials after their current batch, as a stop does, and
starts no new one). Optuna's own timeout, wall-clock time, is not used.

The study is held while it is paused and every trial it runs holds: its process confirmed
the pause (`holds`). A trial still on its way to its next batch (reading its data,
building its model, validating) works, and that time counts; a paused study with no
trial running holds at once. Resume, or a stop, ends the hold. The driver says when the
hold changes (`held`); a thread of the limit checks every POLL_S seconds (at most), and
the driver checks again as each trial ends (`check`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

POLL_S = 0.25  # the longest the limit's thread waits between two looks


class TimeLimit:
    """A study's time limit (see the module doc).

    Args:
        seconds: the limit (None or 0: no limit; the time is still counted).
        on_up: called once, from the limit's thread or the caller of `check`, when the
            search time reaches `seconds`.
        clock: a monotonic time source (tests pass one they drive).
    """

    def __init__(self, seconds: float | None, on_up: Callable[[], None],
                 clock: Callable[[], float] = time.monotonic):
        self.seconds, self.on_up, self.clock = seconds or None, on_up, clock
        self.began: float | None = None
        self.held_s = 0.0  # the spans held, ended
        self.since: float | None = None  # when the hold now on began
        self.reached = False
        # reentrant: a signal handler (Ctrl+Z, Ctrl+C) may run while its thread holds it
        self._lock = threading.RLock()
        self._end = threading.Event()

    def start(self) -> None:
        """Count from now (a hold begun before goes on from now: nothing before counts);
        with a limit, watch it in a thread until `close`."""
        with self._lock:
            self.began, self.held_s = self.clock(), 0.0
            if self.since is not None:
                self.since = self.began
        if self.seconds:
            threading.Thread(target=self._watch, name="search-time-limit", daemon=True).start()

    def close(self) -> None:
        self._end.set()

    def held(self, holds: bool) -> None:
        """The study holds (paused, every trial confirmed) from now, or no longer."""
        with self._lock:
            if holds and self.since is None:
                self.since = self.clock()
            elif not holds and self.since is not None:
                self.held_s += max(0.0, self.clock() - self.since)
                self.since = None

    @property
    def holding(self) -> bool:
        return self.since is not None

    def spent_s(self) -> float:
        """The search time so far: since `start`, less the time held."""
        with self._lock:
            if self.began is None:
                return 0.0
            now = self.clock()
            held = self.held_s + (0.0 if self.since is None else max(0.0, now - self.since))
            return max(0.0, now - self.began - held)

    def left_s(self) -> float | None:
        """Search time left (None: no limit)."""
        return None if self.seconds is None else max(0.0, self.seconds - self.spent_s())

    def check(self) -> bool:
        """Whether the limit is reached; `on_up` is called the first time it is."""
        if self.seconds is None or self.spent_s() < self.seconds:
            return False
        with self._lock:
            first, self.reached = not self.reached, True
        if first:
            self.on_up()
        return True

    def _watch(self) -> None:
        while not self._end.wait(min(POLL_S, self.left_s() or 0.0)):
            if self.check():
                return
