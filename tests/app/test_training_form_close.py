"""The Training form's coalesced refresh ends with the window: closing the window with a
refresh due printed "QComboBox already deleted" from the form's refresh."""

from __future__ import annotations

import shiboken6
from PySide6 import QtCore, QtWidgets

from .conftest import add_chain


def test_closing_the_window_with_a_form_refresh_due_refreshes_nothing(window, qtbot,
                                                                      monkeypatch):
    form = window.training_panel().form
    refreshed = []
    monkeypatch.setattr(type(form), "refresh", lambda self: refreshed.append(self))
    add_chain(window, "Input", "Dense")  # structure edits: a refresh is now due
    assert window.close()
    if shiboken6.isValid(window):
        window.deleteLater()
    QtWidgets.QApplication.sendPostedEvents(None, QtCore.QEvent.DeferredDelete)
    qtbot.wait(50)  # the refresh's zero-delay timer would fire here
    assert refreshed == []


def test_a_due_refresh_still_comes_while_the_window_is_open(window, qtbot, monkeypatch):
    form = window.training_panel().form
    refreshed = []
    monkeypatch.setattr(type(form), "refresh", lambda self: refreshed.append(self))
    add_chain(window, "Input", "Dense", "Dense")
    qtbot.waitUntil(lambda: refreshed == [form], timeout=2000)  # coalesced into one
