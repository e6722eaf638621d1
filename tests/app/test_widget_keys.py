"""Keys typed in a text field or table stay there: the canvas's shortcuts (Ctrl+A, Delete,
F to fit...) are window-wide, and a table or a read-only text claimed none of their keys, so
Ctrl+A and typing in the Issues table selected every node and fitted the canvas."""

from __future__ import annotations

import pytest
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from .conftest import chain_window

CTRL = QtCore.Qt.ControlModifier
# (key, modifier) a user typed: select all, letters (one is Fit's), the delete keys.
KEYS = [(QtCore.Qt.Key_A, CTRL), (QtCore.Qt.Key_F, QtCore.Qt.NoModifier),
        (QtCore.Qt.Key_L, QtCore.Qt.NoModifier), (QtCore.Qt.Key_Delete, QtCore.Qt.NoModifier),
        (QtCore.Qt.Key_Backspace, QtCore.Qt.NoModifier)]


def selected_chain_window(make_window, qtbot, tmp_path, monkeypatch):
    """A chain without outputs (an issue to show), its first node selected; Fit counted."""
    window, ids = chain_window(make_window, qtbot, tmp_path)
    qtbot.waitActive(window)
    window.canvas.select([ids[0]])
    fits = []
    monkeypatch.setattr(window, "fit", lambda: fits.append(1))
    return window, ids, fits


def issues_table(window):
    return window.issues


def properties_field(window):
    return window.properties.findChildren(QtWidgets.QLineEdit)[0]


def layers_search(window):
    return window.palette.search


def layers_tree(window):
    return window.palette.tree


def code_text(window):
    window.code_dock.raise_()
    return window.code.text


@pytest.mark.parametrize("widget_of", [issues_table, properties_field, layers_search,
                                       layers_tree, code_text])
def test_keys_in_a_text_or_table_leave_the_canvas_alone(widget_of, make_window, qtbot,
                                                        tmp_path, monkeypatch):
    window, ids, fits = selected_chain_window(make_window, qtbot, tmp_path, monkeypatch)
    widget = widget_of(window)
    QtWidgets.QApplication.processEvents()
    widget.setFocus()
    qtbot.waitUntil(lambda: QtWidgets.QApplication.focusWidget() is widget)
    for key, modifier in KEYS:
        QTest.keyClick(widget, key, modifier)
    assert window.canvas.selected_ids() == [ids[0]]
    assert sorted(window.doc.nodes) == sorted(ids)
    assert fits == []


def test_the_same_keys_on_the_canvas_act_on_it(make_window, qtbot, tmp_path, monkeypatch):
    window, ids, fits = selected_chain_window(make_window, qtbot, tmp_path, monkeypatch)
    viewer = window.canvas.viewer
    QTest.keyClick(viewer, QtCore.Qt.Key_F)
    assert fits == [1]
    QTest.keyClick(viewer, QtCore.Qt.Key_A, CTRL)
    assert sorted(window.canvas.selected_ids()) == sorted(ids)
    QTest.keyClick(viewer, QtCore.Qt.Key_Delete)
    assert window.doc.nodes == {}


def test_ctrl_a_and_ctrl_c_in_the_issues_table_copy_its_messages(make_window, qtbot, tmp_path,
                                                     monkeypatch):
    window, ids, _fits = selected_chain_window(make_window, qtbot, tmp_path, monkeypatch)
    table = window.issues
    table.setFocus()
    QTest.keyClick(table, QtCore.Qt.Key_A, CTRL)
    rows = table.topLevelItemCount()
    assert rows >= 1 and len(table.selectedItems()) == rows
    QTest.keyClick(table, QtCore.Qt.Key_C, CTRL)
    messages = [issue.message for issue in window.analysis.issues]
    assert sorted(QtWidgets.QApplication.clipboard().text().split("\n")) == sorted(messages)
    assert window.canvas.selected_ids() == [ids[0]]


def test_typing_in_the_layers_tree_finds_a_layer(make_window, qtbot, tmp_path, monkeypatch):
    window, _ids, fits = selected_chain_window(make_window, qtbot, tmp_path, monkeypatch)
    tree = window.palette.tree
    tree.setFocus()
    QTest.keyClicks(tree, "flat")
    assert tree.currentItem().text(0) == "Flatten"
    assert fits == []


def test_ctrl_z_in_a_field_after_its_value_was_committed_undoes_the_edit(make_window, qtbot):
    """Under real X: units typed into the properties field, Enter, then Ctrl+Z with the focus
    still in the field changed nothing (the field claimed the key and had nothing to undo).
    While the typing is not committed, Ctrl+Z takes back the typing in the field only."""
    from .gestures import mlp_window, node_ids

    window = mlp_window(make_window, qtbot)
    ids = node_ids(window)
    window.canvas.select([ids["hidden"]])
    QtWidgets.QApplication.processEvents()
    units = window.properties.editors["units"][1].edit
    units.setFocus()
    qtbot.waitUntil(lambda: QtWidgets.QApplication.focusWidget() is units)
    QTest.keyClick(units, QtCore.Qt.Key_A, CTRL)
    QTest.keyClicks(units, "128")
    QTest.keyClick(units, QtCore.Qt.Key_Z, CTRL)  # not committed: the field's own undo
    assert window.doc.nodes[ids["hidden"]].params["units"] == 512
    assert units.text() != "128"
    QTest.keyClick(units, QtCore.Qt.Key_A, CTRL)
    QTest.keyClicks(units, "128")
    QTest.keyClick(units, QtCore.Qt.Key_Return)
    assert window.doc.nodes[ids["hidden"]].params["units"] == 128
    assert QtWidgets.QApplication.focusWidget() is units
    QTest.keyClick(units, QtCore.Qt.Key_Z, CTRL)  # committed: the project's Undo
    assert window.doc.nodes[ids["hidden"]].params["units"] == 512
    QTest.keyClick(units, QtCore.Qt.Key_Z, CTRL | QtCore.Qt.ShiftModifier)  # and Redo
    assert window.doc.nodes[ids["hidden"]].params["units"] == 128
