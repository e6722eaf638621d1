"""A run that EarlyStopping ended: the Runs table and the results show the metrics of
the epoch whose weights it kept, and the progress bar shows the run as finished."""

from __future__ import annotations

import pytest

from kerascanvas.app.training.records import RunRecord, progress_text
from kerascanvas.runtime import events as ev

from .training_fakes import epoch, started, training_panel


@pytest.fixture
def panel(qtbot, tmp_path):
    yield from training_panel(qtbot, tmp_path)


def _early_stop(run, record, qtbot, kept: int | None):
    """Three epochs of a run set to 30 (accuracy 0.5, 0.9, 0.6), then the result of
    early stopping, with the weights of epoch `kept` restored (or none)."""
    run.push({"event": "train_begin", "epochs": 30, "steps": 4, "samples": 120})
    run.push(*epoch(0, accuracy=0.5), *epoch(1, accuracy=0.9, val_loss=0.4),
             *epoch(2, accuracy=0.6, val_loss=0.8))
    history = {"loss": [0.6, 0.6, 0.6], "accuracy": [0.5, 0.9, 0.6],
               "val_loss": [0.9, 0.4, 0.8], "val_accuracy": [0.4, 0.8, 0.5]}
    run.push({"event": "result", "status": "finished", "epochs_run": 3, "saved": None,
              "history": history, "early_stopped": 3, "kept_epoch": kept})
    qtbot.waitUntil(lambda: record.status == "finished", timeout=3000)


def test_restored_best_weights_show_the_kept_epochs_metrics(panel, qtbot):
    """The table showed epoch 3's accuracy 0.6 for a model holding epoch 2's weights."""
    run, record = started(panel, qtbot)
    _early_stop(run, record, qtbot, kept=2)
    metrics = panel.runs.topLevelItem(0).text(3)
    assert metrics.startswith("epoch 2/30 (best, weights kept): "), metrics
    assert "accuracy 0.9" in metrics and "val_loss 0.4" in metrics
    table = panel.results.metrics
    headers = [" ".join(table.horizontalHeaderItem(c).text().split())  # on two lines
               for c in range(table.columnCount())]
    assert headers[1:3] == ["training (epoch 2, weights kept)",
                            "validation (epoch 2, weights kept)"]
    rows = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    assert float(rows["accuracy"]) == pytest.approx(0.9)


def test_an_early_stop_fills_the_progress_bar_and_says_why(panel, qtbot):
    """The bar stayed at 3/30 of its length, as if the run had been cut off."""
    run, record = started(panel, qtbot)
    _early_stop(run, record, qtbot, kept=2)
    bar = panel.progress
    assert bar.value() == bar.maximum()
    assert bar.format() == ("Run 1 finished · early stopping after epoch 3 of 30, "
                            "weights of epoch 2 kept")


@pytest.mark.parametrize("status, fraction", [("finished", 1.0), ("stopped", 0.1)])
def test_only_a_finished_run_counts_as_done(status, fraction):
    """A run stopped on request keeps the share it trained; an early stop finished."""
    result = ev.Result(status, early_stopped=3 if status == "finished" else None)
    record = RunRecord(1, {}, status=status, epochs=30, epoch=3, result=result)
    assert record.fraction == pytest.approx(fraction)
    assert progress_text(record).startswith(f"Run 1 {status}")


def test_without_restored_weights_the_last_epoch_is_shown(panel, qtbot):
    run, record = started(panel, qtbot)
    _early_stop(run, record, qtbot, kept=None)
    assert panel.runs.topLevelItem(0).text(3).startswith("epoch 3/30: ")
    assert panel.progress.format().endswith("early stopping after epoch 3 of 30")


@pytest.mark.parametrize("status, fields, text", [
    ("running", {}, "Run 1 starting: loading Keras, reading the data, building the model…"),
    ("stopping", {}, "stopping…"),
    ("paused", {"epochs": 6, "epoch": 3, "batch": 17, "steps": 23, "eta_s": 5.0},
     "paused · epoch 4/6 · batch 18/23 · 00:05 left once resumed"),
    ("running", {"epochs": 6, "epoch": 3, "batch": 17, "steps": 23, "eta_s": 5.0},
     "running · epoch 4/6 · batch 18/23 · ETA 00:05"),
])
def test_the_progress_line_says_what_an_active_run_is_doing(status, fields, text):
    """Before its first event a run said "running…" for a minute or more (Keras loading,
    the data read); a paused run gave an ETA that was not running."""
    assert progress_text(RunRecord(1, {}, status=status, **fields)) == text
