"""Whole-graph passes without the cyclic garbage collector's interruptions.

Loading, analysing and summarising a graph make many small objects that all stay
alive. Python's collector runs a scan every few hundred allocations, and the
oldest generation's scans walk the whole heap, so on a 20,000-node graph these
passes spent about half their time in collections that found nothing
(`benchmarks/bench_large_graph.py`). `bulk` pauses the collector for the length
of one call, and `collector_paused` for a `with` block: each edit the undo stack
runs is one (a paste of a ResNet50 spent a fifth of its time in the collector,
whose scans now run between edits). Reference counting still
frees everything as usual, and a pass that is already inside another (or on
another thread) leaves the switch to the outer one.

>>> import gc
>>> @bulk
... def collecting():
...     return gc.isenabled()
>>> collecting(), gc.isenabled()
(False, True)
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

F = TypeVar("F", bound=Callable)


def bulk(function: F) -> F:
    """`function` with the cyclic collector paused while it runs (see the module)."""

    @functools.wraps(function)
    def paused(*args, **kwargs):
        with collector_paused():
            return function(*args, **kwargs)

    return paused  # type: ignore[return-value]


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic collector paused for the `with` block (see the module), unless an outer
    block has paused it already."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
