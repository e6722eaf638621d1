"""A layer dropped from the palette lands under the pointer, and the view stays where it was."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from kerascanvas.app.canvas.adapter import PALETTE_MIME

from .gestures import mlp_window


def _drop(window, kind: str, view_point: QtCore.QPoint) -> str:
    mime = QtCore.QMimeData()
    mime.setData(PALETTE_MIME, kind.encode())
    scene = window.canvas.viewer.mapToScene(view_point)
    window._on_canvas_drop(mime, (scene.x(), scene.y()))
    QtWidgets.QApplication.processEvents()
    return window.canvas.selected_ids()[0]


def test_a_drop_by_the_canvas_edge_does_not_move_the_view(make_window, qtbot):
    """Dropped 60 px from the right edge, the node (150 px wide, centred on the pointer) sticks
    out a little: the view used to jump to centre it, leaving the pointer and the graph."""
    window = mlp_window(make_window, qtbot)
    viewer = window.canvas.viewer
    before = viewer.visible_scene_rect()
    viewport = viewer.viewport().rect()
    point = QtCore.QPoint(viewport.width() - 60, viewport.height() * 3 // 4)
    node = _drop(window, "Conv1D", point)
    assert viewer.visible_scene_rect() == before
    centre = viewer.mapFromScene(window.canvas.views[node].sceneBoundingRect().center())
    assert (centre - point).manhattanLength() <= 2  # still under the pointer
