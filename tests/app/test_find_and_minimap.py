"""Find node (Ctrl+Shift+F, Enter / F3 / Shift+F3) and the overview minimap on a long model."""

from __future__ import annotations

import pytest
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtTest import QTest

from kerascanvas.app.canvas.minimap import SHOW_OVERHANG
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.projectfile import save
from tests.app.conftest import show_at
from tests.app.gestures import EXAMPLES, move, show
from tests.app.test_pan import MIDDLE, pan_start, send


@pytest.fixture
def long_window(window, tmp_path, qtbot):
    """A window showing Input -> 299 Dense layers, three of them named `probe_*`."""
    doc = Document()
    prev = doc.add_node("Input", "x", {"shape": [8]}).id
    for i in range(299):
        name = f"probe_{i}" if i in (10, 60, 110) else f"dense_{i}"
        node = doc.add_node("Dense", name, {"units": 8}).id
        doc.connect(Edge(prev, 0, node, 0))
        prev = node
    doc.outputs = [prev]
    save(doc, tmp_path / "long.json")
    show_at(window)
    assert window.open_path(str(tmp_path / "long.json"), ask=False)
    qtbot.wait(20)
    return window


def selected_names(window) -> list[str]:
    return [window.doc.nodes[n].name for n in window.canvas.selected_ids()]


def centred(window, name: str) -> bool:
    item = window.canvas.views[window.doc.find(name).id]
    centre = window.canvas.viewer.mapFromScene(item.sceneBoundingRect().center())
    middle = window.canvas.viewer.viewport().rect().center()
    return (centre - middle).manhattanLength() < 40


def test_find_steps_through_matches_selecting_and_centring(long_window):
    w = long_window
    QTest.keyClick(w.canvas.viewer.viewport(), QtCore.Qt.Key_F,
                   QtCore.Qt.ControlModifier | QtCore.Qt.ShiftModifier)
    assert w.find_bar.isVisible() and w.find_bar.field.hasFocus()
    QTest.keyClicks(w.find_bar.field, "PROBE")  # any case
    assert selected_names(w) == ["probe_10"] and centred(w, "probe_10")
    assert w.find_bar.count.text() == "1 of 3"
    QtWidgets.QApplication.processEvents()
    field, count = w.find_bar.field.geometry(), w.find_bar.count.geometry()
    assert not field.intersects(count), (field, count)  # the count is never drawn over
    assert count.width() >= w.find_bar.count.sizeHint().width()
    assert w.find_bar.rect().contains(count)
    assert w.canvas.viewer.transform().m11() >= 0.7 - 1e-6  # readable where it lands
    QTest.keyClick(w.find_bar.field, QtCore.Qt.Key_Return)
    assert selected_names(w) == ["probe_60"] and centred(w, "probe_60")
    QTest.keyClick(w.find_bar.field, QtCore.Qt.Key_Return, QtCore.Qt.ShiftModifier)
    assert selected_names(w) == ["probe_10"]
    QTest.keyClick(w.find_bar.field, QtCore.Qt.Key_F3, QtCore.Qt.ShiftModifier)  # wraps
    assert selected_names(w) == ["probe_110"] and centred(w, "probe_110")
    QTest.keyClick(w.find_bar.field, QtCore.Qt.Key_Escape)
    assert not w.find_bar.isVisible()
    QTest.keyClick(w.canvas.viewer.viewport(), QtCore.Qt.Key_F3)  # next, bar closed
    assert selected_names(w) == ["probe_10"]
    QTest.keyClick(w.canvas.viewer.viewport(), QtCore.Qt.Key_F,
                   QtCore.Qt.ControlModifier | QtCore.Qt.ShiftModifier)
    QTest.keyClicks(w.find_bar.field, "input")  # by kind
    assert selected_names(w) == ["x"] and w.find_bar.count.text() == "1 of 1"


def test_minimap_shows_the_hidden_graph_and_moves_the_view(long_window):
    w = long_window
    minimap = w.minimap
    assert minimap.isVisible()  # the graph opens larger than the view
    before = w.canvas.viewer.visible_scene_rect().center()
    QTest.mouseClick(minimap, QtCore.Qt.LeftButton, QtCore.Qt.NoModifier,
                     QtCore.QPoint(minimap.width() - 5, minimap.height() // 2))
    after = w.canvas.viewer.visible_scene_rect().center()
    assert after.x() > before.x() + 100  # moved towards the clicked (right) side
    QTest.keyClick(w.canvas.viewer.viewport(), QtCore.Qt.Key_M, QtCore.Qt.ControlModifier)
    assert not minimap.isVisible()
    QTest.keyClick(w.canvas.viewer.viewport(), QtCore.Qt.Key_M, QtCore.Qt.ControlModifier)
    assert minimap.isVisible()
    QTest.keyClick(w.canvas.viewer.viewport(), QtCore.Qt.Key_F)  # all in view: not needed
    QtWidgets.QApplication.processEvents()
    assert not minimap.isVisible()


def test_minimap_waits_until_part_of_the_graph_is_really_out_of_view(make_window, qtbot):
    """It came up when the graph only touched the view's border; now a node's edge a few
    pixels out is no reason, a part well out is, and it goes when all is in view."""
    w = show(make_window(str(EXAMPLES / "mnist_mlp.json")), qtbot)
    viewer, minimap = w.canvas.viewer, w.minimap
    QTest.keyClick(viewer.viewport(), QtCore.Qt.Key_F)
    qtbot.wait(10)
    assert not minimap.isVisible() and minimap.overhang() < 0
    start = pan_start(viewer)
    send(viewer.viewport(), QtCore.QEvent.MouseButtonPress, start, MIDDLE, MIDDLE)

    def pan_to(overhang: float) -> None:  # the hand moves up: the top node leaves the view
        point = start - QtCore.QPoint(0, round(overhang - first_room))
        send(viewer.viewport(), QtCore.QEvent.MouseMove, point, QtCore.Qt.NoButton, MIDDLE)
        qtbot.wait(10)
        assert abs(minimap.overhang() - overhang) <= 2, (minimap.overhang(), overhang)

    first_room = minimap.overhang()
    pan_to(SHOW_OVERHANG / 2)
    assert not minimap.isVisible()  # an edge out: not yet
    pan_to(SHOW_OVERHANG + 20)
    assert minimap.isVisible()
    pan_to(SHOW_OVERHANG / 2)
    assert minimap.isVisible()  # no flicker on the way back
    pan_to(-2)
    assert not minimap.isVisible()  # all in view again
    send(viewer.viewport(), QtCore.QEvent.MouseButtonRelease, start, MIDDLE, QtCore.Qt.NoButton)


def under_minimap(window):
    """A node whose middle the minimap covers, and that point in the viewport."""
    geometry = window.minimap.geometry()
    for item in window.canvas.views.values():
        point = window.canvas.viewer.mapFromScene(item.sceneBoundingRect().center())
        if geometry.adjusted(10, 10, -10, -10).contains(point):
            return item, point
    raise AssertionError("no node under the minimap")


def colour_at(widget, point: QtCore.QPoint) -> tuple[int, int, int]:
    colour = widget.grab().toImage().pixelColor(point)
    return colour.red(), colour.green(), colour.blue()


def distance(a, b) -> int:
    return sum(abs(x - y) for x, y in zip(a, b, strict=True))


def test_the_minimap_fades_for_the_nodes_under_it_while_the_pointer_is_near(long_window):
    """The pointer on the canvas near the overview, or dragging a node across it, lets the
    node under it show through; on the overview itself, or panning, it stays opaque."""
    w = long_window
    viewer, minimap = w.canvas.viewer, w.minimap
    viewport = viewer.viewport()
    viewer.show_at(1.0, viewer.visible_scene_rect().center())  # a node's box is large
    QtWidgets.QApplication.processEvents()
    assert minimap.isVisible()
    item, point = under_minimap(w)
    opaque = colour_at(viewport, point)
    near = minimap.geometry().topLeft() - QtCore.QPoint(20, 20)  # on the canvas, beside it
    send(viewport, QtCore.QEvent.MouseMove, near, QtCore.Qt.NoButton, QtCore.Qt.NoButton)
    faded = colour_at(viewport, point)
    minimap.setVisible(False)
    node = colour_at(viewport, point)  # the canvas alone
    minimap.setVisible(True)
    assert distance(faded, node) < distance(opaque, node) / 2, (opaque, faded, node)
    QtWidgets.QApplication.sendEvent(viewport, QtCore.QEvent(QtCore.QEvent.Leave))
    QtWidgets.QApplication.sendEvent(minimap, QtGui.QEnterEvent(
        QtCore.QPointF(5, 5), QtCore.QPointF(5, 5), QtCore.QPointF(minimap.mapToGlobal(
            QtCore.QPoint(5, 5)))))
    assert colour_at(viewport, point) == opaque  # on it: to be used
    far = QtCore.QPoint(20, 20)
    send(viewport, QtCore.QEvent.MouseMove, far, QtCore.Qt.NoButton, QtCore.Qt.NoButton)
    assert colour_at(viewport, point) == opaque
    send(viewport, QtCore.QEvent.MouseMove, point, QtCore.Qt.NoButton, MIDDLE)  # a pan
    assert colour_at(viewport, point) == opaque
    other = next(i for i in w.canvas.views.values() if i is not item
                 and viewport.rect().contains(viewer.mapFromScene(i.sceneBoundingRect().center()))
                 and not minimap.geometry().adjusted(-60, -60, 60, 60).contains(
                     viewer.mapFromScene(i.sceneBoundingRect().center())))
    start = viewer.mapFromScene(other.sceneBoundingRect().center())
    drop = point + QtCore.QPoint(0, 5)
    QTest.mousePress(viewport, QtCore.Qt.LeftButton, QtCore.Qt.NoModifier, start)
    move(viewport, drop)  # a node dragged over the overview
    assert distance(colour_at(viewport, point), opaque) > 0
    QTest.mouseRelease(viewport, QtCore.Qt.LeftButton, QtCore.Qt.NoModifier, drop)
    assert other.sceneBoundingRect().contains(viewer.mapToScene(drop))  # dropped there
    assert distance(colour_at(viewport, drop), opaque) > 0  # in sight
    assert viewport.childAt(drop) is None  # in reach: a click there reaches the canvas
    send(viewport, QtCore.QEvent.MouseMove, far, QtCore.Qt.NoButton, QtCore.Qt.NoButton)
    assert viewport.childAt(drop) is minimap
    assert distance(colour_at(viewport, drop), node) > 0  # opaque again
