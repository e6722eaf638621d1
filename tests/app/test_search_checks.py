"""The Search tab's checks before a study: they run in a process of their own (the data,
the search space, builds of sampled models, and any trusted custom code), the window
stays responsive, Start cannot be pressed twice, Cancel ends them, and a failing check
names the trial, the parameter, its value and the node."""

from __future__ import annotations

import os
import threading
from unittest import mock

import pytest
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from kerascanvas.graph import search_check
from kerascanvas.runtime import trust
from tests.app.lag import LagMeter
from tests.runtime.test_search import LR, mlp_project
from tests.runtime.test_search_checks import pooled_project

from .test_search_panel import click, show_tab

CHECK_TIMEOUT_MS = 240_000  # the first check process waits for keras to load once
MAX_LAG_S = 1.0  # only a real block breaks this; bench_search_lag.py measures the figure


def trusted_window(make_window, qtbot, tmp_path, settle_ms=0):
    marker = tmp_path / "pids.txt"
    path = pooled_project(tmp_path, marker)
    window = make_window(path)
    trust.trust(path, window.doc)  # as the trust dialog records it
    window.project.load(path)
    panel = show_tab(window, qtbot)
    qtbot.waitUntil(panel.isVisible)
    qtbot.wait(settle_ms)  # the other docks' first layout and plots, before a lag is measured
    return window, panel, marker


@pytest.mark.slow  # another process trains, checks or exports: 5-8 s
def test_checks_run_user_code_only_outside_the_window_and_name_the_failing_trial(
        make_window, qtbot, tmp_path):
    window, panel, marker = trusted_window(make_window, qtbot, tmp_path, settle_ms=2000)
    meter = LagMeter()
    click(panel.start_button)
    assert panel.checking and "Checking" in panel.status.text()
    assert not panel.start_button.isEnabled() and panel.stop_button.text() == "Cancel"
    click(panel.start_button)  # a second press does nothing: one check, no second study
    assert len(panel.runner.check_pids) <= 1
    assert panel.busy.isVisible()
    qtbot.waitUntil(lambda: not panel.runner.running, timeout=CHECK_TIMEOUT_MS)
    meter.timer.stop()
    assert len(panel.runner.check_pids) == 1
    text = panel.status.text()
    assert text.startswith("The search cannot start: trial build of the highs "
                           "(hidden.units=64)"), text
    assert "pool" in text and "Pool takes at most 32 features. Received: 64" in text
    assert panel.problems.text() in text
    assert panel.runner.driver is None and not (tmp_path / "pooled.study.log").exists()
    pids = {int(line) for line in marker.read_text().split()}
    assert pids and os.getpid() not in pids  # the code ran, never in the window's process
    assert panel.runner.check_pids[0] in pids
    assert panel.start_button.isEnabled() and panel.start_button.text() == "Start"
    assert not panel.busy.isVisible() and panel.stop_button.text() == "Stop"
    assert meter.ticks > 0 and meter.worst < MAX_LAG_S, meter.worst


@pytest.mark.slow  # 6-8 s of the default run (13.6 min of 15): run with -m slow
def test_cancel_ends_the_checks_at_once_and_a_new_start_checks_again(make_window, qtbot,
                                                                     tmp_path):
    window, panel, marker = trusted_window(make_window, qtbot, tmp_path)
    click(panel.start_button)
    assert panel.stop_button.isEnabled() and panel.stop_button.text() == "Cancel"
    click(panel.stop_button)
    # At once, even while the first check process still waits for keras to load.
    assert panel.status.text() == "Checks cancelled: the study did not start."
    assert panel.start_button.isEnabled() and not panel.busy.isVisible()
    assert not panel.pause_button.isEnabled() and not panel.stop_button.isEnabled()
    click(panel.start_button)  # a new start: the cancelled one's messages never show
    assert panel.checking
    qtbot.waitUntil(lambda: not panel.runner.running, timeout=CHECK_TIMEOUT_MS)
    assert panel.status.text().startswith("The search cannot start: trial build of the highs")
    assert panel.runner.driver is None and not (tmp_path / "pooled.study.log").exists()
    qtbot.waitUntil(lambda: panel.runner.threads_alive == 0, timeout=CHECK_TIMEOUT_MS)
    for pid in panel.runner.check_pids:  # the cancelled check was killed, the other ended
        assert not os.path.exists(f"/proc/{pid}") or \
            open(f"/proc/{pid}/stat").read().split()[2] == "Z"
    assert os.getpid() not in {int(p) for p in marker.read_text().split()}


def test_the_live_range_check_runs_off_the_gui_thread_and_names_the_value(make_window, qtbot,
                                                                          tmp_path):
    """A range typed in the table is checked against the graph in a thread (a quarter of a
    second per edit on the small examples, on the GUI thread before); its problem shows."""
    window = make_window(str(mlp_project(tmp_path, [LR, {"param": "units", "type": "int",
                                                          "low": 8, "high": 32}])))
    panel = show_tab(window, qtbot)
    qtbot.waitUntil(lambda: not panel.space_check.pending)
    assert panel.problems.text() == ""
    threads = []
    real = search_check.check_search

    def spy(doc):
        threads.append(threading.current_thread())
        return real(doc)

    with mock.patch("kerascanvas.app.search.space_check.check_search", spy):
        rect = panel.params.visualItemRect(panel.params.item(1, 1))
        QTest.mouseClick(panel.params.viewport(), QtCore.Qt.LeftButton, pos=rect.center())
        QTest.keyClick(panel.params, QtCore.Qt.Key_F2)
        qtbot.waitUntil(lambda: panel.params.viewport().findChild(QtWidgets.QLineEdit)
                        is not None)
        editor = panel.params.viewport().findChild(QtWidgets.QLineEdit)
        QTest.keyClick(editor, QtCore.Qt.Key_A, QtCore.Qt.ControlModifier)
        QTest.keyClicks(editor, "0 .. 32")
        QTest.keyClick(editor, QtCore.Qt.Key_Return)
        qtbot.waitUntil(lambda: "hidden.units" in panel.problems.text())
    assert panel.problems.text().startswith("search.params[1] (hidden.units): the range "
                                            "[0, 32] leaves the parameter's limits")
    assert threads and threading.main_thread() not in threads
    window.stack.undo()
    qtbot.waitUntil(lambda: panel.problems.text() == "")
