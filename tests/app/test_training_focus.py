"""Keyboard focus after Start, Continue and the run's end: the buttons that get disabled
handed focus to the next widget in the chain, the learning-rate field (after Continue
with its text selected), so the next keys typed replaced the rate."""

from __future__ import annotations

import pytest
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from .training_fakes import FakeRun, epoch, training_panel


@pytest.fixture
def panel(qtbot, tmp_path):
    for widget in training_panel(qtbot, tmp_path):
        widget.activateWindow()
        qtbot.waitActive(widget)
        yield widget


def click(qtbot, button) -> None:
    """A real click: press and release on the button, as a mouse does (focus included)."""
    QTest.mouseClick(button, QtCore.Qt.LeftButton)


def type_keys(text: str) -> None:
    QTest.keyClicks(QtWidgets.QApplication.focusWidget(), text)


def test_typing_after_start_and_continue_does_not_reach_the_learning_rate(panel, qtbot):
    rate = panel.continue_lr
    click(qtbot, panel.start_button)
    run = FakeRun.made[-1]
    assert panel.stop_button.isEnabled()
    assert QtWidgets.QApplication.focusWidget() is panel.stop_button
    type_keys("9")
    assert rate.text() == "" and not rate.hasSelectedText()
    run.push({"event": "train_begin", "epochs": 3, "steps": 4}, *epoch(0))
    click(qtbot, panel.stop_button)
    open(run.save_path, "wb").close()
    run.push({"event": "result", "status": "stopped", "saved": run.save_path})
    qtbot.waitUntil(lambda: panel.continue_button.isEnabled(), timeout=3000)
    # The run's end disables Stop: focus goes to Start, not to the rate.
    assert QtWidgets.QApplication.focusWidget() is panel.start_button
    before = rate.text()
    type_keys("7")
    assert rate.text() == before
    click(qtbot, panel.continue_button)
    assert FakeRun.made[-1] is not run and panel.stop_button.isEnabled()
    assert QtWidgets.QApplication.focusWidget() is panel.stop_button
    assert not rate.hasSelectedText()
    type_keys("5")
    assert rate.text() == before


def test_focus_elsewhere_stays_there_when_a_run_starts(panel, qtbot):
    """Start from the menu (Train > Start/Stop) while in a settings field: focus is not
    taken from it."""
    field = panel.form.fields[("epochs",)]
    field.setFocus()
    qtbot.waitUntil(field.hasFocus, timeout=2000)
    panel.toggle_training()
    assert panel.stop_button.isEnabled() and field.hasFocus()
