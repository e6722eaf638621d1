"""The Code panel's Copy puts the code on the clipboard and says so on the status bar."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from .gestures import mlp_window


def test_copy_says_what_it_copied(make_window, qtbot):
    window = mlp_window(make_window, qtbot)
    window.code_dock.raise_()
    window.code.regenerate()
    QtWidgets.QApplication.clipboard().clear()
    QTest.mouseClick(window.code.copy_button, QtCore.Qt.LeftButton)
    code = window.code.text.toPlainText()
    assert code and QtWidgets.QApplication.clipboard().text() == code
    message = window.statusBar().currentMessage()
    assert message.startswith("Copied") and f"{len(code.splitlines())} lines" in message
    assert window.code.style_box.currentText() in message
