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
