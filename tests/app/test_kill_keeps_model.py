"""The window's Kill keeps a model the run had saved whole before it (a kill in the final
evaluation), and lists it: the run is "killed", its message says where the model is and
what it holds, and the runs index records it as saved, for Results, Continue and Export.
A window closed on such a run keeps and lists the model too.

The runs are real `TrainingRun`s whose child is simulated (`fake_agent`: it sends the
events of training, then writes what a run has written in its final evaluation).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from kerascanvas.app.training.controller import TrainingController
from kerascanvas.app.training.history import load_runs
from kerascanvas.app.training.panel import TrainingPanel
from kerascanvas.graph.project import Project
from kerascanvas.runtime import worker
from kerascanvas.runtime.kill_keep import NOT_SAVED
from kerascanvas.runtime.worker import TrainingRun
from tests.runtime.kill_fake import fake_agent

from .training_fakes import mlp, set_processes, start_checked


@pytest.fixture
def simulated(monkeypatch, tmp_path):
    """A controller whose runs' child writes what `mode[0]` says (see the fake's RANK)
    after 2 epochs, and says so in `tmp_path / "ready"`."""
    monkeypatch.setattr(worker, "_child_main", fake_agent)
    ready, mode = tmp_path / "ready", ["saved"]

    def factory(document, overrides, save_path, **extra):
        return TrainingRun({}, {"fake": [str(ready), mode[0]], "epochs": 2},
                           save_path=save_path, processes=extra.get("processes", 1))

    controller = TrainingController(factory, save_dir=str(tmp_path / "runs"),
                                    poll_interval=0.005)
    return controller, ready, mode


def wait_ready(ready: Path) -> None:
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert time.monotonic() < deadline, "the simulated run did not start"
        time.sleep(0.02)


def test_kill_in_the_final_evaluation_keeps_and_lists_the_model(simulated, qtbot):
    controller, ready, _ = simulated
    panel = TrainingPanel(Project(mlp()), controller)
    qtbot.addWidget(panel)
    set_processes(panel, qtbot, 2)  # its rank would save at torchrun's SIGTERM: not waited
    assert start_checked(panel, qtbot)
    record = controller.current
    wait_ready(ready)
    qtbot.waitUntil(lambda: record.epochs_done == 2, timeout=5000)
    panel.kill_button.click()
    assert record.status == "killed"  # at once
    qtbot.waitUntil(lambda: record.saved_path is not None, timeout=15_000)
    save = Path(controller.save_dir) / "run_1.keras"
    assert record.saved_path == str(save) and save.read_text() == "model"
    assert record.message == (
        f"Training was killed in its final evaluation; the model was kept at {save} "
        f"(trained to the end, epoch 2 of 2), without the final evaluation's scores or "
        f"predictions.")
    assert record.message in panel.log.toPlainText()
    assert record.message in panel.results.title.text()
    assert panel.results.save_button.isEnabled() and panel.continue_button.isEnabled()
    assert panel.runs.topLevelItem(0).text(1) == "killed"
    qtbot.waitUntil(lambda: not panel.index_writes.busy, timeout=10_000)  # its end
    (listed,), problem = load_runs(save.parent)
    assert problem is None and listed.status == "killed"
    assert listed.saved_path == str(save) and listed.message == record.message
    assert sorted(p.name for p in save.parent.iterdir()  # the partial predictions: gone
                  if p.name.startswith(("run_1", ".partial"))) == ["run_1.keras"]
    panel.shutdown()


def test_kill_before_the_model_was_saved_keeps_nothing(simulated, qtbot):
    controller, ready, mode = simulated
    mode[0] = "nothing"
    record = controller.start(mlp())
    wait_ready(ready)
    controller.kill()
    qtbot.waitUntil(lambda: record.message == NOT_SAVED, timeout=15_000)
    assert record.status == "killed" and record.saved_path is None
    assert not (Path(controller.save_dir) / "run_1.keras").exists()
    controller.shutdown()


def test_a_window_closed_in_the_final_evaluation_keeps_and_lists_the_model(simulated):
    controller, ready, _ = simulated
    record = controller.start(mlp())
    wait_ready(ready)
    controller.end_workers()  # as the window's teardown does once the run did not stop
    save = Path(controller.save_dir) / "run_1.keras"
    assert record.status == "killed" and record.saved_path == str(save)
    assert save.read_text() == "model"
    (listed,), _ = load_runs(save.parent)
    assert listed.saved_path == str(save) and "was kept at" in listed.message


@pytest.mark.parametrize("how", ["kill", "sigkill"])
def test_a_run_ended_in_training_keeps_and_lists_its_epoch_end_snapshot(simulated, qtbot, how):
    """The window's Kill, or a SIGKILL from outside (the OOM killer): the snapshot the run
    wrote after epoch 2 is its model, named, listed, and Continue goes on from epoch 2."""
    import os
    import signal

    from kerascanvas.app.training.continue_plan import continue_start, default_target

    controller, ready, mode = simulated
    mode[0] = "snapshot"
    panel = TrainingPanel(Project(mlp()), controller)
    qtbot.addWidget(panel)
    assert start_checked(panel, qtbot)
    record = controller.current
    wait_ready(ready)
    qtbot.waitUntil(lambda: record.epochs_done == 2, timeout=5000)
    if how == "kill":
        panel.kill_button.click()
    else:
        os.kill(record.source.process.pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: record.saved_path is not None, timeout=15_000)
    snapshot = Path(controller.save_dir) / "run_1.last.keras"
    assert record.saved_path == str(snapshot) and snapshot.read_text() == "snapshot"
    said = (f"after epoch 2. A snapshot of the model as trained after epoch 2 is kept at "
            f"{snapshot}: Continue the run to go on from there")
    assert said in record.message and f"--resume {snapshot}" in record.message
    assert record.status == ("killed" if how == "kill" else "failed")
    assert record.message.startswith("Training was killed" if how == "kill" else
                                     "The training process ended unexpectedly (killed by "
                                     "SIGKILL)")
    assert continue_start(record) == 2 and default_target(record, 10) == 4
    qtbot.waitUntil(panel.continue_button.isEnabled, timeout=5000)
    qtbot.waitUntil(lambda: not panel.index_writes.busy, timeout=10_000)  # its end
    (listed,), problem = load_runs(snapshot.parent)
    assert problem is None and listed.saved_path == str(snapshot)
    panel.shutdown()
