"""A run killed before its model was saved cannot be continued (Continue stays greyed
out), yet the log said "Continue offers 0.003 for Run 1: the last learning rate it
logged". The note is logged for a run Continue can take on, as its fields are shown."""

from __future__ import annotations

import pytest

from .training_fakes import epoch, started, training_panel


@pytest.fixture
def panel(qtbot, tmp_path):
    yield from training_panel(qtbot, tmp_path)


def test_no_continue_note_for_a_run_killed_without_a_model(panel, qtbot):
    run, record = started(panel, qtbot)
    run.push(*epoch(0), *epoch(1))
    qtbot.waitUntil(lambda: record.epochs_done == 2, timeout=3000)
    panel.kill_button.click()
    qtbot.waitUntil(lambda: record.status == "killed" and not panel.controller.is_active,
                    timeout=5000)
    qtbot.wait(50)
    assert record.saved_path is None and not panel.continue_button.isEnabled()
    assert "Continue offers" not in panel.log.toPlainText()


def test_the_continue_note_for_a_stopped_run_with_its_model(panel, qtbot):
    run, record = started(panel, qtbot)
    run.push(*epoch(0))
    open(run.save_path, "wb").close()
    run.push({"event": "result", "status": "stopped", "saved": run.save_path})
    qtbot.waitUntil(lambda: record.status == "stopped", timeout=3000)
    assert panel.continue_button.isEnabled()
    assert "Continue offers 0.001 for Run 1" in panel.log.toPlainText()
