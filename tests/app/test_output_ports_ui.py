"""A node with several output ports (an LSTM with return_state) gets one "model output"
box per port in the properties panel: clicking them makes the states model outputs of
their own, named <node>_<port>, and undo takes them back."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtTest import QTest

from kerascanvas.app.canvas.node_style import OUTPUT_RING_RADIUS
from kerascanvas.graph.training import output_names

from .conftest import add_chain
from .gestures import node_point, port_point, show


def _click(widget) -> None:
    QTest.mouseClick(widget, QtCore.Qt.LeftButton, pos=QtCore.QPoint(8, widget.height() // 2))


def _lstm(window):
    ids = add_chain(window, "Input", "LSTM")
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


# ---- on the canvas: the mark is on the port, and a port's context menu sets it ----------
def _lstm_with_states(window, qtbot):
    """An LSTM with return_state (ports 0..2) on a shown canvas, zoomed to read."""
    node, panel = _lstm(window)
    _click(panel.editors["return_state"][1].box)
    qtbot.waitUntil(lambda: len(window.canvas.views[node].outputs) == 3)
    window.canvas.renderer.render()
    window.canvas.viewer.show_top(list(window.canvas.views.values()), 1.0)
    QtWidgets.QApplication.processEvents()
    return node


def _right_click_and_choose(window, point, prefix: str) -> list[str]:
    """Right-click the viewport at `point` (real mouse events) and click the menu entry
    whose text starts with `prefix`; the texts of the menu's model-output entries."""
    seen: list[str] = []
    tries = iter(range(40))

    def choose():
        menu = QtWidgets.QApplication.activePopupWidget()
        if menu is None:  # not open yet (a while, then the test fails on `seen`)
            if next(tries, None) is not None:
                QtCore.QTimer.singleShot(50, choose)
            return
        entries = [a for a in menu.actions() if a.objectName().startswith("model_output_")]
        seen.extend(f"{'[x]' if a.isChecked() else '[ ]'} {a.text()}" for a in entries)
        action = next((a for a in entries if a.text().startswith(prefix)), None)
        if action is None:
            menu.close()
            return
        QTest.mouseClick(menu, QtCore.Qt.LeftButton, QtCore.Qt.NoModifier,
                         menu.actionGeometry(action).center())

    viewport = window.canvas.viewer.viewport()
    QTest.mousePress(viewport, QtCore.Qt.RightButton, QtCore.Qt.NoModifier, point)
    # On X11, Qt's window follows the right press with this event (QTest's mouse events go
    # to the widget directly, past the window that would send it), and the release then
    # goes to the open menu, not to the canvas.
    menu_event = QtGui.QContextMenuEvent(QtGui.QContextMenuEvent.Mouse, point,
                                         viewport.mapToGlobal(point))
    QtCore.QTimer.singleShot(50, choose)
    QtWidgets.QApplication.sendEvent(viewport, menu_event)
    QTest.qWait(50)
    assert not window.canvas.viewer._LIVE_PIPE.isVisible()  # a right click wires nothing
    # QTest keeps the buttons it pressed as held: let go, or later clicks carry a right button
    QTest.mouseRelease(viewport, QtCore.Qt.RightButton, QtCore.Qt.NoModifier, point)
    return seen


def _ring_drawn(window, node: str, port: int) -> bool:
    """Whether the viewport shows the output mark's green around the port's circle."""
    image = window.canvas.viewer.viewport().grab().toImage()
    centre = port_point(window, node, "out", port)
    scale = window.canvas.viewer.transform().m11()
    reach = int(OUTPUT_RING_RADIUS * scale)
    for dx, dy in ((reach, 0), (-reach, 0), (0, reach), (0, -reach)):
        color = image.pixelColor(centre + QtCore.QPoint(dx, dy))
        if color.green() > 170 and color.red() < 170 and color.blue() < 170:
            return True
    return False


def test_a_ports_context_menu_marks_that_port_as_a_model_output(window, qtbot):
    show(window, qtbot)
    node = _lstm_with_states(window, qtbot)
    item = window.canvas.views[node]
    assert window.doc.outputs == []
    seen = _right_click_and_choose(window, port_point(window, node, "out", 1), "Model output")
    assert seen and seen[0].startswith("[ ] Model output: port 1"), seen
    assert len(seen) == 1  # the port clicked, not every port of the node
    assert window.doc.outputs == [f"{node}:1"]
    _right_click_and_choose(window, port_point(window, node, "out", 2), "Model output")
    assert window.doc.outputs == [f"{node}:1", f"{node}:2"]
    window.canvas.renderer.render()
    QtWidgets.QApplication.processEvents()
    assert [p.is_model_output for p in item.outputs] == [False, True, True]
    assert "output ports 1, 2" in item.subtitle
    assert [_ring_drawn(window, node, p) for p in range(3)] == [False, True, True]
    name = window.doc.nodes[node].name
    assert f"Model output '{name}_1'" in item.outputs[1].tip
    # The same menu unmarks it; undo marks it again.
    seen = _right_click_and_choose(window, port_point(window, node, "out", 1), "Model output")
    assert seen[0].startswith("[x] Model output: port 1"), seen
    assert window.doc.outputs == [f"{node}:2"]
    window.canvas.renderer.render()
    assert [p.is_model_output for p in item.outputs] == [False, False, True]
    assert "output port 2" in item.subtitle
    window.stack.undo()
    window.canvas.renderer.render()
    assert [p.is_model_output for p in item.outputs] == [False, True, True]


def test_a_nodes_context_menu_lists_each_output_port(window, qtbot):
    show(window, qtbot)
    node = _lstm_with_states(window, qtbot)
    seen = _right_click_and_choose(window, node_point(window, node), "Model output: port 0")
    assert [s.split(" (")[0] for s in seen] == [
        f"[ ] Model output: port {p}" for p in range(3)], seen
    assert window.doc.outputs == [node]
    window.canvas.renderer.render()
    item = window.canvas.views[node]
    assert [p.is_model_output for p in item.outputs] == [True, False, False]
    assert "output port 0" in item.subtitle


def _clear_of_text(window, node_id: str) -> float:
    """Scene units between the lowest line of text and the top of the node's output ports
    as drawn: a model output's ring, else the port's circle (NodeGraphQt's size and pen)."""
    from NodeGraphQt.constants import PortEnum

    from kerascanvas.app.canvas.node_style import OUTPUT_RING_WIDTH

    item = window.canvas.views[node_id]
    text_bottom = max(item.mapRectToScene(r).bottom() for r in item.text_rects())
    port = PortEnum.SIZE.value / 3.6 + 0.9
    reach = [(p.sceneBoundingRect().center().y()
              - (OUTPUT_RING_RADIUS + OUTPUT_RING_WIDTH / 2 if p.is_model_output else port))
             for p in item.outputs]
    return min(reach) - text_bottom


def test_an_outputs_shape_text_keeps_clear_of_its_green_ring(make_window, qtbot):
    """The ring on a model output's port reached into the shape line under the node's
    title ('(None, 10)' touched it); the node grows by the ring's room, and only while
    one of its ports is a model output. A plain port keeps clear of the text too."""
    from .gestures import EXAMPLES

    window = show(make_window(str(EXAMPLES / "mnist_mlp.json")), qtbot)
    window.canvas.fit()
    classes = window.doc.find("classes").id
    item = window.canvas.views[classes]
    assert item.show_shape and item.outputs[0].is_model_output
    assert _clear_of_text(window, classes) >= 1.0
    height = item.sceneBoundingRect().height()
    _right_click_and_choose(window, port_point(window, classes, "out"), "Model output")
    window.canvas.renderer.render()
    assert window.doc.outputs == [] and not item.outputs[0].is_model_output
    assert item.sceneBoundingRect().height() < height  # no ring, no room for one
    assert _clear_of_text(window, classes) >= 1.0
