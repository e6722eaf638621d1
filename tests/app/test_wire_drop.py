"""Where a dragged wire lands: anywhere on the input port's drawn circle, a little beside it,
or on the body of a node with a free input. Under real X events a wire released a pixel under
an input port's centre (on the lower half of its circle, over the node's title) was dropped."""

from __future__ import annotations

import math

import pytest
from PySide6 import QtCore, QtWidgets

from kerascanvas.app.canvas.wire_drop import NEAR_PX
from kerascanvas.graph import commands as cmd
from kerascanvas.graph.document import Edge

from .gestures import drag, mlp_window, node_ids, node_point, port_point


def _unwired(make_window, qtbot):
    """The MNIST MLP with dropout -> classes taken off: classes' input is free."""
    window = mlp_window(make_window, qtbot)
    ids = node_ids(window)
    window.stack.push(cmd.Disconnect(window.doc, Edge(ids["dropout"], 0, ids["classes"], 0)))
    QtWidgets.QApplication.processEvents()
    assert window.doc.in_edges(ids["classes"]) == []
    return window, ids


@pytest.mark.parametrize("dx, dy", [(0, 1), (0, 3), (2, 4), (-3, 2), (0, -3), (5, -5)])
def test_a_wire_released_on_the_port_circle_or_beside_it_connects(make_window, qtbot, dx, dy):
    window, ids = _unwired(make_window, qtbot)
    target = port_point(window, ids["classes"], "in")
    assert math.hypot(dx, dy) <= NEAR_PX  # on the drawn circle, its rim or just beside it
    drag(window, port_point(window, ids["dropout"], "out"), target + QtCore.QPoint(dx, dy))
    assert window.doc.in_edges(ids["classes"]) == [Edge(ids["dropout"], 0, ids["classes"], 0)]
    assert not window.canvas.viewer._LIVE_PIPE.isVisible()
    assert len(window.canvas.views[ids["classes"]].inputs[0].connected_pipes) == 1


def test_a_wire_dropped_on_a_nodes_body_plugs_into_its_free_input(make_window, qtbot):
    window, ids = _unwired(make_window, qtbot)
    drag(window, port_point(window, ids["dropout"], "out"), node_point(window, ids["classes"]))
    assert window.doc.in_edges(ids["classes"]) == [Edge(ids["dropout"], 0, ids["classes"], 0)]
    window.stack.undo()  # one undoable connection
    assert window.doc.in_edges(ids["classes"]) == []


def test_a_wire_dropped_on_a_node_whose_inputs_are_wired_says_so_and_changes_nothing(
        make_window, qtbot):
    window = mlp_window(make_window, qtbot)
    ids = node_ids(window)
    edges = list(window.doc.edges)
    drag(window, port_point(window, ids["pixels"], "out"), node_point(window, ids["classes"]))
    assert window.doc.edges == edges
    assert not window.canvas.viewer._LIVE_PIPE.isVisible()
    # said, not silent: which node, what its input holds, and where a drop replaces it
    assert window.statusBar().currentMessage() == (
        "Not connected to 'classes': its input is wired already (from 'dropout'). Drop the "
        "wire on its input port to replace the wire there.")
    drag(window, port_point(window, ids["pixels"], "out"), port_point(window, ids["classes"],
                                                                      "in"))
    assert window.doc.in_edges(ids["classes"]) == [Edge(ids["pixels"], 0, ids["classes"], 0)]
    assert window.statusBar().currentMessage() == ""  # the edit took the message away


def test_a_wire_dragged_back_from_an_input_lands_on_the_nodes_output(make_window, qtbot):
    window, ids = _unwired(make_window, qtbot)
    drag(window, port_point(window, ids["classes"], "in"), node_point(window, ids["dropout"]))
    assert window.doc.in_edges(ids["classes"]) == [Edge(ids["dropout"], 0, ids["classes"], 0)]


def test_a_wire_dropped_on_its_own_node_or_empty_canvas_connects_nothing(make_window, qtbot):
    window, ids = _unwired(make_window, qtbot)
    edges = list(window.doc.edges)
    start = port_point(window, ids["dropout"], "out")
    drag(window, start, node_point(window, ids["dropout"]))
    drag(window, start, start + QtCore.QPoint(250, 0))  # the empty canvas
    assert window.doc.edges == edges
    assert not window.canvas.viewer._LIVE_PIPE.isVisible()


def test_a_drop_beside_a_port_does_not_make_a_cycle(make_window, qtbot):
    window = mlp_window(make_window, qtbot)
    ids = node_ids(window)
    edges = list(window.doc.edges)
    # classes' output dropped on the body of hidden, upstream of it: hidden's input is wired
    # already, and its free-input rule refuses; on pixels (an Input, no input port) neither.
    drag(window, port_point(window, ids["classes"], "out"), node_point(window, ids["pixels"]))
    assert window.doc.edges == edges


def test_in_a_tight_column_a_press_takes_the_port_under_it(make_window, qtbot):
    """Once dropout's wire to classes is taken off, the two nodes sit 7 px apart: dropout's
    output port's pick area reaches over classes' input port, and the other way round. A
    press on either port's centre takes that port."""
    window, ids = _unwired(make_window, qtbot)
    upper = window.canvas.views[ids["dropout"]].outputs[0].sceneBoundingRect()
    lower = window.canvas.views[ids["classes"]].inputs[0].sceneBoundingRect()
    assert upper.intersects(lower)
    upper_out = port_point(window, ids["dropout"], "out")
    drag(window, upper_out, upper_out + QtCore.QPoint(250, 0))  # a new wire, dropped nowhere
    assert window.doc.in_edges(ids["classes"]) == []
    drag(window, upper_out, node_point(window, ids["classes"]))
    assert window.doc.in_edges(ids["classes"]) == [Edge(ids["dropout"], 0, ids["classes"], 0)]
    lower_in = port_point(window, ids["classes"], "in")
    drag(window, lower_in, lower_in + QtCore.QPoint(250, 0))  # pulled off onto the canvas
    assert window.doc.in_edges(ids["classes"]) == []


def test_a_wire_pulled_off_an_input_and_dropped_on_another_node_moves_there(make_window,
                                                                             qtbot):
    """classes' input, wired from dropout, dragged onto hidden's body: classes now takes
    hidden's output, in one undo step; dropped on dropout's body again, nothing changes."""
    window = mlp_window(make_window, qtbot)
    ids = node_ids(window)
    edges = list(window.doc.edges)
    drag(window, port_point(window, ids["classes"], "in"), node_point(window, ids["dropout"]))
    assert window.doc.edges == edges
    drag(window, port_point(window, ids["classes"], "in"), node_point(window, ids["hidden"]))
    assert window.doc.in_edges(ids["classes"]) == [Edge(ids["hidden"], 0, ids["classes"], 0)]
    window.stack.undo()
    assert window.doc.edges == edges
    assert len(window.canvas.views[ids["classes"]].inputs[0].connected_pipes) == 1
