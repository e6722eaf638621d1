"""A click on a short wire (two nodes one under the other, the gap between them some
20 screen pixels at the zoom a small model opens at) landed within the pick area of the
port at its end: the click selected that port's node, and Delete then deleted the node,
not the wire the user had clicked. A click on the wire, off its ports' circles, picks
the wire."""

from __future__ import annotations

import pytest
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from .gestures import click, mlp_window, node_ids, port_point


@pytest.mark.parametrize("off", [-2, 0, 2])  # nearer the output port, midway, nearer the input
def test_a_click_on_a_short_wire_between_two_ports_picks_the_wire(make_window, qtbot, off):
    window = mlp_window(make_window, qtbot)
    ids = node_ids(window)
    top, bottom = port_point(window, ids["hidden"], "out"), port_point(window, ids["dropout"],
                                                                        "in")
    assert bottom.y() - top.y() < 30  # a short wire, as the example opens
    middle = (top + bottom) / 2 + QtCore.QPoint(0, off)
    nodes, edges = dict(window.doc.nodes), list(window.doc.edges)
    click(window, middle)
    assert window.canvas.selected_ids() == []
    QTest.keyClick(window.canvas.viewer.viewport(), QtCore.Qt.Key_Delete)
    QtWidgets.QApplication.processEvents()
    assert dict(window.doc.nodes) == nodes
    assert [(e.src, e.dst) for e in edges if e not in window.doc.edges] == \
        [(ids["hidden"], ids["dropout"])]
