"""Widgets floating over the canvas stay where they were put while the view changes under them
(a zoom, a pan, a node centred)."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from tests.app.conftest import show_at
from tests.app.gestures import EXAMPLES


def _open_zoomed_out(make_window, qtbot):
    window = show_at(make_window(str(EXAMPLES / "small_resnet.json")), 1500, 920)
    window.canvas.fit()
    window.canvas.viewer.scale(0.4, 0.4)  # below the find bar's reading scale
    QtWidgets.QApplication.processEvents()
    return window


def test_find_bar_stays_in_its_corner_when_a_match_is_zoomed_to(make_window, qtbot):
    window = _open_zoomed_out(make_window, qtbot)
    bar, viewport = window.find_bar, window.canvas.viewer.viewport()
    QTest.keyClick(viewport, QtCore.Qt.Key_F, QtCore.Qt.ControlModifier | QtCore.Qt.ShiftModifier)
    opened = bar.geometry()
    QTest.keyClicks(bar.field, "res")  # the first match is zoomed to and centred
    assert bar.count.text().startswith("1 of")
    QTest.keyClick(bar.field, QtCore.Qt.Key_Return)  # and the next, elsewhere
    QtWidgets.QApplication.processEvents()
    assert bar.geometry() == opened
    assert viewport.rect().contains(bar.geometry())



def test_minimap_never_covers_much_of_a_small_canvas(make_window, qtbot):
    """At 1024x700 with the Training tab raised the canvas was 430x195 and the 240x170
    overview hid the graph: it shrinks with the canvas, and hides where it would be too small."""
    window = _open_zoomed_out(make_window, qtbot)
    viewer, minimap = window.canvas.viewer, window.minimap
    viewer.scale(4.0, 4.0)  # part of the graph out of view: the overview is wanted
    QtWidgets.QApplication.processEvents()
    assert minimap.isVisible() and minimap.size() == QtCore.QSize(240, 170)  # roomy canvas
    for width, height in ((1500, 600), (1024, 700), (1024, 560)):
        window.resize(width, height)
        window.training_dock.raise_()
        QtWidgets.QApplication.processEvents()
        viewport = viewer.viewport().size()
        if minimap.isVisible():
            assert minimap.width() <= 0.3 * viewport.width() + 1
            assert minimap.height() <= 0.3 * viewport.height() + 1
            assert viewer.viewport().rect().contains(minimap.geometry())
    assert not minimap.isVisible()  # 1024x560: the canvas is too small for one
