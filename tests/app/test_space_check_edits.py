"""The search space's live check after canvas edits: a space problem an edit makes still
shows, a project without a search space is never copied for a check, and while the Search
tab is behind another the check waits until the tab is shown."""

from __future__ import annotations

from unittest import mock

from PySide6 import QtCore

from kerascanvas.app.panels.shown import on_screen
from kerascanvas.app.search import space_check
from tests.runtime.test_search import LR, mlp_project

from .gestures import click, node_ids, node_point, show
from .test_paste_large import key
from .test_search_panel import show_tab

# The check validates the graph for each value of a range, on a worker thread: on a loaded
# machine (the CI run beside other work) it took over the default 5 s.
WAIT_MS = 60_000
UNITS = {"param": "units", "type": "int", "low": 8, "high": 32}


def counting_snapshots():
    calls = []
    real = space_check.snapshot

    def spy(doc):
        calls.append(len(doc.nodes))
        return real(doc)

    return calls, mock.patch("kerascanvas.app.search.space_check.snapshot", spy)


def test_a_space_problem_made_by_an_edit_shows_and_goes_with_its_undo(make_window, qtbot,
                                                                      tmp_path):
    window = make_window(str(mlp_project(tmp_path, [LR, UNITS])))
    panel = show_tab(window, qtbot)
    show(window, qtbot)
    window.canvas.fit()
    qtbot.waitUntil(lambda: not panel.space_check.pending, timeout=WAIT_MS)
    assert panel.problems.text() == ""
    click(window, node_point(window, node_ids(window)["hidden"]))
    key(window, QtCore.Qt.Key_Delete, QtCore.Qt.NoModifier)  # the searched node goes
    assert "hidden" not in node_ids(window)
    qtbot.waitUntil(lambda: "was it deleted?" in panel.problems.text(), timeout=WAIT_MS)
    assert panel.problems.text().startswith("search.params[1] ")
    key(window, QtCore.Qt.Key_Z)
    qtbot.waitUntil(lambda: panel.problems.text() == "", timeout=WAIT_MS)


def test_no_copy_without_a_search_space_nor_behind_another_tab(make_window, qtbot,
                                                                tmp_path):
    calls, spying = counting_snapshots()
    with spying:
        window = make_window(str(mlp_project(tmp_path, [])))
        panel = show_tab(window, qtbot)
        show(window, qtbot)
        for code in (QtCore.Qt.Key_A, QtCore.Qt.Key_C, QtCore.Qt.Key_V):
            key(window, code)
        qtbot.wait(3 * space_check.DELAY_MS)
        assert len(window.doc.nodes) == 6 and calls == [] and not panel.space_check.pending

        window.project.load(str(mlp_project(tmp_path, [LR, UNITS])))
        qtbot.waitUntil(lambda: not panel.space_check.pending, timeout=WAIT_MS)
        window.issues_dock.raise_()  # the Search tab goes behind the Issues tab
        qtbot.waitUntil(lambda: not on_screen(window.search_dock), timeout=WAIT_MS)
        calls.clear()
        window.canvas.fit()
        show(window, qtbot)
        click(window, node_point(window, node_ids(window)["hidden"]))
        key(window, QtCore.Qt.Key_Delete, QtCore.Qt.NoModifier)
        qtbot.wait(3 * space_check.DELAY_MS)
        assert calls == [] and panel.space_check.pending  # waits for its tab
        window.search_dock.raise_()
        qtbot.waitUntil(lambda: "was it deleted?" in panel.problems.text(), timeout=WAIT_MS)
        assert calls == [2]  # one check, of the document as edited
