"""How near a palette entry's name is to the text typed in the search box.

A name is matched whole ("ops.relu") and by its last dotted part ("relu"), so typing
"relu" lists ops.relu before ops.leaky_relu in Operations, as "ReLU" comes before
LeakyReLU among the layers. The tiers, best first: the name as typed, a name starting so,
a word of the name starting so ("relu" in leaky_relu, "ReLU" in LeakyReLU), the text
anywhere in the name; entries matched only by their group or doc come last.
"""

from __future__ import annotations

import re

EXACT, PREFIX, WORD_START, INSIDE, ELSEWHERE = range(5)
# Where a word of a name starts: after '.', '_', ' ' or '-', at a capital after a small
# letter or digit (Leaky|ReLU), at a capital starting a word after capitals
# (Conv2D|Transpose, P|ReLU), at a digit after a letter (MaxPooling|2D)
_WORD_START = re.compile(
    r"(?<=[._\s-])\w|(?<=[a-z0-9])[A-Z]|(?<=[A-Z])[A-Z](?=[a-z])|(?<=[A-Za-z])[0-9]")


def names_of(label: str) -> tuple[str, ...]:
    """The texts typed to find `label`: the label, and its last dotted part for ops."""
    short = label.rsplit(".", 1)[-1]
    return (label,) if short == label else (label, short)


def word_starts(label: str) -> set[int]:
    """Where the words of `label` start, as indexes into it."""
    return {0} | {m.start() for m in _WORD_START.finditer(label)}


def nearness(label: str, needle: str) -> int:
    """The tier of `label` for the typed text `needle` (already lower case): EXACT,
    PREFIX, WORD_START, INSIDE, or ELSEWHERE when the text is not in the name.

    >>> [nearness(name, "relu") for name in ("ops.relu", "ops.relu6", "ops.leaky_relu")]
    [0, 1, 2]
    """
    if not needle:
        return ELSEWHERE
    names = [name.lower() for name in names_of(label)]
    if needle in names:
        return EXACT
    if any(name.startswith(needle) for name in names):
        return PREFIX
    low = label.lower()
    if any(low.startswith(needle, at) for at in word_starts(label)):
        return WORD_START
    return INSIDE if needle in low else ELSEWHERE
