"""The custom-shape service against windows that close while Keras' answer is on its way.

The answers come from a thread. It never touches Qt: a signal emitted from it raced
the deletion of the window's objects (a crash, "Signal source has been deleted", or
a hang). Here a window is closed and deleted while its answer is pending: nothing
raises in any thread, the close waits for nothing, and the late answer reaches no one.
"""

from __future__ import annotations

import random
import threading
from concurrent.futures import Future

import pytest
import shiboken6
from PySide6 import QtCore, QtWidgets

from kerascanvas.app.future_watch import FutureWatcher
from kerascanvas.app.window.custom_code import CustomShapeService
from kerascanvas.graph import projectfile
from kerascanvas.graph.layers import custom
from kerascanvas.graph.project import Project
from kerascanvas.runtime import trust
from tests.app.test_custom_code_ui import project_file


class HeldSolver:
    """Keras' answer for Twice ((None, 8), no weights), held until `release` is set."""

    def __init__(self, killable: bool = False):
        self.entered, self.release = threading.Event(), threading.Event()
        self.killed = threading.Event()
        self.closed_on: str | None = None
        if killable:
            self.kill = self._kill

    def __call__(self, requests):
        self.entered.set()
        assert self.release.wait(20), "never released"
        if self.killed.is_set():
            from kerascanvas.runtime.custom_worker import WorkerError

            raise WorkerError("the custom-layer shape worker exited before answering")
        return {key: {"outputs": [[None, 8]], "count": [0, 0]} for key in requests}

    def _kill(self):
        self.killed.set()
        self.release.set()

    def close(self):
        self.closed_on = threading.current_thread().name


@pytest.fixture
def thread_errors(monkeypatch):
    """What any thread raised during the test (threading.excepthook)."""
    found = []
    monkeypatch.setattr(threading, "excepthook", lambda args: found.append(args.exc_value))
    return found


def open_trusted(tmp_path, solver):
    """A window (not left to qtbot: the test deletes it) whose custom code is trusted,
    asking `solver` for its shapes."""
    from kerascanvas.app.window.main import MainWindow

    path, _ = project_file(tmp_path)  # Input(4) -> CustomLayer Twice -> Dense(2)
    window = MainWindow(path, recover=False)
    window.ask_save = lambda: QtWidgets.QMessageBox.Discard
    window.custom_shapes.solver_factory = lambda: solver
    trust.trust(path, window.doc)
    window.project.load(path)  # reopened: the store trusts this code at this path
    return window


def delete_now(obj) -> None:
    """Delete `obj` now (a closed window may be deleted already: Qt deletes it on close)."""
    if shiboken6.isValid(obj):
        obj.deleteLater()
    QtWidgets.QApplication.sendPostedEvents(None, QtCore.QEvent.DeferredDelete)
    assert not shiboken6.isValid(obj)


def test_a_window_closed_while_an_answer_is_pending_drops_it(data_dir, tmp_path, qtbot,
                                                             thread_errors):
    solver = HeldSolver()
    window = open_trusted(tmp_path, solver)
    qtbot.waitUntil(solver.entered.is_set, timeout=10_000)
    service = window.custom_shapes
    worker = service.solver_thread
    qtbot.waitUntil(lambda: service.waiting)  # the load's trust resets drop the first ask
    assert window.close()
    assert worker.thread.is_alive() and not solver.release.is_set()  # close waited for nothing
    delete_now(window)
    solver.release.set()  # the answer comes now, to a deleted window
    worker.thread.join(10)
    assert not worker.thread.is_alive()
    qtbot.wait(100)  # a poll that found the answer would run now
    assert solver.closed_on == worker.thread.name  # the thread closed it, after the answer
    assert thread_errors == []


def test_an_answer_after_the_window_closed_changes_nothing(data_dir, tmp_path, qtbot,
                                                           thread_errors):
    """Closed but not yet deleted (as a window is until Qt deletes it): the answer is not
    applied to the project either."""
    solver = HeldSolver()
    window = open_trusted(tmp_path, solver)
    qtbot.waitUntil(solver.entered.is_set, timeout=10_000)
    window.close()
    solver.release.set()
    window.custom_shapes.solver_thread.thread.join(10)
    qtbot.wait(100)
    assert custom.context(window.doc).results == {}
    delete_now(window)
    assert thread_errors == []


def test_closing_the_window_kills_the_worker_that_is_computing(data_dir, tmp_path, qtbot,
                                                                thread_errors):
    solver = HeldSolver(killable=True)
    window = open_trusted(tmp_path, solver)
    qtbot.waitUntil(solver.entered.is_set, timeout=10_000)
    worker = window.custom_shapes.solver_thread
    window.close()
    assert solver.killed.is_set()
    worker.thread.join(10)
    assert solver.closed_on == worker.thread.name  # reaped by its own thread
    delete_now(window)
    assert thread_errors == [] and not worker.thread.is_alive()


def test_the_answer_of_an_open_window_is_shown(make_window, tmp_path, qtbot):
    solver = HeldSolver()
    solver.release.set()
    window = open_trusted(tmp_path, solver)
    qtbot.addWidget(window)
    node = window.doc.find("twice")
    qtbot.waitUntil(lambda: window.analysis.results[node.id].ok, timeout=10_000)
    assert window.analysis.results[node.id].output_shapes == [(None, 8)]
    assert not window.custom_shapes.waiting


def test_answers_racing_the_deletion_of_their_service(qtbot, tmp_path, thread_errors):
    """Many services, each deleted (closed first or not) at a random moment around its
    answer: an emit from the thread crashed or raised here."""
    rng = random.Random(7)
    doc = projectfile.load(project_file(tmp_path)[0])
    trust.apply(doc, True)
    workers = []
    for i in range(150):
        parent = QtCore.QObject()
        service = CustomShapeService(Project(doc), parent)
        delay = rng.random() * 0.002
        service.solver_factory = lambda d=delay: (
            lambda requests: threading.Event().wait(d) or {k: {"error": "x"} for k in requests})
        service.poke()
        workers.append(service.solver_thread)
        threading.Event().wait(rng.random() * 0.002)
        if i % 2:
            service.shutdown()
        if i % 3:
            delete_now(parent)
        else:
            del parent, service  # the Python owner goes: Qt deletes it at once
        QtWidgets.QApplication.processEvents()
    for worker in workers:
        worker.close()
        worker.thread.join(10)
    assert thread_errors == [] and not any(w.thread.is_alive() for w in workers)


# ---- FutureWatcher -------------------------------------------------------------------
def test_callbacks_run_on_the_gui_thread_once_their_future_is_done(qtbot):
    watcher = FutureWatcher()
    got = []
    futures = [Future() for _ in range(3)]
    for future in futures:
        watcher.watch(future, lambda f: got.append((f.result(), threading.current_thread())))
    threading.Thread(target=lambda: [f.set_result(i) for i, f in enumerate(futures)]).start()
    qtbot.waitUntil(lambda: len(got) == 3)
    assert got == [(i, threading.main_thread()) for i in range(3)]
    assert watcher.pending == 0


def test_cleared_or_deleted_watchers_call_nothing(qtbot):
    parent = QtCore.QObject()
    watcher, other = FutureWatcher(parent), FutureWatcher()
    got = []
    first, second = Future(), Future()
    watcher.watch(first, got.append)
    other.watch(second, got.append)
    other.clear()
    delete_now(parent)
    first.set_result(1)
    second.set_result(2)
    qtbot.wait(100)
    assert got == [] and other.pending == 0


def test_a_callback_may_watch_again_or_clear(qtbot):
    watcher = FutureWatcher()
    got, later, dropped = [], Future(), Future()

    def first(future):
        got.append(future.result())
        watcher.watch(later, lambda f: got.append(f.result()))
        later.set_result("again")

    done = Future()
    done.set_result("first")
    watcher.watch(done, first)
    qtbot.waitUntil(lambda: got == ["first", "again"])
    cleared, dropped = Future(), Future()
    for future in (cleared, dropped):
        future.set_result(0)
    watcher.watch(cleared, lambda f: watcher.clear())
    watcher.watch(dropped, got.append)
    qtbot.wait(100)
    assert got == ["first", "again"] and watcher.pending == 0
