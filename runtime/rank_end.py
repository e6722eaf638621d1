"""Rank 0 keeps the model when the run loses another rank.

When one rank fails (an error, a kill, memory running out), torchrun's agent sends
SIGTERM to the ranks still running and SIGKILL 30 s later; when the agent itself is sent
one of the signals it handles (SIGHUP, SIGQUIT from `kerascanvas run`'s launcher, SIGTERM
from the window's Kill), it passes that signal on to every rank. Python's default for
these ends rank 0 at once, with the model it trained so far; and a collective whose peer
is gone fails in rank 0 (gloo: "Connection closed by peer") at about the same moment, so
whether rank 0 saved first was a race.

`EndGuard`, installed on rank 0 by `rank_join.join`, makes those signals end training the
way an error does: while `fit` trains (`armed`) it raises `RankLost` in the training
thread, never inside a weight update (`held`: the update runs whole, and the signal takes effect
after it); at any other time it is noted and ignored, so rank 0 finishes keeping and
saving the model (torchrun's SIGKILL still ends it 30 s on). `runtime.train` then ends the
run as after an error inside `fit`, with the model as of the last batch rank 0 finished,
and `lost_rank` tells such an end from the run's own errors.
"""

from __future__ import annotations

import contextlib
import signal
import threading

__all__ = ["EndGuard", "RankLost", "describe_lost", "guard", "held", "install", "lost_rank",
           "training", "uninstall"]

# What gloo and torch say when a collective's peer process is gone.
PEER_GONE = ("connection closed by peer", "connection reset by peer", "broken pipe",
             "connection refused")


class RankLost(RuntimeError):
    """torchrun's agent ended this rank (SIGTERM, or a signal the agent passed on):
    another rank failed, or the run was ended as a whole."""


def lost_rank(exc: BaseException) -> bool:
    """Whether `exc` says another rank of the run is gone (`RankLost`, or a collective
    whose peer closed its connection), rather than a failure of this rank's own."""
    if isinstance(exc, RankLost):
        return True
    text = str(exc).lower()
    distributed = type(exc).__module__.startswith("torch") or "gloo" in text
    return distributed and any(words in text for words in PEER_GONE)


def describe_lost(exc: BaseException) -> str:
    """A `lost_rank` error in a few words: what this rank received.

    >>> describe_lost(RuntimeError("[pair.cc:553] Connection closed by peer [::1]:9. GLHF"))
    'RuntimeError: Connection closed by peer'
    """
    if isinstance(exc, RankLost):
        return str(exc)
    text = str(exc)
    for words in PEER_GONE:
        at = text.lower().find(words)
        if at >= 0:
            return f"{type(exc).__name__}: {text[at:at + len(words)]}"
    return type(exc).__name__


class EndGuard:
    """SIGTERM, SIGHUP and SIGQUIT as `RankLost` between training steps (see the module).

    `armed` while `fit` trains; `held()` around a weight update defers the signal to its
    end. `received` names the first such signal that came; `raised` says it ended
    training.
    """

    SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)

    def __init__(self) -> None:
        self.armed = False
        self.received: str | None = None  # the signal's name
        self.raised = False
        self._holds = 0
        self._previous: dict[int, object] = {}

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # a signal handler can only be set on the main thread
        for signum in self.SIGNALS:
            self._previous[signum] = signal.signal(signum, self._on_signal)

    def uninstall(self) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous.clear()

    def _on_signal(self, signum, frame) -> None:
        self.received = self.received or signal.Signals(signum).name
        self._raise_if_due()

    def _raise_if_due(self) -> None:
        if self.received and self.armed and not self._holds and not self.raised:
            self.raised = True
            raise RankLost(f"torchrun ended this rank with {self.received}")

    def arm(self) -> None:
        """Training batches follow: a signal (also one that came before) ends them."""
        self.armed = True
        self._raise_if_due()

    def disarm(self) -> None:
        self.armed = False

    @contextlib.contextmanager
    def held(self):
        """A step that must run whole (a weight update): a signal waits for its end."""
        self._holds += 1
        try:
            yield
        finally:
            self._holds -= 1
        self._raise_if_due()


_GUARD: EndGuard | None = None


def install() -> EndGuard:
    """Install rank 0's guard (once); the guard."""
    global _GUARD
    if _GUARD is None:
        _GUARD = EndGuard()
        _GUARD.install()
    return _GUARD


def uninstall() -> None:
    global _GUARD
    if _GUARD is not None:
        _GUARD.uninstall()
        _GUARD = None


def guard() -> EndGuard | None:
    """The installed guard, or None (not rank 0, or no run)."""
    return _GUARD


@contextlib.contextmanager
def training():
    """While open, the guard (if installed) is armed: `fit` trains."""
    if _GUARD is None:
        yield
        return
    _GUARD.arm()
    try:
        yield
    finally:
        _GUARD.disarm()


def held():
    """`EndGuard.held` of the installed guard; nothing without one."""
    return _GUARD.held() if _GUARD is not None else contextlib.nullcontext()
