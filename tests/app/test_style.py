"""The app's look: what is disabled looks disabled."""

from __future__ import annotations

import pytest
from PySide6 import QtGui, QtWidgets

from .gestures import show


@pytest.fixture
def styled():
    """The app's own style (Fusion, dark palette, stylesheet), put back afterwards."""
    from kerascanvas.app.window.style import apply_style

    app = QtWidgets.QApplication.instance()
    saved = app.palette(), app.styleSheet(), app.style().name()
    apply_style(app)
    yield app
    app.setStyleSheet(saved[1])
    app.setPalette(saved[0])
    app.setStyle(saved[2])


def brightest(widget: QtWidgets.QWidget) -> int:
    """The highest grey level drawn in the widget (its text, on a dark button)."""
    image = widget.grab().toImage()
    return max(QtGui.QColor(image.pixel(x, y)).lightness()
               for x in range(image.width()) for y in range(image.height()))


def test_disabled_buttons_look_disabled(styled, window, qtbot):
    """The dark palette gave every colour group the same text colour: Pause, Stop and Kill
    before a run (or Start during one) looked exactly as clickable as the others."""
    show(window, qtbot)
    panel = window.training_panel()
    enabled, disabled = panel.start_button, panel.pause_button
    assert enabled.isEnabled() and not disabled.isEnabled()
    assert brightest(disabled) < brightest(enabled) - 60
