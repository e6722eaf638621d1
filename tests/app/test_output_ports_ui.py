"""A node with several output ports (an LSTM with return_state) gets one "model output"
box per port in the properties panel: clicking them makes the states model outputs of
their own, named <node>_<port>, and undo takes them back."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from kerascanvas.graph.training import output_names

from .conftest import wire


def _click(widget) -> None:
    QTest.mouseClick(widget, QtCore.Qt.LeftButton, pos=QtCore.QPoint(8, widget.height() // 2))


def _lstm(window):
    ids = []
    for kind in ("Input", "LSTM"):
        window.palette.kind_activated.emit(kind)
        ids.append(window.canvas.selected_ids()[0])
    wire(window, *ids)
    panel = window.properties
    panel.show_node(ids[0])
    edit = panel.editors["shape"][1].edit
    QTest.mouseClick(edit, QtCore.Qt.LeftButton)
    QTest.keyClick(edit, QtCore.Qt.Key_A, QtCore.Qt.ControlModifier)
    QTest.keyClicks(edit, "6, 3")
    QTest.keyClick(edit, QtCore.Qt.Key_Return)
    panel.show_node(ids[1])
    return ids[1], panel


def _boxes(panel) -> list[str]:
    return [box.text() for box in panel.findChildren(QtWidgets.QCheckBox)
            if box.objectName().startswith("output_port_")]


def test_each_output_port_can_be_marked_a_model_output(window, qtbot):
    node, panel = _lstm(window)
    assert _boxes(panel) == ["model output"]
    _click(panel.editors["return_state"][1].box)
    assert window.doc.nodes[node].params["return_state"] is True
    qtbot.waitUntil(lambda: len(panel.output_boxes) == 3)
    assert _boxes(panel) == [f"model output: port {p}" for p in range(3)]
    _click(panel.output_boxes[1])
    _click(panel.output_boxes[2])
    name = window.doc.nodes[node].name
    assert window.doc.outputs == [f"{node}:1", f"{node}:2"]
    assert output_names(window.doc) == [f"{name}_1", f"{name}_2"]
    window.refresh_panels()
    assert window.analysis.valid, window.analysis.errors
    assert [b.isChecked() for b in panel.output_boxes] == [False, True, True]
    window.stack.undo()
    assert window.doc.outputs == [f"{node}:1"]
    assert [b.isChecked() for b in panel.output_boxes] == [False, True, False]
    _click(panel.output_boxes[1])
    assert window.doc.outputs == []
