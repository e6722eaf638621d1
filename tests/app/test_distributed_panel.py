"""Pause, resume and Stop from the window reach every rank of a two-process run.

A real run: the worker's child runs torchrun's agent and two ranks (each imports keras
and torch), so this is slow.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6 import QtCore
from PySide6.QtTest import QTest

from kerascanvas.app.training.controller import TrainingController
from kerascanvas.app.training.panel import TrainingPanel
from kerascanvas.graph.project import Project
from tests.app.test_training_responsiveness import CHILD_TIMEOUT_MS, mlp
from tests.app.training_fakes import set_processes


def rank_processes() -> list[int]:
    """Our ranks still alive (their command line names the relay module)."""
    alive = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                line = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if b"kerascanvas.runtime.relay" in line:
                alive.append(int(entry))
    return alive


@pytest.mark.slow
def test_stop_from_the_window_ends_every_rank(qtbot, tmp_path):
    panel = TrainingPanel(Project(mlp(epochs=50)),
                          TrainingController(save_dir=str(tmp_path)))
    qtbot.addWidget(panel)
    panel.show()
    try:
        set_processes(panel, qtbot, 2)
        QTest.mouseClick(panel.start_button, QtCore.Qt.LeftButton)
        record = panel.controller.current
        assert record.processes == 2
        qtbot.waitUntil(lambda: record.batch >= 0, timeout=CHILD_TIMEOUT_MS)
        qtbot.waitUntil(lambda: len(rank_processes()) == 2, timeout=10_000)
        QTest.mouseClick(panel.pause_button, QtCore.Qt.LeftButton)
        qtbot.waitUntil(lambda: record.status == "paused", timeout=60_000)
        held = record.batch, record.epoch
        qtbot.wait(1500)  # every rank waits: rank 0 in its pause, the others for rank 0
        assert (record.batch, record.epoch) == held
        QTest.mouseClick(panel.pause_button, QtCore.Qt.LeftButton)
        qtbot.waitUntil(lambda: record.status == "running", timeout=60_000)
        QTest.mouseClick(panel.stop_button, QtCore.Qt.LeftButton)
        qtbot.waitUntil(lambda: record.status == "stopped", timeout=CHILD_TIMEOUT_MS)
        assert record.result.processes == 2
        assert record.result.message.startswith("Stopped on request ")
        assert record.result.epochs_run < 50
        assert os.path.exists(record.saved_path or "")
        qtbot.waitUntil(lambda: not rank_processes(), timeout=30_000)
        assert "processes=2" in panel.runs.topLevelItem(0).text(2)
    finally:
        panel.shutdown()


def test_the_gpu_count_does_not_read_a_torch_still_being_imported(monkeypatch):
    """A search starting imports torch in a thread; the window asking meanwhile met a
    half-made module ('partially initialized module torch has no attribute cuda')."""
    import importlib.machinery
    import sys
    import types

    from kerascanvas.app.training import processes_box

    half = types.ModuleType("torch")
    half.__spec__ = importlib.machinery.ModuleSpec("torch", None)
    half.__spec__._initializing = True
    monkeypatch.setitem(sys.modules, "torch", half)
    monkeypatch.setattr(processes_box.os, "listdir", lambda path: ["0000:01:00.0"])
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert processes_box.gpu_count() == 1  # the driver's list, torch not touched
