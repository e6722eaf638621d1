"""Ctrl+Z during `kerascanvas search`: the time the command is suspended is not search time.

The terminal's Ctrl+Z (SIGTSTP) stops the command and its trial processes (they share its
process group); `fg` or `bg` (SIGCONT) lets them go on. While open, `HeldWhileSuspended`
makes that span time held for the study's time limit (`runtime.search.time_limit`), as
Pause does in the window: `--timeout 600` still searches 600 s, however long the command
was suspended; and the running trials' durations leave it out (`on_held`). Where there is
no SIGTSTP (Windows) it does nothing.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable


def _stop_self() -> None:
    """Stop this process as Ctrl+Z's default would; returns once it is continued."""
    os.kill(os.getpid(), signal.SIGSTOP)


class HeldWhileSuspended:
    """While open, a SIGTSTP holds `limit` (a `TimeLimit`) until the process goes on.

    Args:
        limit: the study's time limit.
        on_held: given the seconds suspended once the process goes on
            (`SearchDriver.held_outside`).
        stop_self: stops this process until it is continued (tests pass one that only
            moves their clock).
    """

    def __init__(self, limit, on_held: Callable[[float], None] = lambda seconds: None,
                 stop_self: Callable[[], None] = _stop_self):
        self.limit, self.on_held, self.stop_self = limit, on_held, stop_self
        self._previous = None

    def _on_suspend(self, signum, frame) -> None:
        before, held_before = self.limit.spent_s(), self.limit.held_s
        self.limit.held(True)
        try:
            self.stop_self()
        finally:
            self.limit.held(False)
            self.on_held(self.limit.held_s - held_before)
        if self.limit.seconds is not None:
            print(f"kerascanvas search: going on after a suspension; it is not counted "
                  f"against --timeout ({self.limit.seconds - before:.0f} s of search left)",
                  file=sys.stderr, flush=True)

    def __enter__(self):
        if hasattr(signal, "SIGTSTP"):
            try:
                self._previous = signal.signal(signal.SIGTSTP, self._on_suspend)
            except ValueError:  # not the main thread: leave the signal alone
                pass
        return self

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGTSTP, self._previous)
            self._previous = None
