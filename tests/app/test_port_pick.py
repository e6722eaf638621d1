"""Where a press picks a port: a click on a node's title selects the node and leaves its wires;
a drag that starts on the port itself still takes the wire along."""

from __future__ import annotations

from PySide6 import QtCore, QtGui

from kerascanvas.app.canvas.node_style import PAD, SELECTION_COLOR, node_fonts
from kerascanvas.app.canvas.pipes import LayerPipeItem
from kerascanvas.graph.document import Edge

from .gestures import click, drag, mlp_window, node_ids, node_point, port_point, view_point


def title_point(window, node_id, down: float = 0.0) -> QtCore.QPoint:
    """The viewport pixel in the middle of the node's title line (`down` pixels lower)."""
    rect = window.canvas.views[node_id].sceneBoundingRect()
    height = QtGui.QFontMetricsF(node_fonts()["title"]).height()
    point = view_point(window, QtCore.QPointF(rect.center().x(), rect.top() + PAD + height / 2))
    return point + QtCore.QPoint(0, round(down))


def assert_wire_drawn(window, src, dst) -> None:
    port = window.canvas.views[dst].inputs[0]
    pipes = port.connected_pipes
    assert len(pipes) == 1, f"{len(pipes)} pipes drawn into the port"
    pipe = pipes[0]
    assert isinstance(pipe, LayerPipeItem)
    assert pipe.output_port.node.id == src
    assert pipe.isVisible() and not pipe.path().isEmpty()
    assert not window.canvas.viewer._LIVE_PIPE.isVisible()


def test_a_click_on_the_title_under_a_wired_port_selects_the_node(make_window, qtbot):
    """The title's middle (and a few pixels lower) lies inside NodeGraphQt's port pick-up
    area: a click there started a wire drag, selected nothing and removed the drawn wire."""
    window = mlp_window(make_window, qtbot)
    ids = node_ids(window)
    changed = []
    window.canvas.viewer.connection_changed.connect(lambda *a: changed.append(a))
    port_y = port_point(window, ids["hidden"], "in").y()
    for down in (0, 3, 6):
        point = title_point(window, ids["hidden"], down)
        assert 8 <= point.y() - port_y <= 24  # just under the port, as a user clicks it
        click(window, QtCore.QPoint(10, 10))  # on the empty canvas: deselect
        assert window.canvas.selected_ids() == []
        click(window, point)
        assert window.canvas.selected_ids() == [ids["hidden"]], f"{down} px under the title"
        assert_wire_drawn(window, ids["pixels"], ids["hidden"])
    assert changed == []
    assert Edge(ids["pixels"], 0, ids["hidden"], 0) in window.doc.edges


def test_a_click_on_a_wired_input_port_keeps_the_wire(make_window, qtbot):
    window = mlp_window(make_window, qtbot)
    ids = node_ids(window)
    click(window, port_point(window, ids["dropout"], "in"))
    assert_wire_drawn(window, ids["hidden"], ids["dropout"])
    assert Edge(ids["hidden"], 0, ids["dropout"], 0) in window.doc.edges


def test_a_drag_from_a_wired_input_port_still_takes_the_wire(make_window, qtbot):
    """Dragging the wire's end off its input port to empty canvas disconnects it."""
    window = mlp_window(make_window, qtbot)
    ids = node_ids(window)
    start = port_point(window, ids["dropout"], "in")
    drag(window, start, start + QtCore.QPoint(-150, 0))
    assert Edge(ids["hidden"], 0, ids["dropout"], 0) not in window.doc.edges
    assert window.canvas.views[ids["dropout"]].inputs[0].connected_pipes == []


def test_a_click_anywhere_on_the_title_band_under_the_port_selects_the_node(make_window, qtbot):
    """The lower half of the port's circle lies over the title: a press there starts a wire
    drag, but a click (released where it was pressed) selects the node alone."""
    window = mlp_window(make_window, qtbot)
    ids = node_ids(window)
    port = port_point(window, ids["hidden"], "in")
    for down in range(0, 12, 2):
        click(window, QtCore.QPoint(10, 10))
        click(window, port + QtCore.QPoint(0, down))
        assert window.canvas.selected_ids() == [ids["hidden"]], f"{down} px under the port"
        assert window.properties.node_id == ids["hidden"]  # the panel was not told
        assert_wire_drawn(window, ids["pixels"], ids["hidden"])
        pipe = window.canvas.views[ids["hidden"]].inputs[0].connected_pipes[0]
        assert pipe.pen().color() == QtGui.QColor(*SELECTION_COLOR)  # highlighted as selected
    click(window, title_point(window, ids["classes"]))  # another node: it alone, again
    click(window, port + QtCore.QPoint(0, 4))
    assert window.canvas.selected_ids() == [ids["hidden"]]


def test_a_wire_drag_from_a_port_leaves_the_selection_alone(make_window, qtbot):
    """Select a node, then drag a wire from another node's output port (to empty canvas,
    and to a third node's input): the selected node stays selected, the only one."""
    window = mlp_window(make_window, qtbot)
    ids = node_ids(window)
    click(window, node_point(window, ids["classes"]))
    assert window.canvas.selected_ids() == [ids["classes"]]
    start = port_point(window, ids["pixels"], "out")
    drag(window, start, start + QtCore.QPoint(150, 0))  # dropped on empty canvas
    assert window.canvas.selected_ids() == [ids["classes"]]
    assert window.properties.node_id == ids["classes"]
    drag(window, port_point(window, ids["hidden"], "out"),
         port_point(window, ids["classes"], "in"))  # a new wire, past the dropout
    assert Edge(ids["hidden"], 0, ids["classes"], 0) in window.doc.edges
    assert window.canvas.selected_ids() == [ids["classes"]]
    assert window.properties.node_id == ids["classes"]
    for pipe in window.canvas.views[ids["classes"]].inputs[0].connected_pipes:
        assert pipe.pen().color() == QtGui.QColor(*SELECTION_COLOR)  # still highlighted


def test_a_drag_from_the_title_just_under_a_wired_input_port_moves_the_node(make_window, qtbot):
    """From where the node's title text begins (PAD under its top edge) down: a press grabs
    the node, even right under the port's circle, and a drag moves it, the wire plugged."""
    window = mlp_window(make_window, qtbot)
    ids = node_ids(window)
    item = window.canvas.views[ids["hidden"]]
    port = item.inputs[0].sceneBoundingRect().center()
    for down in (PAD, PAD + 2.0, PAD + 5.0):
        before = item.scenePos()
        start = view_point(window, QtCore.QPointF(port.x(), item.sceneBoundingRect().top() + down))
        drag(window, start, start + QtCore.QPoint(60, 0))
        assert item.scenePos().x() > before.x() + 20, f"{down} under the edge: not moved"
        assert Edge(ids["pixels"], 0, ids["hidden"], 0) in window.doc.edges
        assert_wire_drawn(window, ids["pixels"], ids["hidden"])
        port = item.inputs[0].sceneBoundingRect().center()


def test_an_input_port_is_picked_from_outside_the_node(make_window, qtbot):
    """Outside the node the whole half of the port's rectangle beyond its edge picks it:
    a drag from just above the circle still takes the wire off."""
    window = mlp_window(make_window, qtbot)
    ids = node_ids(window)
    port = window.canvas.views[ids["dropout"]].inputs[0].sceneBoundingRect()
    start = view_point(window, QtCore.QPointF(port.center().x() + 12, port.top() + 2))
    drag(window, start, start + QtCore.QPoint(-150, 0))
    assert Edge(ids["hidden"], 0, ids["dropout"], 0) not in window.doc.edges
