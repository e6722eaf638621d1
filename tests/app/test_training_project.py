"""The Training panel follows the project: its runs are kept beside it and come back."""

from __future__ import annotations

from PySide6 import QtCore
from PySide6.QtTest import QTest

from kerascanvas.graph import projectfile

from .gestures import show
from .training_fakes import FakeRun, epoch, mlp


def run_once(window, qtbot, loss: float):
    panel = window.training_panel()
    panel.controller.run_factory = FakeRun
    QTest.mouseClick(panel.start_button, QtCore.Qt.LeftButton)
    record = panel.controller.current
    FakeRun.made[-1].push(*epoch(0, losses=(loss + 0.5, loss)),
                          {"event": "result", "status": "finished", "history": {}, "saved": None})
    qtbot.waitUntil(lambda: record.status == "finished" and not panel.index_writes.busy,
                    timeout=5000)  # its end is written off the GUI thread
    return record


def shown_runs(panel) -> list[tuple[str, str]]:
    return [(panel.runs.topLevelItem(i).text(0), panel.runs.topLevelItem(i).text(1))
            for i in range(panel.runs.topLevelItemCount())]


def test_runs_are_kept_beside_the_project_and_follow_the_open_one(make_window, qtbot,
                                                                   tmp_path):
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    projectfile.save(mlp(), first)
    projectfile.save(mlp(), second)
    window = show(make_window(str(first)), qtbot)
    run_once(window, qtbot, loss=0.25)
    panel = window.training_panel()
    assert (tmp_path / "first.runs" / "runs.json").is_file()
    panel.data.info.setText("a preview of the first project's data")

    window.open_path(str(second), ask=False)
    qtbot.waitUntil(lambda: not panel.reader.busy, timeout=10_000)  # read in the background
    assert shown_runs(panel) == [] and panel.controller.runs == []
    # The first project's preview is gone; the second's own is read.
    assert "first project" not in panel.data.info.text() and panel.plots.current is None

    window.open_path(str(first), ask=False)
    qtbot.waitUntil(lambda: shown_runs(panel) == [("Run 1", "finished")], timeout=10_000)
    (record,) = panel.controller.runs
    assert list(record.curves.epochs["loss"].y) == [0.25]
    assert panel.plots.current is record.curves
    assert run_once(window, qtbot, loss=0.125).number == 2  # numbering goes on


def test_raising_the_training_tab_leaves_its_plots_readable(make_window, qtbot):
    from PySide6 import QtWidgets

    window = show(make_window(), qtbot)
    bars = [b for b in window.findChildren(QtWidgets.QTabBar)
            if "Training" in [b.tabText(i) for i in range(b.count())]]
    bar = bars[0]
    index = [bar.tabText(i) for i in range(bar.count())].index("Training")
    QTest.mouseClick(bar, QtCore.Qt.LeftButton, QtCore.Qt.NoModifier,
                     bar.tabRect(index).center())
    qtbot.waitUntil(lambda: window.training is not None and window.training.isVisible(),
                    timeout=5000)
    QtWidgets.QApplication.processEvents()
    assert window.training.plots.view.height() >= 240  # three stacked plots of 80 px
    assert window.canvas.viewer.viewport().height() >= 300  # and the canvas stays usable


def test_a_new_projects_first_run_saves_into_a_folder_that_exists(make_window, qtbot,
                                                                   tmp_path):
    """The runs folder beside a project is made with its first run: a first run trained
    every epoch, then failed to save its model ('No such file or directory')."""
    import os

    path = tmp_path / "fresh.json"
    projectfile.save(mlp(), path)
    window = show(make_window(str(path)), qtbot)
    panel = window.training_panel()
    panel.controller.run_factory = FakeRun
    assert not (tmp_path / "fresh.runs").exists()
    QTest.mouseClick(panel.start_button, QtCore.Qt.LeftButton)
    save = FakeRun.made[-1].save_path
    assert os.path.dirname(save) == str(tmp_path / "fresh.runs") and os.path.isdir(
        os.path.dirname(save))


def test_saving_a_model_makes_its_folder(tmp_path):
    import keras

    from kerascanvas.runtime.callbacks import save_atomic

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    target = tmp_path / "new" / "deeper" / "run_1.keras"
    save_atomic(model, target)
    reloaded = keras.saving.load_model(target, safe_mode=True)
    assert reloaded.count_params() == model.count_params()
