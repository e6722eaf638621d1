"""A wrapper's inner layer in the properties panel: the user picks the inner kind and
edits its parameters with keys and clicks; shapes follow, bad values are refused with
the inner kind's message, and undo restores the previous inner layer."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from .conftest import object_editor, shape_shown
from .gestures import type_into


def test_inner_layer_params_are_edited_with_keys_and_clicks(window):
    node, inner = object_editor(window, "Bidirectional", "layer")
    assert inner.kind_combo.currentText() == "LSTM"
    assert shape_shown(window, node) == "(None, 64)"
    type_into(inner.editors["units"].edit, "8")
    assert window.doc.nodes[node].params["layer"] == {"kind": "LSTM", "params": {"units": 8}}
    assert shape_shown(window, node) == "(None, 16)"
    box = window.properties.editors["layer"][1].editors["return_sequences"].box
    box.setFocus()
    QTest.keyClick(box, QtCore.Qt.Key_Space)
    assert shape_shown(window, node) == "(None, 6, 16)"
    assert window.doc.nodes[node].params["layer"]["params"]["return_sequences"] is True


def test_inner_kind_is_chosen_from_the_table_and_undone(window):
    node, inner = object_editor(window, "Bidirectional", "layer")
    combo = inner.kind_combo
    combo.setFocus()
    QTest.keyClick(combo, QtCore.Qt.Key_Down)  # LSTM -> GRU, as listed
    assert combo.currentText() == "GRU"
    assert window.doc.nodes[node].params["layer"] == {"kind": "GRU", "params": {"units": 32}}
    inner = window.properties.editors["layer"][1]
    assert "reset_after" in inner.editors and "unit_forget_bias" not in inner.editors
    window.stack.undo()
    assert window.doc.nodes[node].params["layer"]["kind"] == "LSTM"
    assert window.properties.editors["layer"][1].kind_combo.currentText() == "LSTM"


def test_bad_inner_value_is_refused_with_the_inner_message(window):
    node, inner = object_editor(window, "Bidirectional", "layer")
    before = dict(window.doc.nodes[node].params)
    type_into(inner.editors["units"].edit, "0")
    error = window.properties.error.text()
    assert "layer (LSTM)" in error and "units=0" in error
    assert window.doc.nodes[node].params == before
    assert inner.editors["units"].edit.text() == "32"


def test_pipeline_layers_are_added_edited_and_removed(window):
    window.palette.kind_activated.emit("Pipeline")
    node = window.canvas.selected_ids()[0]
    window.properties.show_node(node)
    editor = window.properties.editors["layers"][1]
    QTest.mouseClick(editor.add_button, QtCore.Qt.LeftButton)
    layers = window.doc.nodes[node].params["layers"]
    assert [layer["kind"] for layer in layers] == ["Rescaling", "Dense"]
    editor = window.properties.editors["layers"][1]
    type_into(editor.rows[1].editors["units"].edit, "5")
    assert window.doc.nodes[node].params["layers"][1] == {"kind": "Dense",
                                                          "params": {"units": 5}}
    remove = window.properties.editors["layers"][1].findChild(
        QtWidgets.QPushButton, "remove_inner_layer_0")
    QTest.mouseClick(remove, QtCore.Qt.LeftButton)
    assert window.doc.nodes[node].params["layers"] == [{"kind": "Dense", "params": {"units": 5}}]
