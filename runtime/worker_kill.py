"""Ending a training run's processes at once: the worker's child and all it started.

On several processes the worker's child is torchrun's agent, and the ranks are its
children, each in a session of its own. A Kill may come while the agent is still
starting them: ranks it starts after they were looked for would outlive the kill, and
one it passes a SIGTERM on to would keep a model (rank 0 does, `rank_end`), so the run
would be "killed" with a model it never trained. So the child is first frozen
(SIGSTOP: it starts nothing more and passes nothing on), then every process below it
is frozen too, looked for again until none is new (their own children stay theirs),
and then all are killed (SIGKILL: none of them writes anything more), the child last.
Killed processes stay zombies until reaped; they run nothing
(`graph.atomicfile.process_gone`). Reads /proc: off Linux only the child is killed.
"""

from __future__ import annotations

import os
import signal
import time

STOPPED = ("T", "t", "Z", "X")  # frozen, or already ended


def _state(pid: int) -> str | None:
    """The process's state letter ("R", "S", "T", "Z"...), None when there is none."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def _parents() -> dict[int, int]:
    """Every process's parent, read from /proc."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                found[int(entry)] = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return found


def descendants(root: int) -> list[int]:
    """The processes below `root` (children, theirs, ...), zombies included."""
    parents = _parents()
    found, frontier = [], {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier}
        found += sorted(frontier)
    return found


def _signal(pid: int, signum: int) -> bool:
    try:
        os.kill(pid, signum)
    except OSError:  # gone already
        return False
    return True


def _wait_frozen(pid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while _state(pid) not in (None, *STOPPED) and time.monotonic() < deadline:
        time.sleep(0.002)


def end_tree(root: int, timeout: float = 5.0) -> list[int]:
    """Freeze `root` and every process below it, then SIGKILL them all, `root` last (see
    the module). Returns the processes killed below it (for `launch.wait_ended`)."""
    if not os.path.isdir("/proc"):
        _signal(root, signal.SIGKILL)
        return []
    frozen: list[int] = []
    new = [root]
    while new:  # a frozen process starts nothing: the search ends
        for pid in new:
            if _signal(pid, signal.SIGSTOP):
                _wait_frozen(pid, timeout)
        frozen += new
        new = [pid for pid in descendants(root) if pid not in frozen]
    below = frozen[1:]
    for pid in [*below, root]:  # the ranks before the agent that would reap them
        _signal(pid, signal.SIGKILL)
    return below


def ended_text(exitcode: int | None) -> str:
    """`killed by SIGKILL` or `exit code 1`: how a process ended, from its exit code
    (a signal's is its negated number).

    >>> ended_text(-9), ended_text(1)
    ('killed by SIGKILL', 'exit code 1')
    """
    if exitcode is not None and exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            pass
    return f"exit code {exitcode}"
