"""The Training dock's Start ... processes row fits the dock: at 1024x700 it was wider
than the dock, the "at lr" field squeezed to show "003" for 0.003, "to epoch" cut off and
"processes" out of view. It wraps onto a second row instead, each field at its width."""

from __future__ import annotations

import pytest
from PySide6 import QtCore, QtWidgets

from tests.app.conftest import show_at
from tests.app.gestures import EXAMPLES


def row_widgets(panel):
    fields = panel.continue_fields
    return (panel.start_button, panel.pause_button, panel.stop_button, panel.kill_button,
            panel.continue_button, *fields.widgets(), panel.processes.label, panel.processes)


def text_fits(edit: QtWidgets.QLineEdit) -> bool:
    """Whether the line edit shows its whole text (frame and text margins taken off)."""
    room = edit.contentsRect().width() - edit.textMargins().left() - edit.textMargins().right()
    return edit.fontMetrics().horizontalAdvance(edit.text()) + 4 <= room


@pytest.mark.parametrize("width, height", [(1024, 700), (1600, 1000)])
def test_every_field_of_the_controls_row_shows_whole(make_window, qtbot, width, height):
    window = show_at(make_window(str(EXAMPLES / "digits_cnn.json")), width, height)
    window.training_dock.raise_()
    panel = window.training_panel()
    panel.continue_fields.set_shown(True)  # as when a finished run is picked
    panel.continue_lr.setText("0.003")
    panel.continue_to.setValue(12)
    QtWidgets.QApplication.processEvents()
    row = panel.start_button.parentWidget()
    visible = row.visibleRegion().boundingRect()
    for widget in row_widgets(panel):
        rect = QtCore.QRect(widget.mapTo(row, QtCore.QPoint(0, 0)), widget.size())
        assert visible.contains(rect), (widget, rect, visible)
        wanted = min(widget.sizeHint().width(), widget.maximumWidth())
        assert widget.width() >= wanted, (widget, widget.width(), wanted)
    assert text_fits(panel.continue_lr)
    tops = {w.mapTo(row, QtCore.QPoint(0, 0)).y() for w in row_widgets(panel)}
    if width >= 1600:
        assert panel.processes.y() == panel.start_button.y()  # nothing got worse: one row
    assert panel.progress.y() > max(tops)  # the progress bar below the rows, not over them


@pytest.mark.parametrize("width, height", [(1024, 700), (1600, 1000)])
def test_the_tabs_below_stay_put_as_the_continue_fields_show_and_hide(make_window, width,
                                                                     height):
    """A run ending shows "at lr" and "to epoch", a run starting hides them: the rows keep
    their height, so nothing below moves under the pointer."""
    window = show_at(make_window(str(EXAMPLES / "digits_cnn.json")), width, height)
    window.training_dock.raise_()
    panel = window.training_panel()
    tabs = panel.progress  # the progress bar, and the tabs under it

    def top() -> int:
        QtWidgets.QApplication.processEvents()
        return tabs.mapTo(window, QtCore.QPoint(0, 0)).y()

    panel.continue_fields.set_shown(False)  # a run is going
    running = top()
    panel.continue_fields.set_shown(True)  # it ended: Continue can be used
    panel.continue_lr.setText("0.003")
    panel.continue_to.setValue(30)
    assert top() == running
    panel.continue_fields.set_shown(False)
    assert top() == running
