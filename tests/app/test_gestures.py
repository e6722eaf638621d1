"""Canvas gestures with real events: modifiers never stick, shortcuts are never ambiguous."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtTest import QTest

from kerascanvas.graph.document import Edge

from .gestures import click, drag_port, mlp_window, node_ids, node_point, port_point

CTRL = QtCore.Qt.ControlModifier


def test_ctrl_released_on_the_widget_that_took_focus_does_not_stick(make_window, qtbot):
    """Ctrl goes down on the canvas, Ctrl+F moves the focus, Ctrl comes up on the palette
    (as on a real keyboard): the canvas must not keep acting as if Ctrl were held."""
    window = mlp_window(make_window, qtbot)
    ids = node_ids(window)
    viewer = window.canvas.viewer
    click(window, node_point(window, ids["dropout"]))
    assert window.canvas.selected_ids() == [ids["dropout"]]

    # As X delivers it: Ctrl down (with its own modifier set) to the focused canvas, F down
    # fires the shortcut that moves the focus, F and Ctrl come up on the palette's search.
    ctrl_down = QtGui.QKeyEvent(QtCore.QEvent.KeyPress, QtCore.Qt.Key_Control, CTRL)
    QtWidgets.QApplication.sendEvent(viewer, ctrl_down)
    QTest.keyPress(viewer, QtCore.Qt.Key_F, CTRL)
    taker = QtWidgets.QApplication.focusWidget()
    assert taker is window.palette.search
    QTest.keyRelease(taker, QtCore.Qt.Key_F, CTRL)  # QTest then releases Ctrl there too

    click(window, node_point(window, ids["hidden"]))
    assert window.canvas.selected_ids() == [ids["hidden"]]
    drag_port(window, ids["hidden"], ids["classes"])
    assert Edge(ids["hidden"], 0, ids["classes"], 0) in window.doc.edges


def test_a_ctrl_click_still_deselects(make_window, qtbot):
    """The modifier of the click itself still counts: Ctrl+click deselects, Shift+click adds."""
    window = mlp_window(make_window, qtbot)
    ids = node_ids(window)
    click(window, node_point(window, ids["hidden"]))
    click(window, node_point(window, ids["dropout"]), QtCore.Qt.ShiftModifier)
    assert set(window.canvas.selected_ids()) == {ids["hidden"], ids["dropout"]}
    click(window, node_point(window, ids["hidden"]), CTRL)
    assert window.canvas.selected_ids() == [ids["dropout"]]


def test_no_two_actions_share_a_shortcut(window):
    window.training_panel()
    seen: dict[str, str] = {}
    for action in window.findChildren(QtGui.QAction):
        for sequence in action.shortcuts():
            key = sequence.toString(QtGui.QKeySequence.PortableText)
            if not key:
                continue
            text = action.text().replace("&", "")
            assert key not in seen, f"{key} is bound to both {seen[key]!r} and {text!r}"
            seen[key] = text
    assert "Ctrl+Shift+E" in seen


def test_a_click_near_a_wired_port_keeps_its_wire_drawn(make_window, qtbot):
    """A click on a title just under its input port must leave the wire as the document
    has it (NodeGraphQt removed the drawn pipe and left the edge)."""
    window = mlp_window(make_window, qtbot)
    ids = node_ids(window)
    port = window.canvas.views[ids["dropout"]].inputs[0]
    click(window, port_point(window, ids["dropout"], "in") + QtCore.QPoint(0, 8))
    assert Edge(ids["hidden"], 0, ids["dropout"], 0) in window.doc.edges
    assert [p.node.id for p in port.connected_ports] == [ids["hidden"]]
