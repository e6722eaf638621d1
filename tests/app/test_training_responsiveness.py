"""The GUI stays responsive while a real worker process trains, is killed, or continues:
the run's calls that may block (reading its events, killing and joining its processes) are
made off the GUI thread, and the event loop turns while the run goes on. How long the loop
stalls is a figure, measured by benchmarks/bench_gui_lag.py (a loaded machine stretches it).

These start `runtime.worker.TrainingRun` child processes (each imports keras and
torch, several seconds), so the models and data are tiny.
"""

from __future__ import annotations

import threading

import pytest

from kerascanvas.app.training.controller import TrainingController
from kerascanvas.app.training.panel import TrainingPanel
from kerascanvas.graph.project import Project
from tests.app.lag import LagMeter, mlp
from tests.app.training_fakes import start_checked

CHILD_TIMEOUT_MS = 240_000
BLOCKING = ("poll_events", "kill", "wait")  # TrainingRun's calls that may block a while


@pytest.fixture
def gui_calls(monkeypatch) -> list[str]:
    """The names of TrainingRun's blocking calls made on the GUI thread (none expected)."""
    from kerascanvas.runtime.worker import TrainingRun

    made: list[str] = []
    for name in BLOCKING:
        monkeypatch.setattr(TrainingRun, name, _spied(getattr(TrainingRun, name), made))
    return made


def _spied(call, made: list[str]):
    def spied(run, *args, **kwargs):
        if threading.current_thread() is threading.main_thread():
            made.append(call.__name__)
        return call(run, *args, **kwargs)

    return spied


@pytest.fixture
def panel(qtbot, tmp_path):
    widget = TrainingPanel(Project(mlp()),
                           TrainingController(save_dir=str(tmp_path)))
    qtbot.addWidget(widget)
    widget.resize(1100, 700)
    widget.show()
    yield widget
    widget.shutdown()


@pytest.mark.slow  # 6-8 s of the default run (13.6 min of 15): run with -m slow
def test_gui_never_blocks_while_a_real_run_trains(panel, qtbot, gui_calls):
    # Enough batches that the run outlasts 50 ticks of the meter on an idle machine too
    # (2048 samples trained in under half a second there).
    panel.doc.training = {**panel.doc.training, "data": "synthetic:8192"}
    assert start_checked(panel, qtbot)
    record = panel.controller.current
    # From the first event of the child's training (its keras import is done).
    qtbot.waitUntil(lambda: record.started_at is not None, timeout=CHILD_TIMEOUT_MS)
    meter = LagMeter()
    qtbot.waitUntil(lambda: not record.active, timeout=CHILD_TIMEOUT_MS)
    meter.timer.stop()
    assert record.status == "finished", record.message
    assert len(record.curves.epochs["loss"]) == 3 and len(record.curves.batch_loss) > 3
    assert panel.progress.value() == 1000 and record.saved_path
    assert meter.ticks > 50  # the event loop turned all along the run
    assert gui_calls == []  # its events were read off the GUI thread


@pytest.mark.slow  # 6-8 s of the default run (13.6 min of 15): run with -m slow
def test_killed_worker_leaves_the_app_responsive(panel, qtbot, gui_calls):
    panel.doc.training = {**panel.doc.training, "epochs": 1000, "batch_size": 2}
    assert start_checked(panel, qtbot)
    record = panel.controller.current
    qtbot.waitUntil(lambda: len(record.curves.batch_loss) > 0, timeout=CHILD_TIMEOUT_MS)
    meter = LagMeter()
    panel.kill_button.click()
    assert record.status == "killed"  # the window says so at once
    # The run object's own status turns "killed" on the thread that terminates and joins
    # the process, after the process is gone: this thread may see it gone first.
    qtbot.waitUntil(lambda: record.source.status == "killed"
                    and not record.source.process.is_alive(), timeout=30_000)
    qtbot.waitUntil(lambda: meter.ticks > 20, timeout=10_000)
    assert gui_calls == []  # killed and joined off the GUI thread
    assert record.source.status == "killed" and not record.saved_path
    assert panel.runs.topLevelItem(0).text(1) == "killed" and panel.start_button.isEnabled()


@pytest.mark.slow  # two child processes one after the other
def test_stopped_run_continues_with_a_lower_rate(panel, qtbot):
    panel.doc.training = {**panel.doc.training, "epochs": 1000}
    assert start_checked(panel, qtbot)
    first = panel.controller.current
    qtbot.waitUntil(lambda: first.epochs_done >= 1, timeout=CHILD_TIMEOUT_MS)
    panel.stop_button.click()
    qtbot.waitUntil(lambda: not first.active, timeout=60_000)
    assert first.status == "stopped" and first.saved_path
    done = first.epochs_done
    assert panel.continue_to.value() == 1000  # the rest of the plan by default
    panel.continue_to.setValue(done + 2)  # two more epochs, as asked for
    panel.continue_lr.setText("0.0001")
    assert panel.continue_selected()
    second = panel.controller.current
    qtbot.waitUntil(lambda: not second.active, timeout=CHILD_TIMEOUT_MS)
    assert second.status == "finished", second.message
    xs = second.curves.epochs["loss"].x
    assert list(xs) == [float(e) for e in range(1, done + 3)]
    assert second.curves.lr.y[-1] == pytest.approx(1e-4)


def saved_steps(path: str) -> int:
    """The optimizer's step count stored in a saved .keras file (read without keras)."""
    import io
    import zipfile

    import h5py

    with zipfile.ZipFile(path) as archive:
        weights = io.BytesIO(archive.read("model.weights.h5"))
    with h5py.File(weights, "r") as h5:
        return int(h5["optimizer/vars/0"][()])


@pytest.mark.slow  # a child process that imports keras (half a minute on a loaded machine)
def test_a_run_stopped_in_its_first_epoch_says_so(panel, qtbot):
    """Keras ends the epoch it stops in as if it were complete: the message and the run
    must still say that no epoch completed, and what was kept."""
    from PySide6 import QtCore
    from PySide6.QtTest import QTest

    panel.doc.training = {**panel.doc.training, "epochs": 1000, "batch_size": 2}
    assert start_checked(panel, qtbot)
    record = panel.controller.current
    qtbot.waitUntil(lambda: record.batch >= 0, timeout=CHILD_TIMEOUT_MS)
    QTest.mouseClick(panel.stop_button, QtCore.Qt.LeftButton)
    qtbot.waitUntil(lambda: not record.active, timeout=60_000)
    message = record.result.message
    assert record.status == "stopped", message
    batches, steps = saved_steps(record.saved_path), record.steps
    assert 0 < batches < steps
    assert message.startswith(f"Stopped on request during epoch 1, after {batches} of {steps} "
                              "batches (no epoch completed)"), message
    assert record.epochs_done == 0 and record.result.epochs_run == 0
    assert not record.curves.epochs.get("loss")  # no epoch point for a partial epoch
    assert message in panel.results.title.text() or message in panel.log.toPlainText()
