"""The Search tab shows each trial's state as it ends up: a trial whose process is killed
while the tab follows the study's file, and a trial whose end no event told (the study ended
with an error), are not left "running"; and the status line keeps a failure until the user
acts, however many less important messages come after it."""

from __future__ import annotations

import socket
import subprocess
import sys

from kerascanvas.runtime.search import study as studies
from kerascanvas.runtime.search.options import default_storage
from tests.runtime.test_search_listing import objective

from .test_search_panel import click, show_tab
from .test_search_stored import stored_project

READ_MS = 30_000  # the tab reads the file in a thread; Optuna's import takes seconds


def states(panel) -> list[str]:
    return [panel.trials.item(row, 1).text() for row in range(panel.trials.rowCount())]


def note(panel, row: int) -> str:
    return panel.trials.item(row, panel.trials.columnCount() - 1).text()


def running_trial(project, owner_pid: int) -> None:
    """A trial of the project's study that process `owner_pid` runs, one epoch reported."""
    study = studies.load_study(project.stem, default_storage(project))
    trial = study.ask()
    trial.suggest_int("hidden.units", 4, 32, step=4)
    trial.set_user_attr(studies.OWNER, f"{socket.gethostname()}:{owner_pid}")
    trial.report(0.625, step=0)


def test_a_trial_whose_process_is_killed_shows_failed_and_the_file_is_left(make_window,
                                                                           qtbot, tmp_path):
    project, _ = stored_project(tmp_path, 1)
    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        running_trial(project, owner.pid)
        panel = show_tab(make_window(str(project)), qtbot)
        qtbot.waitUntil(lambda: states(panel) == ["complete", "running"], timeout=READ_MS)
        before = open(default_storage(project), "rb").read()
    finally:
        owner.kill()
        owner.wait()
    # Nothing is written when a process is killed: the tab looks again by itself.
    qtbot.waitUntil(lambda: states(panel) == ["complete", "failed"], timeout=READ_MS)
    assert f"({socket.gethostname()}:{owner.pid}) ended before the trial did" in note(panel, 1)
    assert "epoch 1, val_accuracy=0.625" in note(panel, 1)
    assert "1 failed" in panel.status.text()
    assert open(default_storage(project), "rb").read() == before  # shown, not written


def test_a_study_ending_in_an_error_leaves_no_trial_running_and_its_error_stays(
        make_window, qtbot, tmp_path, monkeypatch):
    """A trial's unexpected error ends the study without a TrialEnd for that trial: it
    stayed "running", and the next listing of the file replaced the error on the line."""
    from kerascanvas.app.search.runner import SearchRunner
    from kerascanvas.runtime.search.driver import SearchDriver

    def broken_train(self, trial, trial_doc, slot, hold):
        raise RuntimeError("the trial server went away")

    # The checks pass (test_search_checks runs them); the trial fails in the driver itself.
    monkeypatch.setattr(SearchRunner, "_check", lambda self, run, payload: [])
    monkeypatch.setattr(SearchDriver, "_train", broken_train)
    project, _ = stored_project(tmp_path, 1)
    panel = show_tab(make_window(str(project)), qtbot)
    qtbot.waitUntil(lambda: states(panel) == ["complete"], timeout=READ_MS)
    panel.trials_box.setValue(3)
    click(panel.start_button)
    qtbot.waitUntil(lambda: not panel.runner.running, timeout=READ_MS)
    failure = "The study ended with an error: RuntimeError: the trial server went away"
    assert panel.status.text() == failure
    assert states(panel) == ["complete", "failed"]  # as the study's file holds it
    # Another process adds two trials: the table follows, the failure stays on the line.
    studies.load_study(project.stem, default_storage(project)).optimize(objective, n_trials=2)
    qtbot.waitUntil(lambda: panel.trials.rowCount() == 4, timeout=READ_MS)
    assert panel.status.text() == failure
    click(panel.apply_button)  # the user acts: the line is theirs again
    assert panel.status.text().startswith("Applied trial ")


def test_another_processs_trial_ends_in_the_tab_while_the_windows_study_runs(
        make_window, qtbot, tmp_path, monkeypatch):
    """The tab followed only its own run's events: a trial of another process listed when
    the study opened stayed "running" until the run ended."""
    import threading

    from kerascanvas.app.search.runner import SearchRunner
    from kerascanvas.runtime.search.driver import SearchDriver

    release = threading.Event()

    def held_train(self, trial, trial_doc, slot, hold):
        release.wait(60)
        raise self._fail(trial, "Held by the test, then failed.")

    monkeypatch.setattr(SearchRunner, "_check", lambda self, run, payload: [])
    monkeypatch.setattr(SearchDriver, "_train", held_train)
    project, _ = stored_project(tmp_path, 1)
    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        running_trial(project, owner.pid)
        panel = show_tab(make_window(str(project)), qtbot)
        qtbot.waitUntil(lambda: states(panel) == ["complete", "running"], timeout=READ_MS)
        panel.trials_box.setValue(1)
        click(panel.start_button)
        qtbot.waitUntil(lambda: states(panel) == ["complete", "running", "running"],
                        timeout=READ_MS)
        studies.load_study(project.stem, default_storage(project)).tell(1, 0.75)
        qtbot.waitUntil(lambda: states(panel)[1] == "complete", timeout=READ_MS)
        assert panel.runner.running and states(panel)[2] == "running"  # its own: held
        assert panel.trials.item(1, 3).text() == "0.75"
    finally:
        release.set()
        owner.kill()
        owner.wait()
    qtbot.waitUntil(lambda: not panel.runner.running, timeout=READ_MS)
    assert states(panel) == ["complete", "complete", "failed"]
    assert note(panel, 2) == "Held by the test, then failed."
    assert panel.status.text() == "The study ended (2 complete, 1 failed)."


def test_the_buttons_stay_put_as_the_status_line_changes(make_window, qtbot, tmp_path):
    """A message of two or three lines, or the checks' busy bar, pushed the buttons up:
    Stop moved under the pointer."""

    from kerascanvas.app.search.status_line import PROBLEM
    from tests.runtime.test_search import LR, mlp_project

    window = make_window(str(mlp_project(tmp_path, [LR])))
    window.resize(1400, 900)
    panel = show_tab(window, qtbot)

    def stop_at():
        qtbot.wait(100)
        return panel.stop_button.mapTo(panel, panel.stop_button.rect().topLeft())

    panel.status.release()
    panel.status.say("Paused.", PROBLEM)
    before = stop_at()
    panel.status.say("; ".join(["The study ended with an error: a long message"] * 4), PROBLEM)
    assert stop_at() == before
    # its lines all shown (two: three put it below the dock's edge at 1024x700), the rest
    # elided (tests/app/test_search_small_screen.py)
    assert panel.status.height() >= panel.status.LINES * \
        panel.status.fontMetrics().lineSpacing()
    panel.controls.show_state(True, True, None, False)  # the checks' busy bar shows
    assert panel.busy.isVisible() and stop_at() == before
    panel.controls.show_state(False, False, None, False)


def test_the_buttons_stay_put_as_the_tab_scroll_bar_comes_and_goes(make_window, qtbot,
                                                                   tmp_path):
    """The tab's content is some 420 px high: in a lower dock its scroll bar shows and the
    tab narrows by its width. The controls' column kept its share of the width, so Stop
    moved 2 px sideways (as the dock's height or the content above settled, under load
    after the first look); the column keeps its width and the table and plots give way."""
    from PySide6 import QtCore

    from tests.runtime.test_search import LR, mlp_project

    window = make_window(str(mlp_project(tmp_path, [LR])))
    window.resize(1400, 900)
    panel = show_tab(window, qtbot)
    bar = panel.parentWidget().parentWidget().verticalScrollBar()  # the dock's scroll area
    seen = {}
    for height in (panel.minimumSizeHint().height() + 200, 200):
        window.resizeDocks([window.search_dock], [height], QtCore.Qt.Vertical)
        qtbot.waitUntil(lambda h=height: bar.isVisible() == (h == 200))
        qtbot.wait(50)
        seen[bar.isVisible()] = panel.stop_button.mapTo(panel, QtCore.QPoint(0, 0)).x()
    assert seen[True] == seen[False]
