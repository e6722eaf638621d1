"""Cyclic garbage is collected on the GUI thread only, while a window is open.

Python's cyclic collector runs in whichever thread happens to allocate past its threshold.
When that is a worker thread (the runs reader, a search thread) and the garbage holds a Qt
wrapper that owns its object (a menu made without a parent, say), PySide defers the C++
deletion to the GUI thread, which then runs it from the middle of whatever event it is
delivering; a QMenu's actions deleted there deadlocked the GUI thread on Qt's own lock (seen
in a test run: `~QAction` waiting in `QObject::~QObject` under a resize event). So while a
window is open the automatic collector is off and a timer on the GUI thread collects, by the
same generation thresholds the automatic collector uses. `graph.bulk` pauses collection
around an edit only when the collector is on, so it leaves this arrangement alone.
"""

from __future__ import annotations

import gc
import sys
import threading

from PySide6 import QtCore

INTERVAL_MS = 500  # often enough that garbage never piles up between two ticks

_state = {"holders": 0, "timer": None}


def hold() -> None:
    """A window opens: the GUI thread collects from now on (once for all windows)."""
    _state["holders"] += 1
    if _state["holders"] > 1:
        return
    gc.disable()
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
    collector would; the number of objects found unreachable."""
    counts, limits = gc.get_count(), gc.get_threshold()
    if counts[0] <= limits[0]:
        return 0
    generation = 2 if counts[2] > limits[2] else 1 if counts[1] > limits[1] else 0
    return gc.collect(generation)
