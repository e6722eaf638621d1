"""The Runs table: what a run's settings column says, and runs another process lists in
the project's runs index appearing while the window is open."""

from __future__ import annotations

import pytest
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from kerascanvas.graph import projectfile
from kerascanvas.runtime import run_record
from kerascanvas.runtime.cli.kept_runs import list_run
from kerascanvas.runtime.train import TrainResult

from .gestures import show
from .test_training_project import run_once, shown_runs
from .training_fakes import FakeRun, epoch, mlp, started, training_panel


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


def numbers_in_index(folder) -> list[tuple[int, str]]:
    return [(e["number"], e["status"]) for e in run_record.read_index(folder)]


def test_a_run_number_printed_by_the_command_stays_while_the_window_continues_a_run(
        qtbot, tmp_path, capsys):
    """Start, Stop, Continue in the window; `kerascanvas run` lists its run while the
    continued one trains, and prints its number; the window's run then ends."""
    project = tmp_path / "p.json"
    panel = next(gen := training_panel(qtbot, project.with_name("p.runs")))
    run, record = started(panel, qtbot)
    run.push(*epoch(0))
    panel.stop_button.click()
    open(run.save_path, "wb").close()
    run.push({"event": "result", "status": "stopped", "saved": run.save_path})
    qtbot.waitUntil(lambda: record.status == "stopped", timeout=3000)
    QTest.mouseClick(panel.continue_button, QtCore.Qt.LeftButton)
    resumed = panel.controller.current
    assert resumed.label == "Run 2" and panel.runs.topLevelItem(1).text(0) == "Run 2"
    assert list_run(TrainResult("ok", history={"loss": [0.5]}, epochs_run=1,
                                settings={"epochs": 1}), project) == 3
    assert "listed as Run 3 in" in capsys.readouterr().err
    FakeRun.made[-1].push({"event": "result", "status": "finished", "history": {},
                           "saved": None})
    qtbot.waitUntil(lambda: resumed.status == "finished" and not panel.index_writes.busy,
                    timeout=3000)  # its end is written off the GUI thread
    assert resumed.number == 2 and panel.runs.topLevelItem(1).text(0) == "Run 2"
    assert numbers_in_index(project.with_name("p.runs")) == [
        (1, "stopped"), (2, "finished"), (3, "finished")]
    next(gen, None)


def opened(make_window, qtbot, project):
    """A window on a new project saved at `project`, its runs read; (window, panel)."""
    projectfile.save(mlp(), project)
    window = show(make_window(str(project)), qtbot)
    panel = window.training_panel()
    qtbot.waitUntil(lambda: not panel.reader.busy, timeout=10_000)
    return window, panel


def test_a_run_the_command_lists_while_the_window_is_open_appears_live(
        make_window, qtbot, tmp_path):
    project = tmp_path / "net.json"
    window, panel = opened(make_window, qtbot, project)
    assert run_once(window, qtbot, loss=0.25).number == 1
    for rows, status in ((2, "ok"), (3, "stopped")):  # the folder and index exist now
        list_run(TrainResult(status, history={"loss": [0.5]}, epochs_run=1,
                             settings={"epochs": 1, "mixed_precision": "mixed_float16"}),
                 project)
        qtbot.waitUntil(lambda n=rows: panel.runs.topLevelItemCount() == n, timeout=5000)
    assert shown_runs(panel) == [("Run 1", "finished"), ("Run 2", "finished"),
                                 ("Run 3", "stopped")]
    assert panel.runs.topLevelItem(2).text(2).endswith("mixed_float16")
    assert run_once(window, qtbot, loss=0.125).number == 4  # numbered past them
    qtbot.wait(400)  # its own write is not listed twice
    assert [r.number for r in panel.controller.runs] == [1, 2, 3, 4]


def test_the_first_run_of_a_project_without_a_runs_folder_appears_live(
        make_window, qtbot, tmp_path):
    project = tmp_path / "new.json"
    _, panel = opened(make_window, qtbot, project)
    assert not project.with_name("new.runs").exists()
    list_run(TrainResult("ok", history={"loss": [0.5]}, epochs_run=1,
                         settings={"epochs": 1}), project)
    qtbot.waitUntil(lambda: panel.runs.topLevelItemCount() == 1, timeout=5000)
    assert shown_runs(panel) == [("Run 1", "finished")]


def test_clicking_a_run_shows_its_results_curves_and_continue_rate(panel, qtbot):
    """The Results tab, the curves and the rate Continue suggests were always the last
    run's, while Continue continues the run picked in the Runs tab."""
    records = []
    for lr, loss in ((0.01, 0.5), (0.2, 0.25)):
        panel.doc.training = {**panel.doc.training, "optimizer": {"name": "adam",
                                                                  "learning_rate": lr}}
        run, record = started(panel, qtbot)
        run.push(*epoch(0, losses=(loss,)), {"event": "result", "status": "finished",
                                             "history": {"loss": [loss]}, "saved": None})
        qtbot.waitUntil(lambda r=record: r.status == "finished", timeout=3000)
        records.append(record)
    first = panel.runs.topLevelItem(0)
    QTest.mouseClick(panel.runs.viewport(), QtCore.Qt.LeftButton,
                     pos=panel.runs.visualItemRect(first).center())
    assert panel._selected_run() is records[0]
    assert panel.results.record is records[0]
    assert panel.results.title.text().startswith("Run 1: finished")
    assert panel.plots.current is records[0].curves
    assert float(panel.continue_lr.text()) == pytest.approx(0.001)


def test_runs_removed_or_renumbered_on_disk_follow_in_the_list(make_window, qtbot, tmp_path):
    """The list only ever added runs: one whose entry was deleted from the index stayed
    listed (and the window's next run wrote it back), one renumbered kept its old number,
    and a runs folder deleted left every run listed."""
    import json
    import shutil

    project = tmp_path / "net.json"
    window, panel = opened(make_window, qtbot, project)
    run_once(window, qtbot, loss=0.25)
    folder = project.with_name("net.runs")
    for status in ("ok", "stopped"):
        list_run(TrainResult(status, history={"loss": [0.5]}, epochs_run=1,
                             settings={"epochs": 1}), project)
    qtbot.waitUntil(lambda: panel.runs.topLevelItemCount() == 3, timeout=5000)
    entries = run_record.read_index(folder)
    del entries[1]
    entries[1]["number"] = 7
    projectfile.write_text_atomic(folder / run_record.INDEX, json.dumps({"runs": entries}))
    qtbot.waitUntil(lambda: shown_runs(panel) == [("Run 1", "finished"), ("Run 7", "stopped")],
                    timeout=5000)
    assert [r.number for r in panel.controller.runs] == [1, 7]
    assert run_once(window, qtbot, loss=0.125).number not in (1, 2, 7)
    numbers = [n for n, _ in numbers_in_index(folder)]
    assert 2 not in numbers and numbers.count(7) == 1  # not written back, nor twice
    shutil.rmtree(folder)
    qtbot.waitUntil(lambda: panel.runs.topLevelItemCount() == 0, timeout=5000)
    assert panel.controller.runs == []


def test_a_stopped_runs_metrics_say_which_epoch_they_are_from(panel, qtbot):
    """A run stopped in epoch 3 of 3 lists the metrics of epoch 2, and says so: the
    settings column's `epochs=3` alone read as if the run had trained them all."""
    run, record = started(panel, qtbot)
    run.push(*epoch(0), *epoch(1, accuracy=0.75), {"event": "epoch_begin", "epoch": 2})
    panel.stop_button.click()
    run.push({"event": "result", "status": "stopped", "saved": None})
    qtbot.waitUntil(lambda: record.status == "stopped", timeout=3000)
    metrics = panel.runs.topLevelItem(0).text(3)
    assert metrics.startswith("epoch 2/3: "), metrics
    assert "accuracy 0.75" in metrics


@pytest.mark.parametrize("status, message", [
    ("failed", "/data/t.csv, row 19: column 'sl' is empty"),
    ("killed", "Training was killed; the model was not saved."),
])
def test_a_run_that_ended_without_metrics_says_why_in_their_column(panel, qtbot, status,
                                                                    message):
    """A run refused by its data, or killed before its first epoch, has no metrics: the
    column gives the first line of its message (it stood empty beside "failed")."""
    run, record = started(panel, qtbot)
    run.push({"event": "result", "status": status, "message": f"{message}\nDetails: more"})
    qtbot.waitUntil(lambda: record.status == status, timeout=3000)
    assert panel.runs.topLevelItem(0).text(3) == f"none: {message}"


def test_a_runs_settings_name_its_schedule_class_weights_and_callbacks(panel, qtbot):
    """Two runs that differ only in callbacks, class weights or schedule read apart in
    the Runs table; a file path a callback writes to is left out (it is long, and the
    same for every run)."""
    panel.doc.training = {
        **panel.doc.training, "class_weight": {"0": 5, "1": 1},
        "schedule": {"name": "cosine_decay", "alpha": 0.1},
        "callbacks": [{"name": "early_stopping", "patience": 1, "restore_best_weights": True},
                      {"name": "csv_logger", "filename": "/tmp/log.csv"}]}
    QTest.mouseClick(panel.start_button, QtCore.Qt.LeftButton)
    settings = panel.runs.topLevelItem(0).text(2)
    assert settings.endswith(" schedule=cosine_decay class_weight={0: 5, 1: 1} "
                             "early_stopping(patience=1, restore_best_weights=True) "
                             "csv_logger"), settings
    FakeRun.made[-1].push({"event": "result", "status": "finished", "history": {},
                           "saved": None})


def test_long_settings_leave_the_final_metrics_in_view(panel, qtbot):
    """Many callbacks make a long settings text: its column stops at half the table, the
    text elided there and whole in its tooltip, so the final metrics stay in view
    (they were pushed past the right edge, behind a sideways scroll bar)."""
    panel.resize(900, 400)
    panel.doc.training = {**panel.doc.training, "callbacks": [
        {"name": "early_stopping", "patience": 1, "restore_best_weights": True},
        {"name": "reduce_lr_on_plateau", "patience": 2, "factor": 0.5},
        {"name": "model_checkpoint", "filepath": "/tmp/ck.keras", "save_best_only": True},
        {"name": "csv_logger", "filename": "/tmp/log.csv"}]}
    QTest.mouseClick(panel.start_button, QtCore.Qt.LeftButton)
    qtbot.wait(50)
    item, header = panel.runs.topLevelItem(0), panel.runs.header()
    room = panel.runs.viewport().width()
    assert header.sectionSize(2) <= room // 2
    assert header.sectionPosition(3) < room
    assert item.toolTip(2).startswith(item.text(2)) and "csv_logger" in item.toolTip(2)
    FakeRun.made[-1].push({"event": "result", "status": "finished", "history": {},
                           "saved": None})


def test_a_runs_settings_tooltip_names_the_data_it_trained_on(panel, qtbot):
    """Runs of one project on other data read alike in the Runs table: the settings'
    tooltip names the data each one read."""
    QTest.mouseClick(panel.start_button, QtCore.Qt.LeftButton)
    data = panel.controller.current.settings["data"]
    assert panel.runs.topLevelItem(0).toolTip(2).endswith(f"\ndata: {data}")
    FakeRun.made[-1].push({"event": "result", "status": "finished", "history": {},
                           "saved": None})


def test_the_settings_column_widens_for_a_wider_cell_and_fits_again_on_a_removal(panel):
    """A row added or a cell changed widens the settings column when its text is wider
    (it was fitted over every row at each change: 0.05 s at 2,000 runs); a narrower text
    leaves it, and a removal fits it to the rows left."""
    panel.resize(1400, 400)
    assert panel.runs.viewport().width() > 600  # room for every text below
    tree, header = panel.runs, panel.runs.header()

    def row(settings: str) -> QtWidgets.QTreeWidgetItem:
        item = QtWidgets.QTreeWidgetItem(["Run", "finished", settings, ""])
        tree.addTopLevelItem(item)
        return item

    def fitted() -> int:  # as wide as its texts, up to half the table
        return min(max(tree.sizeHintForColumn(2), header.sectionSizeHint(2)),
                   tree.viewport().width() // 2)

    short = row("adam 0.001")
    assert header.sectionSize(2) == fitted()
    wide = row("adam 0.001, batch 32, epochs 10")
    assert header.sectionSize(2) == fitted() > tree.sizeHintForIndex(tree.indexFromItem(
        short, 2)).width()
    before = header.sectionSize(2)
    wide.setText(2, "sgd")  # narrower: the column stays
    assert header.sectionSize(2) == before
    short.setText(2, "adam 0.001, batch 32, epochs 10, mixed")
    assert header.sectionSize(2) == fitted() > before
    tree.takeTopLevelItem(0)
    assert header.sectionSize(2) == fitted() < before
