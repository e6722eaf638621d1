"""The Search tab, driven by mouse and keyboard: mark a parameter from its property editor,
edit its range, run a 2-trial study, see both trials, apply the best and undo it."""

from __future__ import annotations

import pytest
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from kerascanvas.graph.search import search_params
from tests.runtime.test_search import LR, UNITS, mlp_project

from .conftest import assert_axis_labels_apart
from .gestures import click as click_at
from .gestures import node_point, show


def click(widget) -> None:
    QTest.mouseClick(widget, QtCore.Qt.LeftButton, pos=widget.rect().center())


def type_into(spin: QtWidgets.QAbstractSpinBox, text: str) -> None:
    spin.setFocus()
    QTest.keyClick(spin, QtCore.Qt.Key_A, QtCore.Qt.ControlModifier)
    QTest.keyClicks(spin, text)
    QTest.keyClick(spin, QtCore.Qt.Key_Return)


def show_tab(window, qtbot):
    window.show()
    window.search_dock.show()
    window.search_dock.raise_()
    panel = window.search_panel()
    qtbot.waitExposed(panel)
    return panel


def test_a_parameter_is_marked_from_its_editor_and_its_range_edited(make_window, qtbot,
                                                                    tmp_path):
    window = make_window(str(mlp_project(tmp_path, [LR])))
    panel = show_tab(window, qtbot)
    hidden = window.doc.find("hidden")
    window.properties.show_node(hidden.id)
    button = window.properties.search_buttons["units"]
    window.properties_dock.raise_()
    qtbot.waitExposed(button)
    click(button)
    assert [e.key(window.doc) for e in search_params(window.doc)] == [
        "training.optimizer.learning_rate", "hidden.units"]
    assert panel.params.item(1, 1).text() == "8 .. 32"  # half to twice the current 16
    # Edit the range in the table as a user types it.
    rect = panel.params.visualItemRect(panel.params.item(1, 1))
    QTest.mouseClick(panel.params.viewport(), QtCore.Qt.LeftButton, pos=rect.center())
    assert panel.params.currentRow() == 1
    QTest.keyClick(panel.params, QtCore.Qt.Key_F2)
    qtbot.waitUntil(lambda: panel.params.viewport().findChild(QtWidgets.QLineEdit) is not None)
    editor = panel.params.viewport().findChild(QtWidgets.QLineEdit)
    QTest.keyClick(editor, QtCore.Qt.Key_A, QtCore.Qt.ControlModifier)
    QTest.keyClicks(editor, "8 .. 64 step 8")
    QTest.keyClick(editor, QtCore.Qt.Key_Return)
    qtbot.waitUntil(lambda: search_params(window.doc)[1].high == 64)
    units = search_params(window.doc)[1]
    assert (units.low, units.high, units.step) == (8, 64, 8)
    window.stack.undo()  # the range edit
    window.stack.undo()  # the marking
    assert not button.isChecked() and panel.params.rowCount() == 1


@pytest.mark.slow  # the trial server imports keras once (seconds) before the two trials
def test_the_tab_runs_a_two_trial_study_shows_both_and_applies_the_best(make_window, qtbot,
                                                                        tmp_path):
    project = mlp_project(tmp_path, [{"param": "units", "type": "int", "low": 4,
                                      "high": 32, "step": 4}, {**LR, "high": 0.05}])
    window = make_window(str(project))
    panel = show_tab(window, qtbot)
    type_into(panel.trials_box, "2")
    type_into(panel.epochs_box, "1")
    click(panel.start_button)
    assert panel.runner.running, panel.status.text()
    qtbot.waitUntil(lambda: not panel.runner.running and panel.start_button.isEnabled(),
                    timeout=300_000)
    assert panel.trials.rowCount() == 2
    states = [panel.trials.item(row, 1).text() for row in range(2)]
    assert states == ["complete", "complete"], panel.status.text()
    assert "2 complete" in panel.status.text()
    assert len(panel.plots.curve_items) == 2
    assert (tmp_path / "mlp.study.log").exists()  # the study file beside the project
    best = max(panel.records.values(), key=lambda r: r.value)
    before = dict(window.doc.find("hidden").params), dict(window.doc.training)
    click(panel.apply_button)
    assert window.doc.find("hidden").params["units"] == best.params["hidden.units"]
    assert window.doc.training["optimizer"]["learning_rate"] == \
        best.params["training.optimizer.learning_rate"]
    assert window.stack.undo_text == f"Apply best trial {best.number}"
    window.stack.undo()
    assert (dict(window.doc.find("hidden").params), dict(window.doc.training)) == before


def test_its_tab_opens_tall_enough_to_use(make_window, qtbot, tmp_path):
    """The bottom docks grew for the Training tab only: Search opened 100 px high."""
    window = make_window(str(mlp_project(tmp_path, [LR])))
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    bars = [bar for bar in window.findChildren(QtWidgets.QTabBar)
            if "Search" in [bar.tabText(i) for i in range(bar.count())]]
    (bar,) = bars
    index = [bar.tabText(i) for i in range(bar.count())].index("Search")
    QTest.mouseClick(bar, QtCore.Qt.LeftButton, pos=bar.tabRect(index).center())
    qtbot.waitUntil(lambda: window.search_dock.height() >= 400, timeout=3000)


def test_trial_curves_show_a_first_epoch_and_plain_metric_values(qtbot):
    """A trial with one epoch drew nothing (a line needs two points), and an accuracy axis
    read '700' under 'val_accuracy (x0.001)'."""
    from kerascanvas.app.search.views import StudyPlots, TrialRecord

    plots = StudyPlots()
    qtbot.addWidget(plots)
    plots.resize(500, 400)
    plots.show()
    qtbot.waitExposed(plots)
    plots.set_study("val_accuracy", True, ["lr"], set())
    plots.redraw({0: TrialRecord(0, {"lr": 0.01}, curve=[(0, 0.55)]),
                  1: TrialRecord(1, {"lr": 0.001}, curve=[(0, 0.52), (1, 0.72)])})
    first = plots.curve_items[0]
    assert first.scatter.data["x"].tolist() == [1.0]  # the point is marked
    axis = plots.curves.getAxis("left")
    qtbot.waitUntil(lambda: 0.7 < axis.range[1] < 0.8, timeout=3000)  # fitted to the data
    assert axis.autoSIPrefixScale == 1.0 and "x0.001" not in axis.labelString()
    plots.show_importances({"lr": 0.4, "units": 0.6})
    plots.setCurrentIndex(2)
    shares = plots.importance.getAxis("bottom")
    qtbot.waitUntil(lambda: 0.5 < shares.range[1] < 0.9, timeout=3000)
    assert shares.autoSIPrefixScale == 1.0


@pytest.mark.parametrize("epochs", [2, 3, 5, 40])
def test_the_curves_tick_whole_epochs_only(qtbot, epochs):
    """Three epochs a trial ticked 1, 1.5, 2, 2.5, 3."""
    from kerascanvas.app.search.views import StudyPlots, TrialRecord

    plots = StudyPlots()
    qtbot.addWidget(plots)
    plots.resize(500, 400)
    plots.show()
    qtbot.waitExposed(plots)
    plots.set_study("val_loss", False, ["lr"], set())
    plots.redraw({0: TrialRecord(0, {"lr": 0.01}, curve=[(e, 1 / (e + 1))
                                                         for e in range(epochs)])})
    axis = plots.curves.getAxis("bottom")
    qtbot.waitUntil(lambda: axis.range[1] >= epochs, timeout=3000)  # fitted to the curve
    ticks = [v for _, values in axis.tickValues(*axis.range, axis.width()) for v in values]
    assert ticks and all(float(v).is_integer() for v in ticks)
    assert {1, epochs} <= set(ticks) or epochs > 10


def test_a_log_scale_parameter_has_readable_labels(qtbot):
    """Learning rates from 1.5e-4 to 1.5e-2: the minor ticks' labels ran into each other."""

    from kerascanvas.app.search.views import StudyPlots, TrialRecord

    plots = StudyPlots()
    qtbot.addWidget(plots)
    plots.resize(500, 400)
    plots.show()
    plots.setCurrentIndex(1)
    plots.set_study("val_accuracy", True, ["lr"], {"lr"})
    plots.redraw({n: TrialRecord(n, {"lr": lr}, state="complete", value=v) for n, (lr, v) in
                  enumerate([(1.5e-4, 0.2), (4.9e-4, 0.4), (1.05e-3, 0.7), (1.5e-2, 0.3)])})
    axis = plots.scatter.getAxis("bottom")
    qtbot.waitUntil(lambda: -2 < axis.range[1] < -1.5, timeout=3000)  # fitted to the rates
    assert_axis_labels_apart(axis)


def test_an_empty_trials_table_names_its_columns(qtbot):
    from kerascanvas.app.search.views import TrialsTable

    table = TrialsTable()
    qtbot.addWidget(table)
    headers = [table.horizontalHeaderItem(i).text() for i in range(table.columnCount())]
    assert headers == list(TrialsTable.FIXED)


def test_why_a_trial_failed_is_in_the_table(qtbot):
    from kerascanvas.app.search.views import TrialRecord, TrialsTable

    table = TrialsTable()
    qtbot.addWidget(table)
    failed = TrialRecord(1, {"lr": 0.1}, state="failed",
                         message="Stopped by the user after epoch 2.")
    table.show_records({0: TrialRecord(0, {"lr": 0.01}, state="complete", value=0.9),
                        1: failed}, ["lr"], True, None)
    headers = [table.horizontalHeaderItem(i).text() for i in range(table.columnCount())]
    assert headers[-1] == "note" and headers[-2] == "lr"
    assert table.item(1, headers.index("note")).text() == failed.message
    assert table.item(1, headers.index("note")).toolTip() == failed.message  # whole there
    assert table.item(0, headers.index("note")).text() == ""


def test_a_delete_of_all_refreshes_the_table_and_start_panel_once(make_window, qtbot,
                                                                  tmp_path):
    """One edit, one refresh: the table and the start panel wait for the edit's end
    (they redid their work for each removed node and edge)."""
    window = make_window(str(mlp_project(tmp_path, [LR, UNITS])))
    panel = show_tab(window, qtbot)
    assert panel.params.rowCount() == 2
    refreshes, starts = [], []
    space = panel.space  # the searched parameters' editor, which follows the edits
    space.refresh = lambda real=space.refresh: (refreshes.append(1), real())
    window.update_start_panel = lambda real=window.update_start_panel: (starts.append(1),
                                                                         real())
    show(window, qtbot)  # the active window, which the keys reach
    viewport = window.canvas.viewer.viewport()
    QTest.keyClick(viewport, QtCore.Qt.Key_A, QtCore.Qt.ControlModifier)
    QTest.keyClick(viewport, QtCore.Qt.Key_Delete)
    assert not window.doc.nodes
    assert (len(refreshes), len(starts)) == (1, 1)
    shown = [panel.params.item(r, 0).text() for r in range(panel.params.rowCount())]
    # the deleted node's entry stays (for the undo), marked as dangling
    assert shown == ["training.optimizer.learning_rate", "hidden.units (node deleted)"]
    assert window.start_panel.isVisible()
    QTest.keyClick(viewport, QtCore.Qt.Key_Z, QtCore.Qt.ControlModifier)
    assert (len(refreshes), len(starts)) == (2, 2)
    assert panel.params.item(1, 0).text() == "hidden.units"
    assert not window.start_panel.isVisible()


def test_a_deleted_nodes_entry_is_marked_dangling_follows_undo_and_can_be_removed(
        make_window, qtbot, tmp_path):
    """The entry of a deleted node was listed by its id, as if it were still searched."""
    window = make_window(str(mlp_project(tmp_path, [LR, UNITS])))
    panel = show_tab(window, qtbot)
    show(window, qtbot)
    window.canvas.fit()
    hidden = window.doc.find("hidden").id
    viewport = window.canvas.viewer.viewport()
    click_at(window, node_point(window, hidden))
    QTest.keyClick(viewport, QtCore.Qt.Key_Delete)
    assert hidden not in window.doc.nodes
    key, span = panel.params.item(1, 0), panel.params.item(1, 1)
    assert key.text() == "hidden.units (node deleted)"
    assert f"The node 'hidden' ({hidden}) is not in the graph" in key.toolTip()
    assert not span.flags() & QtCore.Qt.ItemIsEditable  # nothing to search: no range edit
    assert panel.params.dangling_rows() == [1]
    assert panel.params.item(0, 0).text() == "training.optimizer.learning_rate"
    QTest.keyClick(viewport, QtCore.Qt.Key_Z, QtCore.Qt.ControlModifier)  # the node is back
    assert panel.params.item(1, 0).text() == "hidden.units"
    assert panel.params.dangling_rows() == [] and panel.params.cellWidget(1, 2) is None
    QTest.keyClick(viewport, QtCore.Qt.Key_Z, QtCore.Qt.ControlModifier | QtCore.Qt.ShiftModifier)
    assert panel.params.dangling_rows() == [1]  # redo: gone again
    fix = panel.params.cellWidget(1, 2)
    assert fix.text() == "Remove"
    qtbot.waitExposed(fix)
    qtbot.waitUntil(lambda: fix.x() >= panel.params.columnViewportPosition(2) > 0)
    click(fix)
    assert [e.key(window.doc) for e in search_params(window.doc)] == [
        "training.optimizer.learning_rate"]
    assert panel.params.rowCount() == 1
    window.stack.undo()  # the removal is one undoable step
    assert panel.params.dangling_rows() == [1]
