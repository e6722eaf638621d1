"""Initializer, regularizer and constraint editors: a dropdown of names that also takes a
configured object typed with the keyboard, `L2(1e-4)`, and refuses bad text with a tip."""

from __future__ import annotations

import html

from PySide6 import QtCore
from PySide6.QtTest import QTest

from .conftest import add_chain
from .gestures import type_into

L2 = {"class_name": "L2", "config": {"l2": 0.0001}}


def _dense(window):
    ids = add_chain(window, "Input", "Dense")
    window.properties.show_node(ids[1])
    box = window.properties.output_box
    QTest.mouseClick(box, QtCore.Qt.LeftButton, pos=QtCore.QPoint(8, box.height() // 2))
    assert window.doc.outputs == [ids[1]]
    return ids[1]


def test_typed_regularizer_sets_the_param_and_the_generated_code(window):
    node = _dense(window)
    editor = window.properties.editors["kernel_regularizer"][1]
    type_into(editor.edit, "L2(1e-4)")
    assert window.doc.nodes[node].params["kernel_regularizer"] == L2
    assert window.stack.undo_text.startswith("Set kernel_regularizer")
    window.code.regenerate()
    assert "kernel_regularizer=keras.regularizers.L2(l2=0.0001)" in window.code.text.toPlainText()
    assert editor.edit.text() == "L2(l2=0.0001)"  # shown back in its normal form
    window.stack.undo()
    assert "kernel_regularizer" not in window.doc.nodes[node].params
    assert editor.combo.currentText() == "None  (default)"


def test_bad_text_stays_with_a_tip_and_the_panel_names_node_and_param(window):
    node = _dense(window)
    editor = window.properties.editors["kernel_initializer"][1]
    type_into(editor.edit, "HeNormal(seed='x')")
    assert "kernel_initializer" not in window.doc.nodes[node].params
    assert editor.edit.text() == "HeNormal(seed='x')"  # kept for the user to fix
    name = window.doc.nodes[node].name
    assert editor.combo.property("bad") is True
    for text in (editor.problem, window.properties.error.text()):
        assert "kernel_initializer" in text and "HeNormal(seed='x')" in text
    assert html.escape(editor.problem) in editor.combo.toolTip()
    assert window.properties.error.text().startswith(f"{name}: ")
    type_into(editor.edit, "HeNormal(seed=1)")
    assert window.doc.nodes[node].params["kernel_initializer"] == {
        "class_name": "HeNormal", "config": {"seed": 1}}
    assert editor.problem == "" and editor.combo.toolTip() == "HeNormal(seed=1)"
    assert editor.combo.property("bad") is False


def test_retyping_the_value_the_node_has_clears_a_refusal(window):
    """Typed with real keys: a good value, a bad one, then the good one again (no change
    to the document) leaves no refusal in the panel."""
    node = _dense(window)
    editor = window.properties.editors["kernel_regularizer"][1]
    type_into(editor.edit, "L2(1e-4)")
    type_into(editor.edit, "L1(oops)")
    assert "L1(oops)" in window.properties.error.text()
    type_into(editor.edit, "L2(1e-4)")
    assert window.doc.nodes[node].params["kernel_regularizer"] == L2
    assert window.properties.error.text() == "" and editor.problem == ""

def test_names_are_still_picked_from_the_dropdown(window, qtbot):
    node = _dense(window)
    combo = window.properties.editors["kernel_constraint"][1].combo
    index = combo.findData("non_neg")
    combo.setFocus()
    combo.showPopup()
    view = combo.view()
    qtbot.waitUntil(view.isVisible)
    rect = view.visualRect(view.model().index(index, 0))
    QTest.mouseClick(view.viewport(), QtCore.Qt.LeftButton, pos=rect.center())
    assert window.doc.nodes[node].params["kernel_constraint"] == "non_neg"
