"""The window's Continue reads the run record beside a run's model, as `kerascanvas run
--resume` does: it goes on from the epoch the model reached to the rest of its plan,
whoever trained it. Before, the worker wrote no record for the command to read.

The runs here are real: the command's in this process, the window's trained by the
worker's engine in this process and fed to the window through a scripted run, as its
child process would send them."""

from __future__ import annotations

import pytest

from kerascanvas.app.training.controller import TrainingController
from kerascanvas.app.training.panel import TrainingPanel
from kerascanvas.graph.project import Project
from kerascanvas.runtime import events as ev
from kerascanvas.runtime import run_record
from kerascanvas.runtime.worker import train_document
from tests.cli.test_resume_epochs import STOP_AFTER_2, keras_epochs
from tests.runtime.test_bridge import one_thread  # noqa: F401  (autouse fixture)
from tests.runtime.test_run import run
from tests.runtime.test_run_records import PLANNED, window_project

from .training_fakes import FakeRun, epoch, started, training_panel


@pytest.fixture
def open_panel(qtbot):
    """`open_panel(path, doc)`: a Training panel on the project saved at `path`, its runs
    read, whose runs are scripted (`FakeRun`)."""
    panels = []

    def make(path, doc) -> TrainingPanel:
        FakeRun.made.clear()
        panel = TrainingPanel(Project(doc), TrainingController(FakeRun, poll_interval=0.005))
        qtbot.addWidget(panel)
        panel.show()
        panel.follow_project(str(path))
        qtbot.waitUntil(lambda: not panel.reader.busy, timeout=10_000)
        panels.append(panel)
        return panel

    yield make
    for panel in panels:
        panel.shutdown()


def train_as_the_worker(fake: FakeRun, qtbot, record) -> ev.Result:
    """Train what the window asked `fake` to, as its child would, and send the events."""
    payload = {"document": fake.document, "overrides": fake.overrides,
               "save": fake.save_path, **fake.extra}
    sent: list = []
    result = train_document(payload, sent.append)
    fake.push(*(ev.to_wire(e) for e in [*sent, result]))
    qtbot.waitUntil(lambda: not record.active, timeout=10_000)
    return result


def test_continue_of_a_cli_run_goes_on_from_its_record(open_panel, qtbot, tmp_path):
    path, doc = window_project(tmp_path)
    assert run(path, "--callback", STOP_AFTER_2) == 0  # 2 of 4 epochs, kept as trained_1
    model = tmp_path / "model.runs" / "trained_1.keras"
    panel = open_panel(path, doc)
    assert [r.saved_path for r in panel.controller.runs] == [str(model)]
    assert panel.continue_to.value() == PLANNED and panel.continue_to.text().endswith(
        "(2 more)")
    panel.continue_button.click()
    fake = FakeRun.made[-1]
    assert fake.extra == {"initial_model": str(model), "initial_epoch": 2}
    assert fake.overrides["epochs"] == PLANNED
    result = train_as_the_worker(fake, qtbot, panel.controller.current)
    assert (result.initial_epoch, result.epochs_run) == (2, PLANNED), result.message
    assert len(result.history["loss"]) == keras_epochs(2, PLANNED)
    assert run_record.resume_point(run_record.read(fake.save_path)) == (PLANNED, PLANNED)


@pytest.fixture
def panel(qtbot, tmp_path):
    yield from training_panel(qtbot, tmp_path)


def test_the_record_beside_the_model_decides_where_continue_goes(panel, qtbot):
    """The events said 3 epochs of 30; the model's record says it reached epoch 2 of a
    plan to epoch 20 (a NaN epoch dropped): Continue goes by the model."""
    run, record = started(panel, qtbot)
    run.push({"event": "train_begin", "epochs": 30, "steps": 4, "samples": 120},
             *epoch(0), *epoch(1), *epoch(2))
    open(run.save_path, "wb").close()
    run_record.write(run.save_path, "sklearn:iris", {}, 2, planned=20, learning_rate=2e-4)
    run.push({"event": "result", "status": "stopped", "saved": run.save_path})
    qtbot.waitUntil(lambda: record.status == "stopped", timeout=3000)
    assert panel.continue_to.value() == 20 and panel.continue_to.minimum() == 3
    panel.continue_button.click()
    second = FakeRun.made[-1]
    assert second.extra["initial_epoch"] == 2 and second.overrides["epochs"] == 20
