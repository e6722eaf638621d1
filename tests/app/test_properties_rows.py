"""The Properties form keeps a Conv2D's rows whole (label beside its field) also when it
scrolls: the scroll bar that comes with a shorter dock (the Training tab raised) took the
width the widest row needed, and kernel_initializer's row broke in two."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from tests.app.conftest import show_at


def _centre_y(widget, body) -> int:
    return widget.mapTo(body, QtCore.QPoint(0, widget.height() // 2)).y()


def test_conv2d_rows_stay_whole_with_the_scroll_bar(window, qtbot):
    show_at(window, 1500, 920)
    window.training_dock.raise_()
    window.palette.kind_activated.emit("Conv2D")
    QtWidgets.QApplication.processEvents()
    panel = window.properties
    assert panel.verticalScrollBar().isVisible()  # the form scrolls in the shorter dock
    body = panel.widget()
    for name in ("kernel_initializer", "bias_initializer", "activity_regularizer"):
        label, editor = panel.editors[name]
        assert abs(_centre_y(label, body) - _centre_y(editor, body)) <= 2, name
