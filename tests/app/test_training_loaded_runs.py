"""A project opened with saved runs: the runs are read off the GUI thread, and the
Training tab's curves are those of the last run's entry in the runs index on disk."""

from __future__ import annotations

import json

import numpy as np
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from kerascanvas.app.training.history import runs_folder, save_runs
from kerascanvas.app.training.plots import step_points
from kerascanvas.app.training.records import RunRecord
from kerascanvas.app.training.runs_reader import INLINE_BYTES
from kerascanvas.graph import projectfile

from .gestures import show
from .training_fakes import mlp

EPOCHS, STEPS = 40, 800  # an index over INLINE_BYTES: parsed in a child process


def saved_runs(folder, count: int) -> None:
    rng = np.random.default_rng(7)
    records = []
    for number in range(1, count + 1):
        record = RunRecord(number, {"epochs": EPOCHS}, status="finished", epochs=EPOCHS,
                           steps=STEPS, epoch=EPOCHS, epochs_done=EPOCHS)
        for e in range(EPOCHS):
            for b in range(STEPS):
                record.curves.add_batch(e, b, STEPS, rng.random())
            loss = float("nan") if (number, e) == (count, 3) else rng.random()
            record.curves.add_epoch(e, {"loss": loss, "accuracy": rng.random(),
                                        "val_loss": rng.random(),
                                        "val_accuracy": rng.random()}, 1e-3 / (e + 1))
        records.append(record)
    save_runs(folder, records)


def click_training_tab(window) -> None:
    bar = next(b for b in window.findChildren(QtWidgets.QTabBar)
               if "Training" in [b.tabText(i) for i in range(b.count())])
    index = [bar.tabText(i) for i in range(bar.count())].index("Training")
    QTest.mouseClick(bar, QtCore.Qt.LeftButton, QtCore.Qt.NoModifier,
                     bar.tabRect(index).center())


def as_array(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def test_opened_project_shows_the_last_runs_curves_from_its_index(make_window, qtbot,
                                                                    tmp_path):
    path = tmp_path / "net.json"
    projectfile.save(mlp(), path)
    folder = runs_folder(str(path))
    saved_runs(folder, 2)
    index = folder / "runs.json"
    assert index.stat().st_size > INLINE_BYTES
    window = show(make_window(), qtbot)
    panel = window.training_panel()
    window.open_path(str(path), ask=False)
    click_training_tab(window)
    qtbot.waitUntil(lambda: panel.runs.topLevelItemCount() == 2, timeout=60_000)
    qtbot.waitUntil(lambda: ("", "val_accuracy") in panel.plots.items
                    and panel.plots._drawn == panel.plots._state(), timeout=10_000)

    stored = json.loads(index.read_text(encoding="utf-8"))["runs"]
    curves = max(stored, key=lambda r: r["number"])["curves"]
    drawn = {"batch": curves["batch_loss"], "lr": curves["lr"], **curves["epochs"]}
    for name, (x, y) in drawn.items():
        item = panel.plots.items[("", name)]  # the data set, not the downsampled view
        item_x, item_y = item.xData, item.yData
        x, y = as_array(x), as_array(y)
        if name == "lr":  # the rate is drawn as held over each epoch
            x, y = step_points(x, y)
        np.testing.assert_array_equal(item_x, x, err_msg=name)
        np.testing.assert_array_equal(item_y, y, err_msg=name)
    assert np.isnan(panel.plots.items[("", "loss")].yData[3])  # null is NaN again
    assert panel.plots.overlays == []
