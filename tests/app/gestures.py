"""Real mouse and key events on the canvas viewport (what a user's hand does), for GUI tests."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtTest import QTest

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
LEFT = QtCore.Qt.LeftButton
NO_MODIFIER = QtCore.Qt.NoModifier


def show(window, qtbot):
    """Show the window, wait until it is drawn and give the canvas the keyboard focus."""
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    window.canvas.viewer.setFocus()
    QtWidgets.QApplication.processEvents()
    return window


def mlp_window(make_window, qtbot):
    """The MNIST MLP example, shown and fitted."""
    window = show(make_window(str(EXAMPLES / "mnist_mlp.json")), qtbot)
    window.canvas.fit()
    QtWidgets.QApplication.processEvents()
    return window


def node_ids(window) -> dict[str, str]:
    """Node ids by node name."""
    return {node.name: node_id for node_id, node in window.doc.nodes.items()}


def view_point(window, scene_point) -> QtCore.QPoint:
    """The viewport pixel that shows `scene_point`."""
    return window.canvas.viewer.mapFromScene(scene_point)


def node_point(window, node_id, dy: float = 0.0) -> QtCore.QPoint:
    """A point inside the node's body, away from its ports (`dy` from its centre)."""
    rect = window.canvas.views[node_id].sceneBoundingRect()
    return view_point(window, rect.center() + QtCore.QPointF(0, dy))


def port_point(window, node_id, port: str, index: int = 0) -> QtCore.QPoint:
    item = window.canvas.views[node_id]
    ports = item.inputs if port == "in" else item.outputs
    return view_point(window, ports[index].sceneBoundingRect().center())


def click(window, point, modifiers=NO_MODIFIER, button=LEFT) -> None:
    viewport = window.canvas.viewer.viewport()
    QTest.mousePress(viewport, button, modifiers, point)
    QTest.mouseRelease(viewport, button, modifiers, point)
    QtWidgets.QApplication.processEvents()


def move(widget, point, buttons=LEFT, modifiers=NO_MODIFIER) -> None:
    """A mouse move with `buttons` held (QTest's own move carries no buttons)."""
    event = QtGui.QMouseEvent(QtCore.QEvent.MouseMove, QtCore.QPointF(point),
                              QtCore.QPointF(widget.mapToGlobal(point)), QtCore.Qt.NoButton,
                              buttons, modifiers)
    QtWidgets.QApplication.sendEvent(widget, event)


def drag(window, start, end, modifiers=NO_MODIFIER, steps: int = 6) -> None:
    """Press at `start`, move in steps to `end` and release there (left button)."""
    viewport = window.canvas.viewer.viewport()
    QTest.mousePress(viewport, LEFT, modifiers, start)
    for i in range(1, steps + 1):
        t = i / steps
        move(viewport, QtCore.QPoint(round(start.x() + (end.x() - start.x()) * t),
                                     round(start.y() + (end.y() - start.y()) * t)),
             modifiers=modifiers)
    QTest.mouseRelease(viewport, LEFT, modifiers, end)
    QtWidgets.QApplication.processEvents()


def drag_port(window, src, dst, src_port: int = 0, dst_port: int = 0) -> None:
    """Drag a wire from `src`'s output port to `dst`'s input port."""
    drag(window, port_point(window, src, "out", src_port),
         port_point(window, dst, "in", dst_port))


def type_into(edit, text: str) -> None:
    """Click a line edit, select what is there, type `text` and press Enter."""
    QTest.mouseClick(edit, LEFT)
    QTest.keyClick(edit, QtCore.Qt.Key_A, QtCore.Qt.ControlModifier)
    QTest.keyClicks(edit, text)
    QTest.keyClick(edit, QtCore.Qt.Key_Return)


def saved(doc, tmp_path, name: str) -> str:
    """Save `doc` as `name` in `tmp_path`; the path, for a window to open."""
    from kerascanvas.graph import projectfile

    path = tmp_path / name
    projectfile.save(doc, path)
    return str(path)
