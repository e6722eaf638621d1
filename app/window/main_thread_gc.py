"""Cyclic garbage is collected on the GUI thread only, while a window is open.

Python's cyclic collector runs in whichever thread happens to allocate past its threshold.
When that is a worker thread (the runs reader, a search thread) and the garbage holds a Qt
wrapper that owns its object (a menu made without a parent, say), PySide defers the C++
deletion to the GUI thread, which then runs it from the middle of whatever event it is
delivering; a QMenu's actions deleted there deadlocked the GUI thread on Qt's own lock (seen
in a test run: `~QAction` waiting in `QObject::~QObject` under a resize event). So while a
window is open the automatic collector is off and a timer on the GUI thread collects, by the
same rules the automatic collector uses: the generation thresholds, and CPython's hold-off
for the oldest generation. A full collection walks every object not frozen (a large graph's
items, the undo stack: 52-73 ms with a ResNet50 open at load 2, several times that on a
loaded machine), so, as CPython does, it runs only once the objects that reached the oldest
generation since the last one are a quarter of those it kept (`FULL_SHARE`); until then the
middle generation is collected instead. `graph.bulk` pauses collection around an edit only
when the collector is on, so it leaves this arrangement alone.

A project opened, a paste, an undo that brings nodes back: each leaves thousands of new
objects that live on (the graph's items). Left to the timer, a young collection walks them
all a moment later, and a middle one walks them again ten of those later, each a pause in
whatever the user does next (a drag) that grows with them (an imported ResNet50's objects,
about 60,000: 13-62 ms at load 2-3, several times that on a loaded machine). `settle`
collects the two young generations once at the end of such an edit, while the user waits
for it anyway: what survives moves to the oldest generation, and later collections walk
only newer ones.
"""

from __future__ import annotations

import gc
import sys
import threading

from PySide6 import QtCore

INTERVAL_MS = 500  # often enough that garbage never piles up between two ticks
FULL_SHARE = 4  # a full collection waits for 1/FULL_SHARE as many newcomers as it kept
SETTLE_MIN = 5000  # new objects an edit leaves before `settle` collects them at its end

# `pending`: objects that reached the oldest generation since the last full collection;
# `kept`: those the last full collection left there (or found there when a window opened).
_state = {"holders": 0, "timer": None, "pending": 0, "kept": 0}


def hold() -> None:
    """A window opens: the GUI thread collects from now on (once for all windows)."""
    _state["holders"] += 1
    if _state["holders"] > 1:
        return
    gc.disable()
    _state["pending"], _state["kept"] = 0, len(gc.get_objects(2))
    if _state["timer"] is None:
        timer = _state["timer"] = QtCore.QTimer()
        timer.setInterval(INTERVAL_MS)
        timer.timeout.connect(collect_due)
    _state["timer"].start()


def release() -> None:
    """A window's work ends: with the last window gone, collect what is left here, on the
    GUI thread, and give collection back to Python. Off the GUI thread (a teardown at the
    interpreter's exit) the timer is left as it is: it may be stopped and freed only where
    it lives, and a tick with collection back on does no harm."""
    if _state["holders"] == 0:
        return
    _state["holders"] -= 1
    if _state["holders"]:
        return
    if threading.current_thread() is threading.main_thread():
        _state["timer"].stop()
        if not sys.is_finalizing():
            gc.collect()
    gc.enable()


def collect_due() -> int:
    """Collect the oldest generation whose count passed its threshold, as the automatic
    collector would (the oldest only when `full_due`); the number of objects found
    unreachable."""
    counts, limits = gc.get_count(), gc.get_threshold()
    if counts[0] <= limits[0]:
        return 0
    if counts[2] > limits[2] and full_due():
        return _collect_full()
    if counts[1] > limits[1]:
        return _collect_middle()
    return gc.collect(0)


def full_due() -> bool:
    """Whether enough objects reached the oldest generation since the last full collection
    (a quarter of those it kept) for another to be worth its walk over all of them."""
    return _state["pending"] >= _state["kept"] // FULL_SHARE


def settle() -> int:
    """At the end of an edit the user waited for (a load, a paste, an undo): when it left
    more than `SETTLE_MIN` new objects, collect the young generations now, so that they
    reach the oldest and no later collection during a drag walks them. Does nothing while
    Python collects by itself (no window open). The number found unreachable."""
    if not _state["holders"] or gc.get_count()[0] <= SETTLE_MIN:
        return 0
    return _collect_middle()


def _collect_middle() -> int:
    """Collect the two young generations; their survivors join the oldest (counted in
    `pending`: as CPython counts, less the tuples the pass stops tracking)."""
    young = len(gc.get_objects(0)) + len(gc.get_objects(1))
    found = gc.collect(1)
    _state["pending"] += max(young - found, 0)
    return found


def _collect_full() -> int:
    found = gc.collect(2)
    _state["pending"], _state["kept"] = 0, len(gc.get_objects(2))
    return found
