"""The Results tab in the Training dock of a 1024x700 window (~570 px wide): the confusion
matrix of 10 classes had a column ~60 px wide per "pred N" header, and the 18 thumbnails a
fixed grid of 6 columns; both scrolled sideways."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtWidgets

from kerascanvas.app.training.records import RunRecord
from kerascanvas.runtime.events import FINISHED, Result

from .conftest import show_at

EXAMPLES = Path(__file__).parents[2] / "resources" / "examples"


def predictions(path: Path, images: bool = True, classes: int = 10) -> Path:
    """~100 samples of each class (three-digit counts on the diagonal), some wrong;
    18 images of 8x8 pixels, or table rows."""
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, classes, 100 * classes)
    y_pred = np.where(rng.random(len(y_true)) < 0.8, y_true,
                      rng.integers(0, classes, len(y_true)))
    x = rng.random((18, 8, 8)) if images else rng.random((18, 5))
    np.savez(path, y_true=y_true, y_pred=y_pred, x=x)
    return path


def results_at(qtbot, make_window, size, path: Path):
    """The Results tab of a window of `size` that shows the predictions at `path`."""
    window = show_at(make_window(str(EXAMPLES / "digits_cnn.json")), *size)
    panel = window.training_panel()
    window.training_dock.raise_()
    qtbot.waitUntil(lambda: not panel.reader.busy, timeout=10_000)  # its runs: none
    panel.tabs.setCurrentWidget(panel.results)
    record = RunRecord(1, {}, status=FINISHED)
    record.result = Result(FINISHED, evaluation={"split": "validation", "metrics": {},
                                                 "predictions": str(path)})
    panel.results.show_run(record)
    QtWidgets.QApplication.processEvents()
    return window, panel.results


def raise_tab(view, page) -> None:
    view.tabs.setCurrentWidget(page)
    for _ in range(3):  # the scroll area resizes its widget, then its bars follow
        QtWidgets.QApplication.processEvents()


def samples_scroll(view) -> QtWidgets.QScrollArea:
    return view.samples.parentWidget().parentWidget()


def tile_columns(view) -> int:
    grid = view.samples_grid
    return len({grid.itemAt(i).geometry().x() for i in range(grid.count())})


@pytest.mark.parametrize("classes", [10, 12])
def test_classes_fit_without_a_horizontal_scroll_bar(qtbot, make_window, tmp_path, classes):
    _, view = results_at(qtbot, make_window, (1024, 700),
                         predictions(tmp_path / "p.npz", classes=classes))
    raise_tab(view, view.tabs.widget(1))
    table, header = view.confusion, view.confusion.horizontalHeader()
    assert table.columnCount() == classes
    assert table.viewport().width() < 620  # the dock's width on such a screen
    assert not table.horizontalScrollBar().isVisible()
    # Each count whole in its column, the header's class whole above it.
    for j in range(classes):
        assert header.sectionSize(j) >= max(table.sizeHintForColumn(j),
                                            header.sectionSizeHint(j)), j
    assert table.horizontalHeaderItem(3).text() == "3"
    assert table.verticalHeaderItem(3).text() == "true 3"
    for i, j in ((2, 2), (2, 5)):  # a cell says what it counts
        count = int(table.item(i, j).text())
        plural = "" if count == 1 else "s"
        assert table.item(i, j).toolTip() == f"true {i}, predicted {j}: {count} sample{plural}"


@pytest.mark.parametrize("images", [True, False])
def test_samples_fit_the_width_and_reflow_when_it_grows(qtbot, make_window, tmp_path, images):
    window, view = results_at(qtbot, make_window, (1024, 700),
                              predictions(tmp_path / "p.npz", images))
    raise_tab(view, view.tabs.widget(2))
    scroll = samples_scroll(view)
    assert isinstance(scroll, QtWidgets.QScrollArea)
    assert not scroll.horizontalScrollBar().isVisible()
    if not images:  # the table of rows fills the width, wide or narrow
        table = view.samples.findChild(QtWidgets.QTableWidget, "sampleRows")
        assert table.width() >= scroll.viewport().width() - 20
        return
    assert view.samples_grid.count() == 18
    narrow = tile_columns(view)
    assert narrow >= 2
    show_at(window, 1600, 1000)
    raise_tab(view, view.tabs.widget(2))
    assert tile_columns(view) > narrow
    assert not scroll.horizontalScrollBar().isVisible()
    # No tile overlaps another, and every one lies within the visible width.
    grid = view.samples_grid
    rects = [grid.itemAt(i).geometry() for i in range(grid.count())]
    assert all(r.right() < scroll.viewport().width() for r in rects)
    assert not any(a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1:])
