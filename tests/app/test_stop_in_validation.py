"""Stop pressed while a real worker validates: the run ends after that validation batch,
says so, keeps the model and shows no score for the cut epoch. Held there, the worker is
a real process that sends nothing: the window tells its silence first."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6 import QtCore
from PySide6.QtTest import QTest

from kerascanvas.app.training.controller import TrainingController
from kerascanvas.app.training.panel import TrainingPanel
from kerascanvas.graph.project import Project
from kerascanvas.runtime.worker import TrainingRun
from tests.app.lag import mlp
from tests.app.test_training_responsiveness import CHILD_TIMEOUT_MS, saved_steps


@pytest.mark.slow  # a child process that imports keras (half a minute on a loaded machine)
def test_stop_pressed_during_validation_ends_the_run_and_keeps_the_model(qtbot, tmp_path):
    inside = tmp_path / "validating"  # the child writes it from its first validation pass

    def held_runs(document, overrides, save_path, **extra):
        return TrainingRun(document, overrides, save_path=save_path,
                           fault={"hold_in_validation": str(inside)}, **extra)

    panel = TrainingPanel(Project(mlp(validation_split=0.25)),
                          TrainingController(held_runs, save_dir=str(tmp_path)))
    panel.controller.silent_after_s = 2.0
    qtbot.addWidget(panel)
    panel.show()
    QTest.mouseClick(panel.start_button, QtCore.Qt.LeftButton)
    record = panel.controller.current
    qtbot.waitUntil(inside.exists, timeout=CHILD_TIMEOUT_MS)
    qtbot.waitUntil(lambda: "Run 1: no word from its training process for 2 s (last: "
                            "validating, epoch 1, batch " in panel.log.toPlainText(),
                    timeout=30_000)
    QTest.mouseClick(panel.stop_button, QtCore.Qt.LeftButton)
    qtbot.waitUntil(lambda: not record.active, timeout=60_000)
    try:
        message = record.result.message
        assert record.status == "stopped", message
        assert "Stopped on request while validating epoch 1, after 2 of " in message
        assert "No final evaluation" in message and record.result.metrics == {}
        assert record.result.evaluation is None  # no predictions pass either
        # The model kept trained the whole first epoch; that epoch does not count.
        assert record.saved_path and Path(record.saved_path).is_file()
        assert saved_steps(record.saved_path) == record.steps
        assert record.epochs_done == 0 and not record.curves.epochs.get("val_loss")
        assert panel.runs.topLevelItem(0).text(1) == "stopped"
        assert message in panel.results.title.text() or message in panel.log.toPlainText()
        assert "Stop again skips it" in panel.log.toPlainText()  # said when training ended
    finally:
        panel.shutdown()
