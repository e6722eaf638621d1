"""Zoom keys: Ctrl+= and Ctrl++ (the keypad's +, or Shift+= on most keyboards: the X11
key map also offers that as Ctrl++, which offscreen Qt does not) zoom in, Ctrl+- and the
keypad's - zoom out."""

from __future__ import annotations

import pytest
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from .gestures import mlp_window

CTRL, PAD = QtCore.Qt.ControlModifier, QtCore.Qt.KeypadModifier


@pytest.mark.parametrize(("key", "modifiers", "grows"), [
    (QtCore.Qt.Key_Equal, CTRL, True),
    (QtCore.Qt.Key_Plus, CTRL, True),
    (QtCore.Qt.Key_Plus, CTRL | PAD, True),
    (QtCore.Qt.Key_Minus, CTRL, False),
    (QtCore.Qt.Key_Minus, CTRL | PAD, False),
])
def test_zoom_keys_on_the_canvas(make_window, qtbot, key, modifiers, grows):
    window = mlp_window(make_window, qtbot)
    window.canvas.graph.set_zoom(0.0)
    QtWidgets.QApplication.processEvents()
    before = window.canvas.viewer.transform().m11()
    QTest.keyClick(window.canvas.viewer.viewport(), key, modifiers)
    QtWidgets.QApplication.processEvents()
    after = window.canvas.viewer.transform().m11()
    assert (after > before) if grows else (after < before), (before, after)
