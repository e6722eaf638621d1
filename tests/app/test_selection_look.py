"""A selected node reads as selected, never as a warning: its border and its wires are drawn
in the selection's blue, and a selected node with an issue shows both rings."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from kerascanvas.app.canvas.node_style import SELECTION_COLOR, SELECTION_INSET, STATUS_COLORS

from .gestures import click, mlp_window, node_ids
from .test_port_pick import title_point


def near(color: QtGui.QColor, rgb, tolerance: int = 60) -> bool:
    return sum(abs(a - b) for a, b in zip((color.red(), color.green(), color.blue()), rgb,
                                          strict=True)) <= tolerance


def column(window, node_id, depth: float) -> list[QtGui.QColor]:
    """The viewport's pixels across the node's left side, `depth` scene units inside it,
    down the middle third of its height."""
    viewer = window.canvas.viewer
    QtWidgets.QApplication.processEvents()
    image = viewer.viewport().grab().toImage()
    rect = window.canvas.views[node_id].sceneBoundingRect()
    colors = []
    for step in range(10):
        y = rect.top() + rect.height() * (0.35 + 0.03 * step)
        for dx in (-0.6, 0.0, 0.6):
            point = viewer.mapFromScene(QtCore.QPointF(rect.left() + depth + dx, y))
            colors.append(image.pixelColor(point))
    return colors


def test_selection_is_blue_on_the_node_and_its_wires_and_shows_beside_a_warning(
        make_window, qtbot):
    window = mlp_window(make_window, qtbot)
    ids = node_ids(window)
    click(window, title_point(window, ids["hidden"]))
    assert window.canvas.selected_ids() == [ids["hidden"]]
    item = window.canvas.views[ids["hidden"]]
    edge = column(window, ids["hidden"], 1.0)
    assert any(near(c, SELECTION_COLOR) for c in edge)
    assert not any(near(c, STATUS_COLORS["warning"], 40) for c in edge)
    for port in item.inputs + item.outputs:
        for pipe in port.connected_pipes:
            assert near(pipe.pen().color(), SELECTION_COLOR, 0)
    item.status = "warning"
    item.update()
    assert any(near(c, STATUS_COLORS["warning"]) for c in column(window, ids["hidden"], 1.0))
    inside = column(window, ids["hidden"], 1.0 + SELECTION_INSET)
    assert any(near(c, SELECTION_COLOR) for c in inside)
