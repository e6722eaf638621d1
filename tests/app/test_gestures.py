"""Canvas gestures with real events: modifiers never stick, shortcuts are never ambiguous."""

from __future__ import annotations

import pytest
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtTest import QTest

from kerascanvas.graph.document import Edge

from .gestures import (
    NO_MODIFIER,
    click,
    drag,
    drag_port,
    mlp_window,
    move,
    node_ids,
    node_point,
    port_point,
    view_point,
)

CTRL, SHIFT = QtCore.Qt.ControlModifier, QtCore.Qt.ShiftModifier


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
    # The event is made with the state before the press: Qt adds the key's own modifier.
    ctrl_down = QtGui.QKeyEvent(QtCore.QEvent.KeyPress, QtCore.Qt.Key_Control, NO_MODIFIER)
    assert ctrl_down.modifiers() == CTRL
    QtWidgets.QApplication.sendEvent(viewer, ctrl_down)
    QTest.keyPress(viewer, QtCore.Qt.Key_F, CTRL)
    taker = QtWidgets.QApplication.focusWidget()
    assert taker is window.palette.search
    QTest.keyRelease(taker, QtCore.Qt.Key_F, CTRL)  # QTest then releases Ctrl there too

    click(window, node_point(window, ids["hidden"]))
    assert window.canvas.selected_ids() == [ids["hidden"]]
    drag_port(window, ids["hidden"], ids["classes"])
    assert Edge(ids["hidden"], 0, ids["classes"], 0) in window.doc.edges


def hold_key(window, point, modifiers) -> None:
    """The mouse rests at `point` and the modifier key goes down on the canvas, as X sends
    it before a click (the canvas then shows what the key does beside the cursor)."""
    viewport = window.canvas.viewer.viewport()
    move(viewport, point, buttons=QtCore.Qt.NoButton)
    key = {CTRL: QtCore.Qt.Key_Control, SHIFT: QtCore.Qt.Key_Shift}.get(modifiers)
    if key is not None:  # the state before the press: Qt's event adds the key's own
        event = QtGui.QKeyEvent(QtCore.QEvent.KeyPress, key, NO_MODIFIER)
        assert event.modifiers() == modifiers
        QtWidgets.QApplication.sendEvent(window.canvas.viewer, event)


@pytest.mark.parametrize("modifiers, hint", [(CTRL, "Toggle"), (SHIFT, "Add")])
def test_the_hint_beside_the_cursor_tells_what_a_click_does(picked, modifiers, hint):
    window, _ = picked
    hold_key(window, node_point(window, node_ids(window)["dropout"]), modifiers)
    text = window.canvas.viewer._cursor_text
    assert text.isVisible() and hint in text.toPlainText()


def selected_names(window, reported) -> set[str]:
    """The names of the selected nodes, checked against what the canvas last reported."""
    names = {window.doc.nodes[i].name for i in window.canvas.selected_ids()}
    assert reported and {window.doc.nodes[i].name for i in reported[-1]} == names
    return names


@pytest.fixture
def picked(make_window, qtbot):
    """The MLP window, `hidden` selected by a plain click, and the selections reported."""
    window = mlp_window(make_window, qtbot)
    reported = []
    window.canvas.selection_changed.connect(reported.append)
    click(window, node_point(window, node_ids(window)["hidden"]))
    return window, reported


def test_ctrl_click_toggles_one_node_and_keeps_the_rest(picked):
    """Ctrl+click adds an unselected node and removes a selected one (NodeGraphQt's own
    Ctrl+click only ever deselected, so it could not add to a selection)."""
    window, reported = picked
    ids = node_ids(window)
    click(window, node_point(window, ids["dropout"]), CTRL)
    assert selected_names(window, reported) == {"hidden", "dropout"}
    hold_key(window, node_point(window, ids["classes"]), CTRL)  # its hint is under the click
    click(window, node_point(window, ids["classes"]), CTRL)
    assert selected_names(window, reported) == {"hidden", "dropout", "classes"}
    click(window, node_point(window, ids["hidden"]), CTRL)
    assert selected_names(window, reported) == {"dropout", "classes"}
    click(window, node_point(window, ids["hidden"]), CTRL)
    assert selected_names(window, reported) == {"hidden", "dropout", "classes"}


def test_shift_click_adds_and_never_removes(picked):
    window, reported = picked
    ids = node_ids(window)
    click(window, node_point(window, ids["dropout"]), SHIFT)
    assert selected_names(window, reported) == {"hidden", "dropout"}
    click(window, node_point(window, ids["hidden"]), SHIFT)
    assert selected_names(window, reported) == {"hidden", "dropout"}


def test_a_modifier_click_on_the_canvas_keeps_the_selection(picked):
    window, reported = picked
    for modifiers in (CTRL, SHIFT):
        click(window, view_point(window, QtCore.QPointF(-2000, -2000)), modifiers)
        assert {window.doc.nodes[i].name for i in window.canvas.selected_ids()} == {"hidden"}


@pytest.mark.parametrize("modifiers", [CTRL, SHIFT, NO_MODIFIER])
def test_a_box_with_ctrl_or_shift_adds_to_the_selection(picked, modifiers):
    """A rubber band drawn with Ctrl or Shift adds the nodes it covers; without either it
    replaces the selection (NodeGraphQt's band with Ctrl took its nodes out)."""
    window, reported = picked
    rect = window.canvas.views[node_ids(window)["dropout"]].sceneBoundingRect()
    start = view_point(window, rect.topLeft() + QtCore.QPointF(-40, -4))
    hold_key(window, start, modifiers)
    drag(window, start, view_point(window, rect.bottomRight() + QtCore.QPointF(40, 4)),
         modifiers)
    kept = {"hidden"} if modifiers != NO_MODIFIER else set()
    assert selected_names(window, reported) == kept | {"dropout"}


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
