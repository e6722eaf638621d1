"""The Training dock with a scripted event source: progress, curves, NaN, controls, runs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from kerascanvas.app.training.controller import TrainingController
from kerascanvas.app.training.predictions import confusion_matrix
from kerascanvas.app.training.records import RunRecord
from kerascanvas.app.training.results import ResultsView
from kerascanvas.graph import commands as cmd
from kerascanvas.runtime import events as ev

from .training_fakes import (
    FakeRun,
    epoch,
    mlp,
    set_processes,
    start_checked,
    started,
    training_panel,
)


@pytest.fixture
def panel(qtbot, tmp_path):
    yield from training_panel(qtbot, tmp_path)


def test_events_update_curves_progress_and_log(panel, qtbot):
    run, record = started(panel, qtbot)
    run.push(*epoch(0))
    qtbot.waitUntil(lambda: len(record.curves.epochs.get("loss", [])) == 1, timeout=3000)
    batch = record.curves.batch_loss
    np.testing.assert_allclose(batch.x, [0.25, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(batch.y, [1.0, 0.8, 0.7, 0.6])
    assert batch.x.dtype == np.float64
    # The accuracy plot exists from the start (an expected metric); its curve comes
    # with the next redraw after the epoch's event.
    qtbot.waitUntil(lambda: ("", "val_accuracy") in panel.plots.items, timeout=3000)
    qtbot.waitUntil(lambda: panel.progress.value() == 333, timeout=3000)
    x, y = panel.plots.items[("", "val_accuracy")].getData()
    np.testing.assert_allclose(y, [0.4])
    assert "epoch 2/3" in panel.progress.format() and "ETA 00:03" in panel.progress.format()
    assert "Epoch 1/3" in panel.log.toPlainText()
    run.push(*epoch(1), *epoch(2), {"event": "train_end", "epochs_run": 3},
             {"event": "result", "status": "finished", "history": {}, "saved": None})
    qtbot.waitUntil(lambda: record.status == "finished", timeout=3000)
    assert panel.progress.value() == 1000
    assert panel.runs.topLevelItem(0).text(1) == "finished"
    assert panel.start_button.isEnabled() and not panel.stop_button.isEnabled()


def test_the_runs_list_shows_each_runs_settings_whole(panel, qtbot):
    """The settings column was about 90 px wide: every run read 'adam lr=0.0...', so runs
    with another learning rate could not be told apart."""
    panel.show()
    run, record = started(panel, qtbot)
    run.push(*epoch(0), *epoch(1), *epoch(2), {"event": "train_end", "epochs_run": 3},
             {"event": "result", "status": "finished", "history": {}, "saved": None})
    qtbot.waitUntil(lambda: record.status == "finished", timeout=3000)
    item = panel.runs.topLevelItem(0)
    for column in range(3):
        width = panel.runs.fontMetrics().horizontalAdvance(item.text(column))
        assert panel.runs.columnWidth(column) > width, item.text(column)


def test_the_executor_choice_and_its_reasons_reach_the_log(panel, qtbot):
    run, record = started(panel, qtbot)
    message = ("Executor: lean step (forward direct); not faster because the training "
               "data is not resident on the GPU (an image folder, or arrays too large "
               "for its memory).")
    run.push({"event": "executor", "path": "lean",
              "reasons": ["the training data is not resident on the GPU"],
              "message": message})
    qtbot.waitUntil(lambda: message in panel.log.toPlainText(), timeout=3000)


def test_nan_loss_is_shown_not_hidden(panel, qtbot):
    run, record = started(panel, qtbot)
    run.push(*epoch(0, losses=(1.0, 0.9, math.nan, math.nan)))
    qtbot.waitUntil(lambda: not panel.nan_label.isHidden(), timeout=3000)
    assert panel.nan_label.text() == "NaN loss at epoch 1, batch 3"
    qtbot.waitUntil(lambda: panel.plots.nan_notes == ["NaN loss at epoch 1, batch 3"],
                    timeout=3000)
    _, y = panel.plots.items[("", "batch")].getData()
    assert len(y) == 4 and np.isnan(y[2:]).all()  # kept in the curve, the line breaks
    marks = panel.plots.items[("", "nan")].getData()
    np.testing.assert_allclose(marks[0], [0.75])
    assert "NaN loss at epoch 1, batch 3" in panel.log.toPlainText()


def test_pause_resume_stop_then_continue_with_a_lower_rate(panel, qtbot, tmp_path):
    run, record = started(panel, qtbot)
    panel.pause_button.click()
    qtbot.waitUntil(lambda: record.status == "paused", timeout=3000)
    assert panel.pause_button.text() == "Resume"
    panel.pause_button.click()
    qtbot.waitUntil(lambda: record.status == "running", timeout=3000)
    run.push(*epoch(0), *epoch(1))
    panel.stop_button.click()
    assert run.commands == ["pause", "resume", "stop"] and record.status == "stopping"
    open(run.save_path, "wb").close()
    run.push({"event": "result", "status": "stopped", "saved": run.save_path})
    qtbot.waitUntil(lambda: record.status == "stopped", timeout=3000)
    # It offers the rate the run ended with (its last logged one: the fake saved no
    # model, so no run record); a lower one typed is the one the continuation gets.
    assert panel.continue_button.isEnabled() and panel.continue_lr.text() == "0.001"
    panel.continue_lr.setText("0.0001")
    panel.continue_button.click()
    second = FakeRun.made[-1]
    assert second.extra == {"initial_model": run.save_path, "initial_epoch": 2}
    assert second.overrides["optimizer"]["learning_rate"] == pytest.approx(1e-4)
    assert second.overrides["epochs"] == 3  # the rest of the plan: fit(epochs=3, initial_epoch=2)
    resumed = panel.controller.current
    second.push({"event": "train_begin", "epochs": 3, "steps": 4}, *epoch(2))
    qtbot.waitUntil(lambda: len(resumed.curves.epochs["loss"]) == 3, timeout=3000)
    np.testing.assert_allclose(resumed.curves.epochs["loss"].x, [1, 2, 3])
    assert resumed.resumed_from == record.number and len(record.curves.epochs["loss"]) == 2


def test_continuing_a_run_stopped_mid_epoch_trains_that_epoch_again(panel, qtbot):
    run, record = started(panel, qtbot)
    partial = [{"event": "batch_end", "epoch": 1, "batch": b, "steps": 4,
                "logs": {"loss": 0.5}} for b in range(2)]
    run.push(*epoch(0), {"event": "epoch_begin", "epoch": 1}, *partial)
    open(run.save_path, "wb").close()
    run.push({"event": "result", "status": "stopped", "saved": run.save_path,
              "message": "Stopped on request during epoch 2, after 2 of 4 batches"})
    qtbot.waitUntil(lambda: record.status == "stopped", timeout=3000)
    assert record.epochs_done == 1
    np.testing.assert_allclose(record.curves.batch_loss.x[-2:], [1.25, 1.5])
    assert record.curves.last_epoch == 2  # the epoch axis ends where the run did, not at 3
    panel.continue_button.click()
    second = FakeRun.made[-1]
    assert second.extra["initial_epoch"] == 1
    # The batches of the cut epoch are trained again: their old points are left out.
    np.testing.assert_allclose(panel.controller.current.curves.batch_loss.x,
                               [0.25, 0.5, 0.75, 1.0])
    assert len(record.curves.batch_loss) == 6


def test_continued_run_numbered_from_zero_is_shifted(qtbot, tmp_path):
    FakeRun.made.clear()
    controller = TrainingController(FakeRun, save_dir=str(tmp_path), poll_interval=0.005)
    first = controller.start(mlp())
    FakeRun.made[-1].push(*epoch(0), {"event": "result", "status": "stopped",
                                      "saved": str(tmp_path / "m.keras")})
    (tmp_path / "m.keras").write_bytes(b"")
    qtbot.waitUntil(lambda: first.status == "stopped", timeout=3000)
    second = controller.start(mlp(), resume_from=first)
    FakeRun.made[-1].push(*epoch(0))
    qtbot.waitUntil(lambda: len(second.curves.epochs.get("loss", [])) == 2, timeout=3000)
    np.testing.assert_allclose(second.curves.epochs["loss"].x, [1, 2])
    np.testing.assert_allclose(second.curves.batch_loss.x[-1], 2.0)
    controller.shutdown()


def test_a_run_whose_process_cannot_start_is_told_and_the_next_start_is_free(
        panel, qtbot, monkeypatch):
    """A worker process that cannot be started (a launcher missing, no memory) left its
    run "starting" for ever, and every later Start was refused as "still starting"."""
    def no_process(self):
        raise OSError("[Errno 12] Cannot allocate memory")

    monkeypatch.setattr(FakeRun, "start", no_process)
    assert not panel.start()
    assert "could not start: [Errno 12] Cannot allocate memory" in panel.log.toPlainText()
    assert panel.controller.runs == [] and panel.runs.topLevelItemCount() == 0
    assert panel.start_button.isEnabled()
    monkeypatch.undo()
    assert start_checked(panel, qtbot) and panel.controller.current.status == "running"


@pytest.mark.parametrize("events, says", [
    ([{"event": "epoch_begin", "epoch": 1},
      {"event": "batch_end", "epoch": 1, "batch": 2, "steps": 4, "logs": {"loss": 0.5}}],
     "Training was killed during epoch 2, at batch 3 of 4 (epoch 1 was the last complete "
     "one); the model was not saved. The curves and metrics up to epoch 1 are kept in the "
     "run."),
    ([], "Training was killed after epoch 1; the model was not saved. The curves and "
         "metrics up to epoch 1 are kept in the run."),
])
def test_a_kill_that_kept_no_model_says_where_training_was(panel, qtbot, events, says):
    """'Training was killed; the model was not saved.' said nothing of the epochs trained,
    whose curves and metrics the run keeps."""
    run, record = started(panel, qtbot)
    run.push(*epoch(0), *events)
    qtbot.waitUntil(lambda: record.epochs_done == 1 and (not events or record.batch == 2),
                    timeout=3000)
    panel.kill_button.click()
    qtbot.waitUntil(lambda: bool(record.message), timeout=3000)  # the result comes later
    assert record.status == "killed" and record.message == says


def test_killed_run_is_marked_and_the_panel_stays_usable(panel, qtbot):
    run, record = started(panel, qtbot)
    run.push(*epoch(0))
    qtbot.waitUntil(lambda: record.epochs_done == 1, timeout=3000)
    panel.kill_button.click()
    assert record.status == "killed"
    qtbot.waitUntil(lambda: run.commands == ["kill"], timeout=3000)
    run.push(*epoch(1))  # late events of a killed run change nothing
    ticks = []
    QtCore.QTimer.singleShot(10, lambda: ticks.append(1))
    qtbot.waitUntil(lambda: ticks == [1], timeout=1000)
    assert record.epochs_done == 1 and panel.runs.topLevelItem(0).text(1) == "killed"
    assert "killed" in panel.progress.format()
    assert panel.start_button.isEnabled() and not panel.kill_button.isEnabled()
    assert start_checked(panel, qtbot) and len(panel.controller.runs) == 2


def test_failed_result_message_reaches_log_and_results(panel, qtbot):
    run, record = started(panel, qtbot)
    run.push({"event": "result", "status": "failed", "message": "Out of memory on cuda"})
    qtbot.waitUntil(lambda: record.status == "failed", timeout=3000)
    assert "Out of memory on cuda" in panel.log.toPlainText()
    assert "Out of memory on cuda" in panel.results.title.text()
    assert not panel.results.save_button.isEnabled()


def test_earlier_runs_are_overlaid_when_checked(panel, qtbot):
    run, first = started(panel, qtbot)
    run.push(*epoch(0), {"event": "result", "status": "finished"})
    qtbot.waitUntil(lambda: first.status == "finished", timeout=3000)
    assert start_checked(panel, qtbot)
    panel.runs.topLevelItem(0).setCheckState(0, QtCore.Qt.Checked)
    assert panel.plots.overlays[0][:2] == ("Run 1", first.curves)
    qtbot.waitUntil(lambda: ("Run 1", "loss") in panel.plots.items, timeout=3000)
    np.testing.assert_allclose(panel.plots.items[("Run 1", "loss")].getData()[1], [0.6])
    assert "Run 1" in panel.runs.topLevelItem(0).text(0)
    assert "loss 0.6" in panel.runs.topLevelItem(0).text(3)


def test_the_controller_refuses_plain_dicts_from_a_producer(panel, qtbot):
    run, record = started(panel, qtbot)
    raw = {"event": "epoch_end", "epoch": 0, "logs": {"loss": 0.5}}
    with pytest.raises(TypeError, match=r"Expected a training event .*received dict"):
        panel.controller.apply_events(record, [raw])
    assert record.epochs_done == 0
    panel.controller.apply_events(record, [ev.from_wire(raw)])
    assert record.epochs_done == 1 and record.final_metrics == {"loss": 0.5}


def test_refuses_a_model_without_outputs(panel):
    panel.doc.outputs = []
    assert not panel.start()
    assert "no output" in panel.log.toPlainText() and not FakeRun.made


def test_start_reads_the_projects_live_analysis(panel, qtbot):
    analysis = panel.project.analysis
    panel.project.push(cmd.Disconnect(panel.doc, panel.doc.edges[0]))  # "out" has no input
    assert panel.project.analysis is not analysis
    errors = [i.message for i in panel.project.analysis.errors]
    assert errors and not panel.start() and not FakeRun.made
    assert errors[0] in panel.log.toPlainText()
    panel.project.stack.undo()
    assert start_checked(panel, qtbot)


# ---- data preview ---------------------------------------------------------------------


def test_confusion_matrix_matches_scikit_learn():
    from sklearn.metrics import confusion_matrix as reference

    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 4, 200)
    scores = rng.random((200, 4))
    expected = reference(y_true, scores.argmax(-1), labels=range(4))
    np.testing.assert_array_equal(confusion_matrix(y_true, scores), expected)
    np.testing.assert_array_equal(confusion_matrix(np.eye(4)[y_true], scores), expected)
    sigmoid = rng.random((50, 1))
    binary = rng.integers(0, 2, 50)
    np.testing.assert_array_equal(confusion_matrix(binary, sigmoid),
                                  reference(binary, (sigmoid[:, 0] > 0.5).astype(int)))


def test_results_view_shows_evaluation_and_saves_the_model(qtbot, tmp_path):
    rng = np.random.default_rng(1)
    y_true, y_pred = rng.integers(0, 3, 30), rng.random((30, 3))
    images = rng.random((30, 8, 8, 1))
    np.savez(tmp_path / "p.npz", y_true=y_true, y_pred=y_pred, x=images,
             class_names=np.array(["a", "b", "c"]))
    (tmp_path / "m.keras").write_bytes(b"model bytes")
    record = RunRecord(1, {}, status="finished", saved_path=str(tmp_path / "m.keras"))
    record.curves.add_epoch(0, {"loss": 0.5, "val_loss": 0.7, "accuracy": 0.8})
    record.result = ev.Result(ev.FINISHED, evaluation={
        "split": "test", "metrics": {"loss": 0.75}, "predictions": str(tmp_path / "p.npz")})
    view = ResultsView()
    qtbot.addWidget(view)
    view.show_run(record)
    table = view.metrics
    assert [table.item(0, c).text() for c in range(4)] == ["loss", "0.5", "0.7", "0.75"]
    expected = np.bincount(3 * y_true + y_pred.argmax(-1), minlength=9).reshape(3, 3)
    shown = [[int(view.confusion.item(i, j).text()) for j in range(3)] for i in range(3)]
    np.testing.assert_array_equal(shown, expected)
    assert view.confusion.verticalHeaderItem(2).text() == "true c"
    assert view.samples_grid.count() == 18
    saved = view.save_model(str(tmp_path / "out"))
    record.result = ev.Result(ev.FINISHED, metrics={"loss": 0.25}, evaluated_on="validation")
    view.show_run(record)
    assert "evaluated on validation data" in view.title.text()
    assert view.metrics.horizontalHeaderItem(3).text() == "validation\n(final evaluation)"
    assert view.metrics.item(0, 3).text() == "0.25" and view.confusion.rowCount() == 0
    assert saved.endswith("out.keras") and open(saved, "rb").read() == b"model bytes"


def test_curves_continue_across_the_two_fine_tuning_phases(panel, qtbot):
    # The engine sends train_begin once per phase; phase 2 goes on from initial_epoch.
    run, record = started(panel, qtbot)
    run.push(*epoch(0))
    run.push({"event": "train_begin", "epochs": 3, "steps": 4, "samples": 120,
              "initial_epoch": 1}, *epoch(1, losses=(0.5, 0.5, 0.5, 0.5)), *epoch(2))
    qtbot.waitUntil(lambda: len(record.curves.epochs.get("loss", [])) == 3, timeout=3000)
    loss = record.curves.epochs["loss"]
    np.testing.assert_allclose(loss.x, [1.0, 2.0, 3.0])
    np.testing.assert_allclose(loss.y, [0.6, 0.5, 0.6])
    assert len(record.curves.batch_loss.x) == 12  # batch curve not reset either


def test_several_processes_reach_the_worker_and_the_run_list(panel, qtbot):
    from PySide6.QtTest import QTest

    panel.doc.training = {**panel.doc.training, "batch_size": 32}
    assert panel.processes.label.text() in ("processes", "GPUs")
    set_processes(panel, qtbot, 2)
    QTest.mouseClick(panel.start_button, QtCore.Qt.LeftButton)
    run, record = FakeRun.made[-1], panel.controller.current
    assert run.extra == {"processes": 2} and record.processes == 2
    assert "processes=2" in panel.runs.topLevelItem(0).text(2)
    assert not panel.processes.isEnabled()  # fixed while the run is active
    run.push({"event": "result", "status": "finished", "history": {}, "saved": None})
    qtbot.waitUntil(lambda: record.status == "finished", timeout=3000)
    assert panel.processes.isEnabled()


def test_a_batch_the_processes_cannot_share_is_refused(panel, qtbot):
    panel.doc.training = {**panel.doc.training, "batch_size": 33}
    set_processes(panel, qtbot, 2)
    assert not panel.start()
    assert "batch_size 33 is the global batch" in panel.log.toPlainText()
    assert not FakeRun.made


def test_a_new_run_starts_with_clean_axes(panel, qtbot):
    from PySide6.QtTest import QTest

    panel.resize(900, 600)
    panel.show()
    run, first = started(panel, qtbot)
    run.push({"event": "train_begin", "epochs": 40, "steps": 4},
             *epoch(0, losses=(900.0, 700.0, 600.0, 500.0), val_loss=800.0, lr=0.5),
             *epoch(39, losses=(400.0, 300.0, 200.0, 100.0), val_loss=300.0, lr=0.4),
             {"event": "result", "status": "finished"})
    qtbot.waitUntil(lambda: first.status == "finished", timeout=3000)
    qtbot.waitUntil(lambda: "loss" in panel.plots.plots, timeout=3000)
    loss = panel.plots.plots["loss"]
    qtbot.waitUntil(lambda: loss.viewRange()[1][1] > 800, timeout=3000)
    assert loss.viewRange()[0][1] >= 40
    QTest.mouseClick(panel.start_button, QtCore.Qt.LeftButton)
    second = panel.controller.current
    assert second is not first
    count = panel.plots.redraw_count
    qtbot.waitUntil(lambda: panel.plots.redraw_count > count, timeout=3000)
    # No data yet: nothing of run 1's ranges (losses up to 900, 40 epochs, lr 0.4-0.5).
    for name, plot in panel.plots.plots.items():
        (x_low, x_high), (y_low, y_high) = plot.viewRange()
        assert x_high < 40 and y_high < 100, (name, plot.viewRange())
    low, high = panel.plots.lr_axis_range()
    assert not low < 0.45 < high
    FakeRun.made[-1].push({"event": "train_begin", "epochs": 3, "steps": 4})
    # 3 and its padding, which grows as the plot narrows (not run 1's 40)
    qtbot.waitUntil(lambda: abs(loss.viewRange()[0][1] - 3) < 0.5, timeout=3000)


def test_a_failed_run_shows_why(panel, qtbot):
    run, record = started(panel, qtbot)
    with qtbot.waitSignal(panel.status_message, timeout=3000) as said:
        run.push({"event": "result", "status": "failed",
                  "message": "Could not read x.npz: No such file or directory"})
    assert said.args[0] == "Run 1 failed: Could not read x.npz: No such file or directory"
    assert panel.tabs.currentWidget() is panel.results
    assert "No such file" in panel.results.title.text()


def test_legends_name_only_the_curves_drawn(panel, qtbot):
    """A new run's empty plots listed the previous run's curves; an unchecked overlay
    stayed in the legend."""
    def names():
        plot = panel.plots.plots.get("loss")
        return None if plot is None else sorted(label.text for _, label in plot.legend.items)

    run, first = started(panel, qtbot)
    run.push(*epoch(0), {"event": "result", "status": "finished"})
    qtbot.waitUntil(lambda: first.status == "finished", timeout=3000)
    qtbot.waitUntil(lambda: names() == ["batch loss", "train", "validation"], timeout=3000)
    assert start_checked(panel, qtbot)
    qtbot.waitUntil(lambda: names() == [], timeout=3000)
    item = panel.runs.topLevelItem(0)
    item.setCheckState(0, QtCore.Qt.Checked)
    qtbot.waitUntil(lambda: names() == ["Run 1 train", "Run 1 validation"], timeout=3000)
    item.setCheckState(0, QtCore.Qt.Unchecked)
    qtbot.waitUntil(lambda: names() == [], timeout=3000)


def test_beside_earlier_runs_the_legend_names_the_run_shown(panel, qtbot):
    """Run 2 drawn over Run 1 listed 'train' beside 'Run 1 train': which run was 'train'
    was left to guess. Alone, its curves keep their short names."""
    def names():  # None while the plots are being rebuilt
        plot = panel.plots.plots.get("loss")
        return None if plot is None else sorted(label.text for _, label in plot.legend.items)

    run, first = started(panel, qtbot)
    run.push(*epoch(0), {"event": "result", "status": "finished"})
    qtbot.waitUntil(lambda: first.status == "finished", timeout=3000)
    assert start_checked(panel, qtbot)
    second = FakeRun.made[-1]
    second.push({"event": "train_begin", "epochs": 3, "steps": 4}, *epoch(0))
    qtbot.waitUntil(lambda: names() == ["batch loss", "train", "validation"], timeout=3000)
    panel.runs.topLevelItem(0).setCheckState(0, QtCore.Qt.Checked)
    qtbot.waitUntil(lambda: names() == ["Run 1 train", "Run 1 validation", "Run 2 batch loss",
                                        "Run 2 train", "Run 2 validation"], timeout=3000)
    panel.runs.topLevelItem(0).setCheckState(0, QtCore.Qt.Unchecked)
    qtbot.waitUntil(lambda: names() == ["batch loss", "train", "validation"], timeout=3000)
    second.push({"event": "result", "status": "finished"})


def test_the_continue_rate_follows_the_project_shown(panel, qtbot, tmp_path):
    panel.doc.training = {**panel.doc.training, "optimizer": {"name": "sgd",
                                                              "learning_rate": 0.5}}
    run, record = started(panel, qtbot)
    run.push({"event": "result", "status": "finished"})
    qtbot.waitUntil(lambda: record.status == "finished", timeout=3000)
    assert panel.continue_lr.text() == "0.5"  # it logged no rate: its settings' rate
    panel.follow_project(str(tmp_path / "other" / "net.json"))  # a project with no runs
    assert panel.continue_lr.text() == "" and not panel.continue_button.isEnabled()


def test_the_settings_column_shows_its_fields_whole(panel, qtbot):
    """In a dock as wide as the window's, the settings column needs no sideways scrolling:
    a share of the width cut its fields off."""
    panel.resize(1300, 360)
    panel.show()
    qtbot.waitExposed(panel)
    QtWidgets.QApplication.processEvents()
    scroll = panel.settings_scroll
    assert scroll.horizontalScrollBar().maximum() == 0
    assert scroll.viewport().width() >= scroll.widget().minimumSizeHint().width()
