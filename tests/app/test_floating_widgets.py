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

