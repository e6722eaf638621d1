"""Panning with the middle button: the view follows the hand, and Qt scrolls the pixels it
has already drawn, painting only the strip that comes into view."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from .gestures import EXAMPLES, show

MIDDLE = QtCore.Qt.MiddleButton


def send(viewport, kind, point, button, buttons) -> None:
    event = QtGui.QMouseEvent(kind, QtCore.QPointF(point),
                              QtCore.QPointF(viewport.mapToGlobal(point)), button, buttons,
                              QtCore.Qt.NoModifier)
    QtWidgets.QApplication.sendEvent(viewport, event)


class PaintedArea(QtCore.QObject):
    """Adds up the pixels of the regions the viewport is asked to paint."""

    def __init__(self):
        super().__init__()
        self.area = 0

    def eventFilter(self, obj, event):  # noqa: N802 (Qt override)
        if event.type() == QtCore.QEvent.Paint:
            self.area += sum(r.width() * r.height() for r in event.region())
        return False


def settle(qtbot) -> None:
    for _ in range(3):
        qtbot.wait(20)


def pan_start(viewer) -> QtCore.QPoint:
    point = QtCore.QPoint(8, 8)
    while viewer.items(point):  # a press on a node does not pan
        point += QtCore.QPoint(4, 4)
    return point


def middle_drag(viewer, start, steps, qtbot) -> list[int]:
    """Drag 10 px down per step with the middle button; the area painted at each step."""
    viewport, painted, areas = viewer.viewport(), PaintedArea(), []
    viewport.installEventFilter(painted)
    send(viewport, QtCore.QEvent.MouseButtonPress, start, MIDDLE, MIDDLE)
    settle(qtbot)
    for step in range(1, steps + 1):
        painted.area = 0
        send(viewport, QtCore.QEvent.MouseMove, start + QtCore.QPoint(0, 10 * step),
             QtCore.Qt.NoButton, MIDDLE)
        settle(qtbot)
        areas.append(painted.area)
    send(viewport, QtCore.QEvent.MouseButtonRelease, start + QtCore.QPoint(0, 10 * steps),
         MIDDLE, QtCore.Qt.NoButton)
    viewport.removeEventFilter(painted)
    return areas


def test_a_middle_button_drag_pans_by_scrolling(make_window, qtbot):
    """Also with the minimap and the find bar over the canvas: a see-through child made
    Qt repaint the whole viewport at each step."""
    window = show(make_window(str(EXAMPLES / "mnist_cnn.json")), qtbot)
    window.resize(1200, 800)
    window.canvas.viewer.show_top(list(window.canvas.views.values()), 1.5)  # part hidden
    window.find_bar.open_bar()
    settle(qtbot)
    assert window.minimap.isVisible() and window.find_bar.isVisible()
    viewer = window.canvas.viewer
    viewport = viewer.viewport()
    before = viewer.mapToScene(viewport.rect().center())
    scale = viewer.transform().m11()
    areas = middle_drag(viewer, pan_start(viewer), 4, qtbot)
    moved = viewer.mapToScene(viewport.rect().center()) - before
    assert abs(moved.x()) < 1.0 / scale
    assert abs(moved.y() + 40 / scale) < 1.5 / scale  # the content follows the hand down
    assert viewer.transform().m11() == scale
    # Each step paints the 10-pixel strip that came into view (and what shows through the
    # minimap); it repainted the whole viewport when a pan was a new transform.
    whole = viewport.width() * viewport.height()
    assert all(0 < area < whole / 3 for area in areas), (areas, whole)


def test_a_middle_button_drag_that_starts_on_a_node_pans_and_leaves_the_node(
        make_window, qtbot):
    """NodeGraphQt turned the pan off when the press landed on a node; on a large model
    there is hardly anywhere else to press."""
    window = show(make_window(str(EXAMPLES / "mnist_cnn.json")), qtbot)
    window.resize(1200, 800)
    window.canvas.viewer.show_top(list(window.canvas.views.values()), 1.5)
    settle(qtbot)
    viewer = window.canvas.viewer
    node_id, item = next(iter(window.canvas.views.items()))
    start = viewer.mapFromScene(item.sceneBoundingRect().center())
    assert item in viewer.items(start) or any(i.parentItem() is item for i in viewer.items(start))
    before = viewer.mapToScene(viewer.viewport().rect().center())
    where = item.pos()
    middle_drag(viewer, start, 4, qtbot)
    moved = viewer.mapToScene(viewer.viewport().rect().center()) - before
    scale = viewer.transform().m11()
    assert abs(moved.y() + 40 / scale) < 1.5 / scale  # the content followed the hand
    assert item.pos() == where and window.doc.node(node_id) is not None


def test_the_overlays_stay_put_while_the_picture_scrolls(make_window, qtbot):
    window = show(make_window(str(EXAMPLES / "mnist_cnn.json")), qtbot)
    window.resize(1200, 800)
    window.canvas.viewer.show_top(list(window.canvas.views.values()), 1.5)  # part hidden
    window.find_bar.open_bar()
    settle(qtbot)
    overlays = [window.find_bar, window.minimap]
    assert all(w.isVisible() for w in overlays)
    placed = [w.geometry() for w in overlays]
    middle_drag(window.canvas.viewer, pan_start(window.canvas.viewer), 3, qtbot)
    assert [w.geometry() for w in overlays] == placed
