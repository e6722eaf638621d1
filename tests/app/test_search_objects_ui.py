"""The Search tab's object arguments, with real events: a regularizer typed in the
properties panel shows in the tab's picker, its argument is picked from its class's
arguments and searched, and a choice of objects is typed into its row."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from kerascanvas.graph.search import search_params
from tests.runtime.test_search import LR, mlp_project

from .gestures import type_into
from .test_search_panel import click, show_tab

L2 = {"class_name": "L2", "config": {"l2": 0.0001}}
L1L2 = {"class_name": "L1L2", "config": {"l1": 1e-05}}


def pick(combo: QtWidgets.QComboBox, qtbot, text: str) -> None:
    """Open the combo's list with the mouse and choose `text` with the arrow keys."""
    click(combo)
    view = combo.view()
    qtbot.waitUntil(view.isVisible)
    row = combo.findText(text)
    assert row >= 0, [combo.itemText(i) for i in range(combo.count())]
    QTest.keyClick(view, QtCore.Qt.Key_Home)
    for _ in range(row):
        QTest.keyClick(view, QtCore.Qt.Key_Down)
    QTest.keyClick(view, QtCore.Qt.Key_Return)
    qtbot.waitUntil(lambda: not view.isVisible())
    assert combo.currentText() == text


def edit_row(panel, qtbot, row: int, text: str) -> None:
    """Type `text` into the range cell of `row` (click, F2, select all, Enter)."""
    rect = panel.params.visualItemRect(panel.params.item(row, 1))
    QTest.mouseClick(panel.params.viewport(), QtCore.Qt.LeftButton, pos=rect.center())
    QTest.keyClick(panel.params, QtCore.Qt.Key_F2)
    qtbot.waitUntil(lambda: panel.params.viewport().findChild(QtWidgets.QLineEdit) is not None)
    editor = panel.params.viewport().findChild(QtWidgets.QLineEdit)
    QTest.keyClick(editor, QtCore.Qt.Key_A, QtCore.Qt.ControlModifier)
    QTest.keyClicks(editor, text)
    QTest.keyClick(editor, QtCore.Qt.Key_Return)


def test_an_objects_argument_is_picked_and_searched(make_window, qtbot, tmp_path):
    window = make_window(str(mlp_project(tmp_path, [LR])))
    panel = show_tab(window, qtbot)
    picker = panel.space.object_picker
    assert not picker.param_box.isEnabled()  # glorot_uniform, zeros, no regularizer
    hidden, digit = window.doc.find("hidden"), window.doc.find("digit")
    window.properties.show_node(digit.id)
    window.properties_dock.raise_()
    type_into(window.properties.editors["kernel_initializer"][1].edit,
              "VarianceScaling(scale=2.0)")
    window.properties.show_node(hidden.id)
    type_into(window.properties.editors["kernel_regularizer"][1].edit, "L2(1e-4)")
    assert hidden.params["kernel_regularizer"] == L2
    panel = show_tab(window, qtbot)
    assert [picker.param_box.itemText(i) for i in range(picker.param_box.count())] == [
        "hidden.kernel_regularizer: L2(l2=0.0001)",
        "digit.kernel_initializer: VarianceScaling(scale=2.0)"]
    pick(picker.param_box, qtbot, "digit.kernel_initializer: VarianceScaling(scale=2.0)")
    assert [picker.arg_box.itemText(i) for i in range(picker.arg_box.count())] == [
        "scale = 2.0", "mode = 'fan_in'", "distribution = 'truncated_normal'"]
    pick(picker.arg_box, qtbot, "mode = 'fan_in'")
    click(picker.add_button)
    assert panel.params.item(1, 0).text() == "digit.kernel_initializer.mode"
    assert panel.params.item(1, 1).text() == "fan_in, fan_out, fan_avg"
    assert not picker.add_button.isEnabled()  # searched already
    pick(picker.param_box, qtbot, "hidden.kernel_regularizer: L2(l2=0.0001)")
    assert picker.arg_box.currentText() == "l2 = 0.0001"
    click(picker.add_button)
    entry = search_params(window.doc)[2]
    assert (entry.target, entry.low, entry.high, entry.log) == (
        (hidden.id, "kernel_regularizer", "l2"), 1e-6, 1e-2, True)
    assert panel.params.item(2, 1).text() == "1e-06 .. 0.01 log"
    edit_row(panel, qtbot, 2, "1e-05 .. 0.001 log")
    qtbot.waitUntil(lambda: search_params(window.doc)[2].high == 0.001)
    window.stack.undo()
    window.stack.undo()
    assert [e.key(window.doc) for e in search_params(window.doc)] == [
        "training.optimizer.learning_rate", "digit.kernel_initializer.mode"]
    assert picker.add_button.isEnabled()


def test_a_choice_of_objects_is_typed_into_its_row(make_window, qtbot, tmp_path):
    window = make_window(str(mlp_project(tmp_path, [LR])))
    hidden = window.doc.find("hidden")
    window.show()
    window.properties.show_node(hidden.id)
    window.properties_dock.raise_()
    type_into(window.properties.editors["kernel_regularizer"][1].edit, "L2(1e-4)")
    button = window.properties.search_buttons.get("kernel_regularizer")
    assert button is not None, "no search toggle beside the regularizer"
    qtbot.waitExposed(button)
    click(button)
    panel = show_tab(window, qtbot)
    picker = panel.space.object_picker
    click(picker.add_button)  # its l2, the one argument of L2
    edit_row(panel, qtbot, 1, "L2(1e-4), L1L2(l1=1e-5), None")
    qtbot.waitUntil(lambda: search_params(window.doc)[1].choices[-1] is None)
    assert search_params(window.doc)[1].choices == (L2, L1L2, None)  # the file's form
    assert panel.params.item(1, 1).text() == "L2(l2=0.0001), L1L2(l1=1e-05), None"
    qtbot.waitUntil(lambda: "may take the choice None" in panel.problems.text(),
                    timeout=10_000)
    edit_row(panel, qtbot, 1, "L2(1e-4), L1L2(l1=1e-5)")
    qtbot.waitUntil(lambda: len(search_params(window.doc)[1].choices) == 2)
    qtbot.waitUntil(lambda: panel.problems.text() == "", timeout=10_000)


def test_the_picker_lists_nothing_behind_another_tab_and_catches_up_in_front(
        make_window, qtbot, tmp_path):
    """Its list scans every node's parameters: not on each edit while nobody sees it."""
    from kerascanvas.app.panels.shown import on_screen

    window = make_window(str(mlp_project(tmp_path, [LR])))
    panel = show_tab(window, qtbot)
    picker = panel.space.object_picker
    window.issues_dock.raise_()  # the Search tab goes behind the Issues tab
    qtbot.waitUntil(lambda: not on_screen(window.search_dock))
    hidden = window.doc.find("hidden")
    window.properties.show_node(hidden.id)
    window.properties_dock.raise_()
    type_into(window.properties.editors["kernel_regularizer"][1].edit, "L2(1e-4)")
    assert hidden.params["kernel_regularizer"] == L2
    assert picker.param_box.count() == 0  # waits for its tab
    window.search_dock.raise_()
    qtbot.waitUntil(lambda: picker.param_box.count() == 1)
    assert picker.param_box.currentText() == "hidden.kernel_regularizer: L2(l2=0.0001)"
    assert picker.add_button.isEnabled()


def test_an_arguments_long_value_reads_whole_in_its_box(make_window, qtbot, tmp_path):
    """After Apply best, L2(l2=1.3984243374240908e-05) showed as 'l2 = 1.3984' in the
    argument box: the box kept the width of its first text and cut the exponent off."""
    from kerascanvas.graph import commands as cmd

    window = make_window(str(mlp_project(tmp_path, [LR])))
    hidden = window.doc.find("hidden")
    window.stack.push(cmd.SetParam(window.doc, hidden.id, "kernel_regularizer", L2))
    panel = show_tab(window, qtbot)
    picker = panel.space.object_picker
    assert picker.arg_box.currentText() == "l2 = 0.0001"
    best = {"class_name": "L2", "config": {"l2": 1.3984243374240908e-05}}
    window.stack.push(cmd.SetParam(window.doc, hidden.id, "kernel_regularizer", best))
    qtbot.waitUntil(lambda: picker.arg_box.currentText() != "l2 = 0.0001")
    text = picker.arg_box.currentText()
    assert text == "l2 = 1.398e-05"
    qtbot.waitUntil(lambda: picker.arg_box.width() >= picker.arg_box.sizeHint().width())
    assert picker.arg_box.itemData(0, QtCore.Qt.ToolTipRole) == "l2 = 1.3984243374240908e-05"
