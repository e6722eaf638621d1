"""The Runs table: what a run's settings column says, and runs another process lists in
the project's runs index appearing while the window is open."""

from __future__ import annotations

import pytest
from PySide6 import QtCore
from PySide6.QtTest import QTest

from .training_fakes import FakeRun, training_panel


@pytest.fixture
def panel(qtbot, tmp_path):
    yield from training_panel(qtbot, tmp_path)


@pytest.mark.parametrize("precision", ["mixed_float16", "mixed_bfloat16"])
def test_a_mixed_precision_run_says_so_in_its_settings(panel, qtbot, precision):
    panel.doc.training = {**panel.doc.training, "mixed_precision": precision}
    QTest.mouseClick(panel.start_button, QtCore.Qt.LeftButton)
    settings = panel.runs.topLevelItem(0).text(2)
    assert settings.endswith(f" {precision}"), settings
    FakeRun.made[-1].push({"event": "result", "status": "finished", "history": {},
                           "saved": None})


def test_a_float32_run_names_no_precision(panel, qtbot):
    panel.doc.training = {**panel.doc.training, "mixed_precision": "off"}
    QTest.mouseClick(panel.start_button, QtCore.Qt.LeftButton)
    assert "mixed" not in panel.runs.topLevelItem(0).text(2)
