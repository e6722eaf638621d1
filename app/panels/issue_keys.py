"""Which row of the issues list is which: a key per issue that holds while the problem does,
and the rows that can stay where they are when the order changes. No Qt."""

from __future__ import annotations

from bisect import bisect_left


def numbered_keys(issues) -> list[tuple]:
    """A key per issue that stays the same while the problem does: its code, node, port and
    message, and which repeat of that it is (the same problem can be reported twice)."""
    seen: dict[tuple, int] = {}
    keys = []
    for issue in issues:
        key = (issue.code, issue.node, issue.port, issue.message)
        seen[key] = seen.get(key, 0) + 1
        keys.append((*key, seen[key]))
    return keys


def longest_rising(values: list[int]) -> list[int]:
    """A longest strictly rising subsequence of `values` (O(n log n), patience sorting): the
    rows that can stay where they are while the others move.

    >>> longest_rising([0, 4, 1, 2, 5, 3])
    [0, 1, 2, 3]
    >>> longest_rising([])
    []
    """
    tails: list[int] = []  # the smallest last value of a rising run of each length
    ends: list[int] = []  # where that run ends in `values`
    before: list[int | None] = []
    for at, value in enumerate(values):
        length = bisect_left(tails, value)
        if length == len(tails):
            tails.append(value)
            ends.append(at)
        else:
            tails[length], ends[length] = value, at
        before.append(ends[length - 1] if length else None)
    run, at = [], ends[-1] if ends else None
    while at is not None:
        run.append(values[at])
        at = before[at]
    return run[::-1]
