"""A window's workers end with it, however it goes, and a close during a search is prompt.

A window deleted without a close (`deleteLater`, or its parent deleted, as tests and
embedding applications do) ends its training worker, a child process or a thread. A
close while a study runs asks the trials to stop, kills the one that does not end in
time, keeps the study's finished trials in its storage and says so; a close while the
study's checks wait for their process to start does not wait for it.
"""

from __future__ import annotations

import functools
import gc
import queue
import threading
import weakref

import optuna
import pytest
import shiboken6
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from kerascanvas.graph.projectfile import save
from kerascanvas.runtime import events as ev

from .training_fakes import mlp


@pytest.fixture
def bare_window(data_dir, monkeypatch):
    """A window that no test fixture closes: the test deletes it as an embedder would."""
    from kerascanvas.app.window.main import MainWindow

    made = []

    def make(path=None):
        window = MainWindow(path, recover=False)
        window.ask_save = lambda: QtWidgets.QMessageBox.Discard
        window.ask_stop_runs = lambda work: True
        made.append(window)
        return window

    yield make
    for window in made:  # a failed test must not leave its worker behind
        window.teardown.run()


def deferred_deletes() -> None:
    QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.DeferredDelete)
    QtWidgets.QApplication.processEvents()


def start_training(window, qtbot):
    panel = window.training_panel()
    QTest.mouseClick(panel.start_button, QtCore.Qt.LeftButton)
    qtbot.waitUntil(lambda: panel.controller.is_active)
    return panel.controller


def test_a_window_deleted_without_a_close_kills_its_training_process(bare_window, qtbot,
                                                                     tmp_path):
    path = tmp_path / "mlp.json"
    save(mlp(), path)
    window = bare_window(str(path))
    controller = start_training(window, qtbot)
    record = controller.current
    process, readers = record.source.process, list(controller._readers.values())
    assert process.is_alive() and readers[0].is_alive()
    window.deleteLater()
    deferred_deletes()
    assert not shiboken6.isValid(window)
    assert not process.is_alive() and record.status == "killed"
    assert not any(reader.is_alive() for reader in readers)


class ThreadRun:
    """A run whose worker is a thread of this process (the TrainingRun contract)."""

    def __init__(self, document, overrides, save_path, **extra):
        self.status, self.ended = "ready", threading.Event()
        self.worker = threading.Thread(target=self.ended.wait, daemon=True)

    def start(self):
        self.status = "running"
        self.worker.start()

    def poll_events(self):
        return []

    def stop(self):
        pass

    def kill(self):
        self.ended.set()
        self.worker.join(5)
        self.status = "killed"


def test_an_embedded_window_whose_parent_is_deleted_ends_its_worker_thread(
        bare_window, qtbot, tmp_path, monkeypatch):
    from kerascanvas.app.training import controller as controller_module

    monkeypatch.setattr(controller_module, "default_run_factory", ThreadRun)
    path = tmp_path / "mlp.json"
    save(mlp(), path)
    holder = QtWidgets.QWidget()
    window = bare_window(str(path))
    window.setParent(holder)
    run = start_training(window, qtbot).current.source
    assert run.worker.is_alive()
    shiboken6.delete(holder)  # the embedding application drops its page
    assert not shiboken6.isValid(window)
    assert not run.worker.is_alive() and run.status == "killed"


def test_closing_during_a_runs_start_ends_it_at_once(make_window, qtbot, tmp_path,
                                                     monkeypatch):
    """A run that has trained no batch has no model to keep: the close does not wait
    STOP_WAIT_S for a stop it cannot answer yet (the worker still importing keras)."""
    from kerascanvas.app.training import controller as controller_module
    from kerascanvas.app.window import teardown

    stops: list[str] = []

    class StartingRun(ThreadRun):
        def start(self):  # its worker never says TrainBegin
            self.worker.start()

        def stop(self):
            stops.append("stop")

    class NoWaiting:  # the wait for a stop reads the clock first: it must not begin
        @staticmethod
        def monotonic():
            raise AssertionError("the close waits for a stop a starting run cannot answer")

    monkeypatch.setattr(controller_module, "default_run_factory", StartingRun)
    monkeypatch.setattr(teardown, "time", NoWaiting)
    path = tmp_path / "mlp.json"
    save(mlp(), path)
    window = make_window(str(path))
    controller = start_training(window, qtbot)
    run, record = controller.current.source, controller.current
    assert record.started_at is None  # no TrainBegin yet
    said = teardown.stop_training(window)
    assert stops == [] and "still starting" in said and record.status == "killed"
    qtbot.waitUntil(lambda: not run.worker.is_alive(), timeout=5000)


# ---- a search when the window goes ----------------------------------------------------
class TrialThread:
    """A trial "process": trial 0 ends with its metric at once; later ones are stuck in
    one long batch and ignore the stop, until they are killed."""

    def __init__(self, payload):
        self.number, self.killed = payload["number"], threading.Event()
        self.events, self.commands = queue.Queue(), queue.Queue()
        self.exitcode = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        if self.number == 0:
            self.events.put(ev.to_wire(ev.EpochEnd(epoch=0, logs={"accuracy": 0.75})))
            self.events.put(ev.to_wire(ev.Result(ev.FINISHED,
                                                 history={"accuracy": [0.75]})))
            return
        self.killed.wait()

    def is_alive(self):
        return self.thread.is_alive()

    def kill(self):
        self.killed.set()
        self.exitcode = -9

    def join(self, timeout=None):
        self.thread.join(timeout)


# How long a search may take to start its trials (the study opened, trial 0 ended, trial 1
# started; no Keras loads in this process): a limit for a loaded machine, not a speed target.
SEARCH_STARTS_MS = 60000


@pytest.fixture
def fake_search(monkeypatch):
    """Checks that pass at once, and TrialThreads for the trial processes."""
    from kerascanvas.runtime.search import checks
    from kerascanvas.runtime.search import driver as driver_module

    trials: list[TrialThread] = []

    def start_trial(payload):
        trials.append(TrialThread(payload))
        return trials[-1], trials[-1].events, trials[-1].commands

    monkeypatch.setattr(checks, "start_check", lambda payload: (FakeCheck(), None))
    monkeypatch.setattr(checks, "follow_check", lambda *args: [])
    monkeypatch.setattr(driver_module, "start_trial", start_trial)
    return trials


class FakeCheck:
    pid = 0


def searched_project(tmp_path) -> str:
    doc = mlp()
    doc.search = {"metric": "accuracy", "params": [
        {"node": doc.find("out").id, "param": "activation", "type": "choice",
         "choices": ["softmax", "sigmoid"]}]}
    path = tmp_path / "searched.json"
    save(doc, path)
    return str(path)


def spy_on_stops(monkeypatch) -> list:
    """The graces the search drivers' stops are given (None: the search's own)."""
    from kerascanvas.runtime.search.driver import SearchDriver

    graces, stop = [], SearchDriver.stop

    def spied(driver, grace_s=None):
        graces.append(grace_s)
        stop(driver, grace_s)

    monkeypatch.setattr(SearchDriver, "stop", spied)
    return graces


def spy_on_joins(runner) -> list:
    """The timeouts the runner's threads are joined with (None: without a limit)."""
    joins = []
    for thread in runner._threads:
        def spied(timeout=None, join=thread.join):
            joins.append(timeout)
            join(timeout)

        thread.join = spied
    return joins


def test_closing_the_window_during_a_search_is_prompt_and_keeps_the_study(
        make_window, qtbot, tmp_path, fake_search, caplog, monkeypatch):
    from kerascanvas.app.search import runner as runner_module

    window = make_window(searched_project(tmp_path))
    panel = window.search_panel()
    QTest.mouseClick(panel.start_button, QtCore.Qt.LeftButton)
    qtbot.waitUntil(lambda: len(fake_search) == 2, timeout=SEARCH_STARTS_MS)  # 1 is stuck
    storage, name = panel.storage()
    runner = panel.runner
    graces, joins = spy_on_stops(monkeypatch), spy_on_joins(runner)
    assert window.close()
    # Prompt: the trials get the window's grace (1 s, not the search's 5 s), the stuck one
    # is killed after it, and the threads are waited for a bounded time.
    assert graces == [runner_module.CLOSE_GRACE_S]
    bound = runner_module.CLOSE_GRACE_S + runner_module.CLOSE_MARGIN_S
    assert joins and all(t is not None and t <= bound for t in joins), joins
    assert fake_search[1].killed.is_set()
    # A slow machine may end the killed trial's thread after the close returned.
    qtbot.waitUntil(lambda: runner.threads_alive == 0, timeout=SEARCH_STARTS_MS)
    said = window.statusBar().currentMessage()
    assert f"study {name!r} keeps its trials in {storage}" in said
    assert "1 complete" in said and said in caplog.text
    study = optuna.load_study(study_name=name,
                              storage=optuna.storages.JournalStorage(
                                  optuna.storages.journal.JournalFileBackend(storage)))
    states = {t.number: (t.state.name, t.value) for t in study.trials}
    assert states[0] == ("COMPLETE", 0.75)  # the finished trial stays
    assert states[1][0] == "FAIL" and "killed" in study.trials[1].user_attrs["message"]


def test_closing_while_the_checks_wait_for_their_process_does_not_wait(qtbot, monkeypatch):
    from kerascanvas.app.search import runner as runner_module
    from kerascanvas.app.search.runner import SearchRunner
    from kerascanvas.runtime.search import checks
    from kerascanvas.runtime.search.options import SearchOptions

    starting = threading.Event()  # the trials' server still imports keras

    def start_check(payload):
        starting.wait(60)
        raise RuntimeError("the window is gone")

    monkeypatch.setattr(checks, "start_check", start_check)
    runner = SearchRunner()
    runner.start(mlp(), SearchOptions(storage="unused.log", study_name="t"))
    qtbot.waitUntil(lambda: runner.threads_alive == 1)
    joins = spy_on_joins(runner)
    said = runner.close()
    # No trial runs, so no grace: the close waits only the margin, never for the check.
    assert joins and all(t is not None and t <= runner_module.CLOSE_MARGIN_S for t in joins)
    assert runner.threads_alive == 1  # the check still waits for its process
    starting.set()
    qtbot.waitUntil(lambda: runner.threads_alive == 0)  # the runner dies on this thread
    assert "checks were cancelled" in said


# ---- closing frees the window; Quit with running work and unsaved changes ---------------
def collected(*refs) -> list[bool]:
    """Whether each weakly referenced object is still alive, once Qt's deferred deletes
    ran and Python collected its cycles."""
    deferred_deletes()
    gc.collect()
    return [ref() is not None for ref in refs]


def panels_built(window) -> bool:
    """The Training and Search panels are built after the window's first paint."""
    return window.training is not None and window.search is not None


def test_a_closed_window_is_freed_with_its_scene_and_project(qtbot, data_dir):
    from kerascanvas.app.window.main import MainWindow

    from .gestures import EXAMPLES, show

    window = show(MainWindow(str(EXAMPLES / "small_resnet.json"), recover=False), qtbot)
    qtbot.waitUntil(functools.partial(panels_built, window))
    refs = [weakref.ref(o) for o in (window, window.canvas.viewer.scene(), window.canvas,
                                     window.project, window.doc, window.training)]
    QTest.keyClick(window.canvas.viewer.viewport(), QtCore.Qt.Key_W,
                   QtCore.Qt.ControlModifier)  # File > Close Window
    del window
    assert collected(*refs) == [False] * len(refs)


class StoppingRun:
    """A training run (the TrainingRun contract) that runs until it is asked to stop,
    then ends as a real worker does: the model saved, a "stopped" result."""

    made: list = []
    log: list = []  # what was asked of the runs and trials, in order

    def __init__(self, document, overrides, save_path, **extra):
        self.save_path, self.status, self.events = save_path, "ready", []
        StoppingRun.made.append(self)

    def start(self):
        self.status = "running"
        self.events.append(ev.TrainBegin(epochs=3, steps=4, samples=120))

    def poll_events(self):
        out, self.events = self.events, []
        return out

    def stop(self):
        StoppingRun.log.append("training stop")
        with open(self.save_path, "wb") as model:
            model.write(b"model")
        self.status = "stopped"
        self.events.append(ev.Result(ev.STOPPED, saved=self.save_path))

    def kill(self):
        StoppingRun.log.append("training kill")
        self.status = "killed"


@pytest.fixture
def busy_window(make_window, qtbot, tmp_path, fake_search, monkeypatch):
    """A saved project with an unsaved edit (a node deleted by key), its training run and
    its search running (trial 1 is stuck until killed), its recovery file written."""
    from kerascanvas.app.training import controller as controller_module
    from kerascanvas.app.window import files

    from .gestures import click, node_point, show

    StoppingRun.made.clear()
    StoppingRun.log.clear()
    monkeypatch.setattr(controller_module, "default_run_factory", StoppingRun)
    monkeypatch.setattr(TrialThread, "kill", logged_kill)
    window = show(make_window(searched_project(tmp_path)), qtbot)
    panel = window.search_panel()
    QTest.mouseClick(panel.start_button, QtCore.Qt.LeftButton)
    qtbot.waitUntil(lambda: len(fake_search) == 2, timeout=SEARCH_STARTS_MS)
    start_training(window, qtbot)
    extra = window.doc.add_node("Dense", "extra", params={"units": 2}).id
    window.stack.set_clean()  # saved as it is now, with the node 'extra'
    window.save()
    click(window, node_point(window, extra))
    QTest.keyClick(window.canvas.viewer.viewport(), QtCore.Qt.Key_Delete)
    assert extra not in window.doc.nodes and not window.stack.is_clean
    window.autosave()
    window.wait_for_autosave()
    kept = files.read_recovery(window.recovery_file)
    assert kept is not None and set(kept[0].nodes) == set(window.doc.nodes)
    return window


def logged_kill(trial):
    StoppingRun.log.append(f"trial {trial.number} kill")
    trial.killed.set()
    trial.exitcode = -9


def quit_by_keys(window) -> None:
    QTest.keyClick(window.canvas.viewer.viewport(), QtCore.Qt.Key_Q, QtCore.Qt.ControlModifier)
    QtWidgets.QApplication.processEvents()


def still_busy(window) -> None:
    """Open, both runs going, nothing asked of them, and the recovery file as written."""
    from kerascanvas.app.window import files

    assert window.isVisible() and shiboken6.isValid(window)
    assert window.training.controller.is_active and window.search.runner.running
    assert StoppingRun.log == []
    kept = files.read_recovery(window.recovery_file)
    assert kept is not None and set(kept[0].nodes) == set(window.doc.nodes)


def test_quit_with_runs_and_unsaved_work_asks_then_stops_the_runs_in_order(
        busy_window, qtbot, tmp_path):
    from kerascanvas.graph.projectfile import load

    window = busy_window
    asked = []
    window.ask_stop_runs = lambda work: asked.append(work) or False
    quit_by_keys(window)  # "Cancel" to stopping the runs
    assert asked == [["training run 1 (running)", "a search"]]
    still_busy(window)
    window.ask_stop_runs = lambda work: True
    window.ask_save = lambda: QtWidgets.QMessageBox.Cancel
    quit_by_keys(window)  # "Cancel" to the unsaved changes
    still_busy(window)
    window.ask_save = lambda: QtWidgets.QMessageBox.Save
    run, record = StoppingRun.made[-1], window.training.controller.current
    storage, name = window.search.storage()
    path = window.path
    recovery = window.recovery_file
    quit_by_keys(window)
    assert StoppingRun.log == ["training stop", "trial 1 kill"]  # the run kept its model
    assert record.status == "stopped" and record.saved_path == run.save_path
    assert open(run.save_path, "rb").read() == b"model"
    assert set(load(path).nodes) == set(window.doc.nodes)  # the edit was saved
    assert not recovery.exists()  # saved: no unsaved work left to recover
    study = optuna.load_study(study_name=name, storage=optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(storage)))
    assert [t.state.name for t in study.trials] == ["COMPLETE", "FAIL"]


@pytest.mark.parametrize("work, said, unsaid", [
    (["training run 5 (running)"], "A stopped run keeps its model.", "search"),
    (["a search"], "A stopped search keeps the trials it finished.", "run keeps"),
    (["training run 1 (running)", "a search"],
     "A stopped run keeps its model, and a stopped search the trials it finished.", None),
])
def test_the_question_before_closing_names_only_the_work_that_runs(
        make_window, monkeypatch, work, said, unsaid):
    """Closing while a run trains (no search) says what happens to the run, not to a
    search that does not exist."""
    window = make_window()
    asked = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "question", lambda parent, title, text, *a:
                        asked.append(text) or QtWidgets.QMessageBox.Cancel)
    assert window._ask_stop_runs(work) is False
    assert asked[0] == f"Closing the window stops {' and '.join(work)}. {said}"
    assert unsaid is None or unsaid not in asked[0]
