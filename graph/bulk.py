"""Whole-graph passes without the cyclic garbage collector's interruptions.

Loading, analysing and summarising a graph make many small objects that all stay
alive. Python's collector runs a scan every few hundred allocations, and the
oldest generation's scans walk the whole heap, so on a 20,000-node graph these
passes spent about half their time in collections that found nothing
(`benchmarks/bench_large_graph.py`). `bulk` pauses the collector for the length
of one call; reference counting still frees everything as usual, and a pass that
is already inside another (or on another thread) leaves the switch to the outer one.

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
from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable)


def bulk(function: F) -> F:
    """`function` with the cyclic collector paused while it runs (see the module)."""

    @functools.wraps(function)
    def paused(*args, **kwargs):
        if not gc.isenabled():
            return function(*args, **kwargs)
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            gc.enable()

    return paused  # type: ignore[return-value]
