"""The overview minimap leaves the graph in reach at 1024x700: Fit leaves its corner free
(digits_cnn and an imported ResNet50, 177 layers), a selected node under it sends it to the
other bottom corner, and turning it off is kept for the next window."""

from __future__ import annotations

import pytest
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from kerascanvas.app.canvas.labels import shown

from . import test_find_and_minimap
from .conftest import show_at
from .gestures import EXAMPLES
from .test_find_and_minimap import under_minimap
from .test_label_placement import settle

long_window = test_find_and_minimap.long_window  # Input -> 299 Dense, opened at its top


def covered(window) -> list[str]:
    """The nodes and the shape labels drawn that the minimap covers (none while hidden)."""
    minimap, viewer = window.minimap, window.canvas.viewer
    if not minimap.isVisible():
        return []
    area = minimap.geometry()
    nodes = [item.name for item in window.canvas.views.values()
             if viewer.mapFromScene(item.sceneBoundingRect()).boundingRect().intersects(area)]
    labels = [pipe.label.text() for pipe in viewer.pipe_items() if shown(pipe)
              and viewer.mapFromScene(pipe.label.sceneBoundingRect()).boundingRect()
              .intersects(area)]
    return nodes + labels


def fitted(window, qtbot):
    show_at(window, 1024, 700)
    settle(window, qtbot)
    QTest.keyClick(window.canvas.viewer.viewport(), QtCore.Qt.Key_F)
    settle(window, qtbot)
    qtbot.wait(300)  # the minimap's redraw after the labels came
    return window


def test_fit_leaves_the_minimap_corner_free_on_digits_cnn(make_window, qtbot):
    window = fitted(make_window(str(EXAMPLES / "digits_cnn.json")), qtbot)
    assert covered(window) == []


@pytest.mark.slow
def test_fit_leaves_the_minimap_corner_free_on_resnet50(make_window, qtbot, imported_project):
    window = show_at(make_window(imported_project("ResNet50")), 1024, 700)
    settle(window, qtbot)
    assert len(window.doc.nodes) > 150 and window.minimap.isVisible()  # opened at its top
    fitted(window, qtbot)
    assert covered(window) == []
    window.auto_layout()
    settle(window, qtbot)
    qtbot.wait(300)
    assert covered(window) == []


def test_a_selected_node_under_the_minimap_sends_it_to_the_other_corner(long_window, qtbot):
    """A node selected under the overview (the right-hand corner) is uncovered: the overview
    goes to the bottom-left corner and stays there until a selected node lies under it."""
    window = long_window
    viewer, minimap = window.canvas.viewer, window.minimap
    viewer.show_at(1.0, viewer.visible_scene_rect().center())
    QtWidgets.QApplication.processEvents()
    right = minimap.geometry()
    item, point = under_minimap(window)
    window.canvas.select([item.id])
    qtbot.waitUntil(lambda: not minimap.geometry().contains(point))
    assert minimap.isVisible() and minimap.geometry().left() < right.left()
    assert item.name not in covered(window)
    window.canvas.select([])
    qtbot.wait(10)
    assert minimap.geometry().left() < right.left()  # no jump back on every click
    under, point = under_minimap(window)
    window.canvas.select([under.id])
    qtbot.waitUntil(lambda: minimap.geometry().left() == right.left())


def test_the_minimap_switch_is_kept_for_the_next_window(make_window, long_window, qtbot):
    window = long_window
    assert window.minimap.isVisible()
    QTest.keyClick(window.canvas.viewer.viewport(), QtCore.Qt.Key_M, QtCore.Qt.ControlModifier)
    assert not window.minimap.isVisible()
    second = make_window()
    assert not second.minimap.enabled_by_user
    assert not second.actions["toggle_minimap"].isChecked()
    QTest.keyClick(window.canvas.viewer.viewport(), QtCore.Qt.Key_M, QtCore.Qt.ControlModifier)
    assert window.minimap.isVisible()
    assert make_window().minimap.enabled_by_user
