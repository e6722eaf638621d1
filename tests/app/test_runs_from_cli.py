"""The Training tab lists the runs `kerascanvas run` kept beside the project, keeps them
when it writes its own, and says which epoch a NaN run dropped from the result's fields."""

from __future__ import annotations

import pytest
from PySide6 import QtCore
from PySide6.QtTest import QTest

from kerascanvas.graph import projectfile
from kerascanvas.runtime.cli.kept_runs import list_run
from kerascanvas.runtime.train import NAN, TrainResult

from .gestures import show
from .test_training_project import run_once, shown_runs
from .training_fakes import epoch, mlp, started, training_panel


def cli_kept_run(project) -> TrainResult:
    """What `kerascanvas run` lists after a NaN loss at epoch 2 (kept as stopped_1.keras)."""
    folder = project.with_name(project.stem + ".runs")
    saved = folder / "stopped_1.keras"
    saved.write_bytes(b"a kept model")
    result = TrainResult(NAN, "The loss became NaN or infinite at epoch 2.",
                         history={"loss": [0.75]}, epochs_run=1, settings={"epochs": 3},
                         saved=str(saved), dropped_epoch=2, nan_losses=("loss",))
    list_run(result, project)
    return result


def test_a_run_the_command_kept_is_listed_and_survives_the_windows_next_run(
        make_window, qtbot, tmp_path):
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    projectfile.save(mlp(), first)
    projectfile.save(mlp(), second)
    window = show(make_window(str(first)), qtbot)
    run_once(window, qtbot, loss=0.25)
    cli_kept_run(first)  # while the window is open: the index now has it as Run 2
    # The window's next run is numbered past it: the number the command printed stays.
    assert run_once(window, qtbot, loss=0.125).number == 3
    window.open_path(str(second), ask=False)
    window.open_path(str(first), ask=False)
    panel = window.training_panel()
    qtbot.waitUntil(lambda: not panel.reader.busy, timeout=10_000)  # read in the background
    assert shown_runs(panel) == [("Run 1", "finished"), ("Run 2", "failed"),
                                 ("Run 3", "finished")]
    kept = panel.controller.runs[1]
    assert kept.saved_path == str(tmp_path / "first.runs" / "stopped_1.keras")
    assert kept.final_metrics == {"loss": 0.75}  # the kept epoch's, not the NaN one's
    assert kept.dropped_note.startswith("Epoch 2 was dropped (loss not finite)")
    assert run_once(window, qtbot, loss=0.5).number == 4  # numbering goes on past it


@pytest.fixture
def panel(qtbot, tmp_path):
    yield from training_panel(qtbot, tmp_path)


def nan_result(**fields) -> dict:
    return {"event": "result", "status": "failed", "nan": True, "epochs_run": 1,
            "message": "The loss became NaN.", "history": {"loss": [0.6]}, **fields}


def test_the_nan_line_reads_the_dropped_epoch_from_the_results_fields(panel, qtbot):
    run, record = started(panel, qtbot)
    run.push(*epoch(0), *epoch(1, losses=(0.6, float("nan"), float("nan"), float("nan"))),
             nan_result(dropped_epoch=2, nan_losses=["loss", "out_loss"]))
    qtbot.waitUntil(lambda: record.status == "failed", timeout=5000)
    assert panel.nan_label.text() == ("Run 1: Epoch 2 was dropped (loss, out_loss not "
                                      "finite); the weights of epoch 1 were kept, with its "
                                      "metrics.")


def test_a_result_written_before_the_fields_leaves_the_live_nan_line(panel, qtbot):
    run, record = started(panel, qtbot)
    run.push(*epoch(0), *epoch(1, losses=(0.6, float("nan"), float("nan"), float("nan"))),
             nan_result())
    qtbot.waitUntil(lambda: record.status == "failed", timeout=5000)
    assert record.dropped_note == ""
    assert panel.nan_label.text() == "NaN loss at epoch 2, batch 2"


def test_a_finished_command_run_shows_with_its_model_and_one_kept_without(
        make_window, qtbot, tmp_path):
    """Two runs `kerascanvas run` trained to their end: one kept its model in the runs
    folder, one did not (--no-keep). Both show; only the first can be continued."""
    path = tmp_path / "net.json"
    projectfile.save(mlp(), path)
    kept = tmp_path / "net.runs" / "trained_1.keras"
    kept.parent.mkdir()
    kept.write_bytes(b"a kept model")
    for saved in (str(kept), None):
        list_run(TrainResult("ok", history={"loss": [0.5, 0.25]}, epochs_run=2,
                             settings={"epochs": 2, "optimizer": {"name": "adam"}},
                             saved=saved), path)
    window = show(make_window(str(path)), qtbot)
    panel = window.training_panel()
    qtbot.waitUntil(lambda: not panel.reader.busy and panel.runs.topLevelItemCount() == 2,
                    timeout=10_000)
    assert shown_runs(panel) == [("Run 1", "finished"), ("Run 2", "finished")]
    # The last run is shown: no model, so no Save and no Continue, and the title says so.
    assert "kerascanvas run kept no model of this run." in panel.results.title.text()
    assert not panel.results.save_button.isEnabled()
    assert not panel.continue_button.isEnabled()
    first = panel.runs.topLevelItem(0)
    panel.runs.scrollToItem(first)
    QTest.mouseClick(panel.runs.viewport(), QtCore.Qt.LeftButton,
                     pos=panel.runs.visualItemRect(first).center())
    assert panel.runs.currentItem() is first
    assert panel.continue_button.isEnabled()  # its model is there to continue from
    assert panel.controller.runs[0].saved_path == str(kept)


def test_an_index_written_with_the_learning_rate_as_a_metric_reads_without_it(tmp_path):
    """Earlier `kerascanvas run`s listed Keras' `learning_rate` log (ReduceLROnPlateau
    adds it) among a run's epoch curves: read back, it is the rate curve only."""
    from kerascanvas.app.training.history import load_runs
    from kerascanvas.runtime import run_record

    curves = {"batch_loss": [[], []], "lr": [[1.0], [0.003]], "last_epoch": 1,
              "epochs": {"loss": [[1.0], [0.5]], "learning_rate": [[1.0], [0.003]]}}
    run_record.merge_index(tmp_path, [{"number": 1, "status": "finished", "settings": {},
                                       "curves": curves}])
    (record,), problem = load_runs(tmp_path)
    assert problem is None
    assert list(record.curves.epochs) == ["loss"] and record.final_metrics == {"loss": 0.5}
    assert list(record.curves.lr.y) == [0.003]
