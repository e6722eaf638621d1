"""While a window is open, cyclic garbage (Qt wrappers among it) is freed on the GUI thread,
never on a worker thread that happens to allocate past the collector's threshold."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest
from PySide6 import QtWidgets

from kerascanvas.app.window import main_thread_gc


@pytest.fixture(autouse=True)
def _windows_alone_hold_collection(_gui_thread_collects):
    """These tests watch the windows' own hold on collection: the tests' hold (conftest)
    is let go while they run."""
    main_thread_gc.release()
    yield
    main_thread_gc.hold()


class Cycle:
    """A parentless menu (Python-owned: freed with its wrapper) held in a reference cycle."""

    def __init__(self):
        self.menu = QtWidgets.QMenu()
        self.menu.addAction("a")
        self.me = self


def test_garbage_made_while_a_window_is_open_is_freed_on_the_gui_thread(make_window, qtbot):
    window = make_window(None)
    assert not gc.isenabled(), "the window left collection to Python's threshold"
    freed_on = []
    cycle = Cycle()
    weakref.finalize(cycle, lambda: freed_on.append(threading.current_thread()))
    del cycle
    kept = []  # what the worker makes stays alive, so the count stays past the threshold
    worker = threading.Thread(target=lambda: kept.extend([object()] for _ in range(5_000)))
    worker.start()
    worker.join()  # past the threshold, on a worker: nothing is collected there
    assert freed_on == []
    qtbot.waitUntil(lambda: bool(freed_on), timeout=5000)
    assert freed_on == [threading.main_thread()]
    window.close()
    qtbot.waitUntil(lambda: gc.isenabled(), timeout=5000)


def test_the_last_window_gone_gives_collection_back(make_window, qtbot):
    first, second = make_window(None), make_window(None)
    first.close()
    QtWidgets.QApplication.processEvents()
    assert not gc.isenabled(), "a window is still open"
    second.close()
    qtbot.waitUntil(lambda: gc.isenabled(), timeout=5000)
    assert main_thread_gc.collect_due() >= 0


def test_a_full_collection_waits_for_a_quarter_of_what_the_last_one_kept():
    """A full collection walks every object; like CPython's own collector, the GUI thread's
    runs one only once the objects that reached the oldest generation since the last are a
    quarter of those it kept (the timer ran one every 121 due ticks, however few newcomers).
    Counted over 1,000 due ticks, each keeping 50 new objects alive among cyclic garbage."""
    fulls = []  # (objects in the oldest generation after it, objects kept by then)
    kept: list[list] = []

    def watch(phase, info):
        if phase == "stop" and info["generation"] == 2:
            fulls.append((len(gc.get_objects(2)), len(kept)))

    gc.collect()
    gc.freeze()  # the test's own objects alone in the oldest generation: sizes known
    try:
        base = [[] for _ in range(100_000)]
        gc.collect()
        main_thread_gc.hold()
        fulls.append((len(gc.get_objects(2)), 0))
        gc.callbacks.append(watch)
        for _ in range(1000):
            kept.extend([] for _ in range(50))
            for _ in range(800):
                cycle = []
                cycle.append(cycle)
            main_thread_gc.collect_due()
    finally:
        if watch in gc.callbacks:
            gc.callbacks.remove(watch)
        main_thread_gc.release()
        gc.unfreeze()
    assert len(base) == 100_000 and len(fulls) >= 2, "no full collection ran at all"
    for (size, before), (_, after) in zip(fulls, fulls[1:], strict=False):
        assert after - before >= 0.9 * size / 4, (
            f"a full collection after {after - before} newcomers, with {size} kept")
