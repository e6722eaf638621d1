"""Switching a recurrent layer's initial_state on in the properties panel gives its node
the state input ports on the canvas; wiring an encoder's states into them makes a valid
seq2seq graph, and undo takes the ports away again."""

from __future__ import annotations

from PySide6 import QtCore
from PySide6.QtTest import QTest

from .conftest import wire


def _click(widget) -> None:
    QTest.mouseClick(widget, QtCore.Qt.LeftButton, pos=QtCore.QPoint(8, widget.height() // 2))


def _place(window, kind: str) -> str:
    window.palette.kind_activated.emit(kind)
    return window.canvas.selected_ids()[0]


def _set_text(edit, text: str) -> None:
    QTest.mouseClick(edit, QtCore.Qt.LeftButton)
    QTest.keyClick(edit, QtCore.Qt.Key_A, QtCore.Qt.ControlModifier)
    QTest.keyClicks(edit, text)
    QTest.keyClick(edit, QtCore.Qt.Key_Return)


def _port_names(window, node_id: str) -> list[str]:
    return [port.name for port in window.canvas.views[node_id].inputs]


def test_initial_state_adds_state_ports_to_wire_an_encoder_into(window, qtbot):
    panel = window.properties
    source, encoder, decoder = _place(window, "Input"), _place(window, "LSTM"), _place(
        window, "LSTM")
    panel.show_node(source)
    _set_text(panel.editors["shape"][1].edit, "6, 3")
    panel.show_node(encoder)
    _click(panel.editors["return_state"][1].box)
    panel.show_node(decoder)
    assert len(_port_names(window, decoder)) == 1
    _click(panel.editors["initial_state"][1].box)
    assert window.doc.nodes[decoder].params["initial_state"] is True
    qtbot.waitUntil(lambda: len(_port_names(window, decoder)) == 3)
    assert _port_names(window, decoder)[1:] == ["initial h", "initial c"]
    wire(window, source, encoder)
    wire(window, source, decoder)
    wire(window, encoder, decoder, dst_port=1, src_port=1)
    wire(window, encoder, decoder, dst_port=2, src_port=2)
    assert sorted(e.dst_port for e in window.doc.in_edges(decoder)) == [0, 1, 2]
    window.refresh_panels()
    assert [i for i in window.analysis.errors if i.node == decoder] == []
    for _ in range(5):  # the four wires, then the switch
        window.stack.undo()
    qtbot.waitUntil(lambda: len(_port_names(window, decoder)) == 1)
    assert window.doc.nodes[decoder].params.get("initial_state") is None
