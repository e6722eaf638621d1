"""Keyboard focus after a one-click fix: the clicked Fix button goes with its row, and
Qt handed the focus to the next widget in the chain, the Properties panel's name field
with its text selected, so the next Ctrl+Z undid nothing and Delete erased the name."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from .conftest import chain_window


def no_outputs_window(make_window, qtbot, tmp_path):
    """A wired chain without outputs, its last node selected, and its one Fix button."""
    window, ids = chain_window(make_window, qtbot, tmp_path)
    window.activateWindow()
    qtbot.waitActive(window)
    window.canvas.select([ids[-1]])
    window.canvas.viewer.setFocus()
    QtWidgets.QApplication.processEvents()
    (button,) = window.issues.fix_buttons(0)
    return window, button, ids


def fix_with_focus_in(window, qtbot, button, ids, widget) -> QtWidgets.QWidget:
    """Click the Fix button while `widget` has the focus; the focus widget after it."""
    widget.setFocus()
    QTest.mouseClick(button, QtCore.Qt.LeftButton)
    qtbot.waitUntil(lambda: window.doc.outputs == [ids[-1]])
    QtWidgets.QApplication.processEvents()
    return QtWidgets.QApplication.focusWidget()


def test_ctrl_z_after_a_fix_button_undoes_the_fix(make_window, qtbot, tmp_path):
    window, button, ids = no_outputs_window(make_window, qtbot, tmp_path)
    units = window.properties.findChildren(QtWidgets.QLineEdit)[-1]
    focus = fix_with_focus_in(window, qtbot, button, ids, units)
    assert focus is window.canvas.viewer  # where the fixed node is selected
    QTest.keyClick(focus, QtCore.Qt.Key_Z, QtCore.Qt.ControlModifier)
    assert window.doc.outputs == []
    assert window.doc.nodes[ids[-1]].name == "head"


def test_delete_after_a_fix_button_deletes_the_selected_node(make_window, qtbot, tmp_path):
    window, button, ids = no_outputs_window(make_window, qtbot, tmp_path)
    focus = fix_with_focus_in(window, qtbot, button, ids, window.canvas.viewer)
    window.canvas.select([ids[-1]])
    QTest.keyClick(focus, QtCore.Qt.Key_Delete)
    assert ids[-1] not in window.doc.nodes


def test_a_node_a_fix_inserts_off_the_view_is_brought_into_view(make_window, qtbot,
                                                                  tmp_path):
    """The view is zoomed in on the Input; the fix puts a Flatten far below it, which the
    view then shows (it stayed out of sight, the only sign of it a changed status)."""
    from .test_fixes_ui import rank_mismatch_fixes

    window, buttons = rank_mismatch_fixes(make_window, qtbot, tmp_path)
    image = next(n for n, node in window.doc.nodes.items() if node.name == "image")
    window.canvas.viewer.show_at(3.0, window.canvas.views[image].sceneBoundingRect().center())
    QTest.mouseClick(buttons["Insert Flatten"], QtCore.Qt.LeftButton)
    window.canvas.renderer.render()
    (flatten,) = window.canvas.selected_ids()
    assert window.doc.nodes[flatten].kind == "Flatten"
    shown = window.canvas.viewer.visible_scene_rect()
    assert shown.contains(window.canvas.views[flatten].sceneBoundingRect())
