"""The window's Continue reads the run record beside a run's model, as `kerascanvas run
--resume` does: it goes on from the epoch the model reached to the rest of its plan, at
the learning rate the run ended with (what ReduceLROnPlateau or a schedule had reached:
its saved optimizer's), whoever trained it. Before, it offered a tenth of the settings'
rate, and the worker wrote no record for the command to read.

The runs here are real: the command's in this process, the window's trained by the
worker's engine in this process and fed to the window through a scripted run, as its
child process would send them."""

from __future__ import annotations

import keras
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

from .training_fakes import FakeRun, epoch, start_checked, started, training_panel


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


def train_as_the_worker(fake: FakeRun, qtbot, record, sent=None) -> ev.Result:
    """Train what the window asked `fake` to, as its child would, and send the events
    (kept in `sent` too)."""
    payload = {"document": fake.document, "overrides": fake.overrides,
               "save": fake.save_path, **fake.extra}
    sent = [] if sent is None else sent
    result = train_document(payload, sent.append)
    fake.push(*(ev.to_wire(e) for e in [*sent, result]))
    qtbot.waitUntil(lambda: not record.active, timeout=10_000)
    return result


def test_continue_of_a_cli_run_goes_on_from_its_record(open_panel, qtbot, tmp_path):
    path, doc = window_project(tmp_path)
    assert run(path, "--callback", STOP_AFTER_2) == 0  # 2 of 4 epochs, kept as trained_1
    model = tmp_path / "model.runs" / "trained_1.keras"
    keras_rate = float(keras.saving.load_model(model).optimizer.learning_rate)
    panel = open_panel(path, doc)
    assert [r.saved_path for r in panel.controller.runs] == [str(model)]
    assert panel.continue_to.value() == PLANNED and panel.continue_to.text().endswith(
        "(2 more)")
    assert float(panel.continue_lr.text()) == pytest.approx(keras_rate, rel=5e-3)
    panel.continue_button.click()
    fake = FakeRun.made[-1]
    assert fake.extra == {"initial_model": str(model), "initial_epoch": 2}
    assert fake.overrides["epochs"] == PLANNED
    result = train_as_the_worker(fake, qtbot, panel.controller.current)
    assert (result.initial_epoch, result.epochs_run) == (2, PLANNED), result.message
    assert len(result.history["loss"]) == keras_epochs(2, PLANNED)
    assert run_record.resume_point(run_record.read(fake.save_path)) == (PLANNED, PLANNED)


def test_continue_offers_the_rate_keras_saved_in_the_optimizer(open_panel, qtbot, tmp_path):
    """ReduceLROnPlateau lowers the rate after each epoch's events were sent, so the last
    rate the run logged is not the one it ended with: the saved optimizer's is."""
    plateau = dict(zip(("name", "monitor", "factor", "patience", "min_delta"),
                       ("reduce_lr_on_plateau", "loss", 0.5, 0, 100), strict=True))
    path, doc = window_project(tmp_path, epochs=3, callbacks=[plateau],
                               optimizer={"name": "adam", "learning_rate": 0.01})
    panel = open_panel(path, doc)
    assert start_checked(panel, qtbot)
    record = panel.controller.current
    train_as_the_worker(FakeRun.made[-1], qtbot, record)
    assert record.status == "finished", record.message
    keras_rate = float(keras.saving.load_model(record.saved_path).optimizer.learning_rate)
    assert keras_rate < record.curves.lr.y[-1] < 0.01  # the logged rate lags a step behind
    assert float(panel.continue_lr.text()) == pytest.approx(keras_rate, rel=5e-3)
    assert "the learning rate it ended with" in panel.continue_lr.toolTip()


def test_continue_at_the_rate_offered_goes_on_with_the_schedule(open_panel, qtbot,
                                                                 tmp_path):
    """A schedule goes on from the saved step count: the rate offered (the one it ended
    with) became the schedule's initial rate and was decayed again from that step."""
    decay = dict(zip(("name", "decay_epochs", "decay_rate"), ("exponential_decay", 1, 0.5),
                     strict=True))
    path, doc = window_project(tmp_path, epochs=2, schedule=decay,
                               optimizer={"name": "adam", "learning_rate": 0.01})
    panel = open_panel(path, doc)
    assert start_checked(panel, qtbot)
    first: list = []
    train_as_the_worker(FakeRun.made[-1], qtbot, panel.controller.current, first)
    keras_rate = float(keras.saving.load_model(FakeRun.made[-1].save_path)
                       .optimizer.learning_rate)
    assert float(panel.continue_lr.text()) == pytest.approx(keras_rate, rel=5e-3)
    panel.continue_button.click()
    more: list = []
    train_as_the_worker(FakeRun.made[-1], qtbot, panel.controller.current, more)
    rates = [[e.lr for e in events if e.kind == "batch_end"] for events in (first, more)]
    step = rates[0][1] / rates[0][0]  # the schedule's decay over one batch
    assert rates[1][0] == pytest.approx(keras_rate * step, rel=5e-3)


@pytest.fixture
def panel(qtbot, tmp_path):
    yield from training_panel(qtbot, tmp_path)


def test_the_record_beside_the_model_decides_where_continue_goes(panel, qtbot):
    """The events said 3 epochs of 30 and a rate of 0.001; the model's record says it
    reached epoch 2 of a plan to epoch 20, at a rate of 0.0002 (a NaN epoch dropped, a
    reduced rate): Continue goes by the model, and says the data differs from its
    record's (the project's data setting changed since)."""
    run, record = started(panel, qtbot)
    run.push({"event": "train_begin", "epochs": 30, "steps": 4, "samples": 120},
             *epoch(0), *epoch(1), *epoch(2))
    open(run.save_path, "wb").close()
    run_record.write(run.save_path, "synthetic:64", {}, 2, planned=20, learning_rate=2e-4)
    run.push({"event": "result", "status": "stopped", "saved": run.save_path})
    qtbot.waitUntil(lambda: record.status == "stopped", timeout=3000)
    assert panel.continue_to.value() == 20 and panel.continue_to.minimum() == 3
    assert panel.continue_lr.text() == "0.0002"
    panel.continue_button.click()
    second = FakeRun.made[-1]
    assert second.extra["initial_epoch"] == 2 and second.overrides["epochs"] == 20
    assert second.overrides["optimizer"]["learning_rate"] == pytest.approx(2e-4)
    assert ("Run 2 continues Run 1 on the project's data 'sklearn:iris'; Run 1 was trained "
            "on 'synthetic:64' (its run record)") in panel.log.toPlainText()
