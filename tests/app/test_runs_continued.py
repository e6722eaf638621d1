"""The Runs tab says which run a run continues: after Stop at epoch 2 and Continue, the
new row read 'adam lr=0.0001 batch=32 epochs=5', as if it had trained 5 epochs afresh,
with no word of the run it took its model (and first epochs) from."""

from __future__ import annotations

import pytest
from PySide6 import QtCore
from PySide6.QtTest import QTest

from .training_fakes import FakeRun, epoch, training_panel


@pytest.fixture
def panel(qtbot, tmp_path):
    yield from training_panel(qtbot, tmp_path)


def stopped_run(panel, qtbot, epochs_done: int) -> None:
    QTest.mouseClick(panel.start_button, QtCore.Qt.LeftButton)
    run = FakeRun.made[-1]
    run.push({"event": "train_begin", "epochs": 3, "steps": 4},
             *[event for e in range(epochs_done) for event in epoch(e)])
    QTest.mouseClick(panel.stop_button, QtCore.Qt.LeftButton)
    open(run.save_path, "wb").close()
    run.push({"event": "result", "status": "stopped", "saved": run.save_path})
    qtbot.waitUntil(lambda: panel.continue_button.isEnabled(), timeout=3000)


def test_a_continued_run_names_the_run_and_epoch_it_continues(panel, qtbot):
    stopped_run(panel, qtbot, epochs_done=2)
    QTest.mouseClick(panel.continue_button, QtCore.Qt.LeftButton)
    qtbot.waitUntil(lambda: panel.runs.topLevelItemCount() == 2, timeout=3000)
    first, second = (panel.runs.topLevelItem(i).text(2) for i in range(2))
    assert "continues" not in first
    assert "continues Run 1 from epoch 2" in second
