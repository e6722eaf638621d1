"""An RNN's cell in the properties panel: the user picks the cell kind, edits its params,
turns it into a stack and adds a cell with keys and clicks; shapes follow, and undo
restores the previous cell."""

from __future__ import annotations

from PySide6 import QtCore
from PySide6.QtTest import QTest

from .conftest import object_editor, shape_shown
from .gestures import type_into


def test_cell_params_are_edited_and_the_kind_chosen(window):
    node, cell = object_editor(window, "RNN", "cell")
    assert cell.kind_combo.currentText() == "LSTMCell"
    assert shape_shown(window, node) == "(None, 32)"
    type_into(cell.editors["units"].edit, "8")
    assert window.doc.nodes[node].params["cell"] == {"kind": "LSTMCell", "params": {"units": 8}}
    assert shape_shown(window, node) == "(None, 8)"
    combo = cell.kind_combo
    combo.setFocus()
    QTest.keyClick(combo, QtCore.Qt.Key_Up)  # LSTMCell -> GRUCell, as listed
    assert window.doc.nodes[node].params["cell"] == {"kind": "GRUCell", "params": {"units": 32}}
    assert "reset_after" in window.properties.editors["cell"][1].editors
    window.stack.undo()
    assert window.doc.nodes[node].params["cell"]["kind"] == "LSTMCell"


def test_a_stack_of_cells_gets_a_cell_added_and_edited(window):
    node, cell = object_editor(window, "RNN", "cell")
    combo = cell.kind_combo
    combo.setFocus()
    QTest.keyClick(combo, QtCore.Qt.Key_Down)  # LSTMCell -> StackedRNNCells
    cells = window.properties.editors["cell"][1].editors["cells"]
    assert [c["kind"] for c in window.doc.nodes[node].params["cell"]["params"]["cells"]] \
        == ["LSTMCell", "LSTMCell"]
    QTest.mouseClick(cells.add_button, QtCore.Qt.LeftButton)
    cells = window.properties.editors["cell"][1].editors["cells"]
    type_into(cells.rows[2].editors["units"].edit, "5")
    stack = window.doc.nodes[node].params["cell"]["params"]["cells"]
    assert stack[2] == {"kind": "LSTMCell", "params": {"units": 5}} and len(stack) == 3
    assert shape_shown(window, node) == "(None, 5)"
