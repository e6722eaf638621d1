"""Escape in a Properties text field takes back what was typed there (not yet committed), as
it does in most forms: it used to do nothing, and leaving the field committed the text."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from .gestures import mlp_window, node_ids


def test_escape_reverts_a_param_and_the_name(make_window, qtbot):
    window = mlp_window(make_window, qtbot)
    node = node_ids(window)["hidden"]
    window.canvas.select([node])
    panel = window.properties
    units = panel.editors["units"][1].edit
    before, undo = units.text(), window.stack.undo_text
    for field, typed in ((units, "7"), (panel.name_edit, "x")):
        field.setFocus()
        QTest.keyClicks(field, typed)
        assert field.text().endswith(typed)
        QTest.keyClick(field, QtCore.Qt.Key_Escape)
        assert not field.text().endswith(typed)
        window.canvas.viewer.setFocus()  # leaving the field commits nothing
        QtWidgets.QApplication.processEvents()
    assert units.text() == before and panel.name_edit.text() == "hidden"
    assert window.doc.nodes[node].name == "hidden" and window.stack.undo_text == undo
