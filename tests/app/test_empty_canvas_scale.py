"""An empty canvas in a small window keeps a readable scale: at 1024x700 NodeGraphQt's
refit of the empty scene left it at 0.47, and the first nodes placed showed 5 px titles."""

from __future__ import annotations

import pytest

from kerascanvas.app.window.view_keeper import START_SCALE
from tests.app.gestures import show


def scale(window) -> float:
    return window.canvas.viewer.transform().m11()


@pytest.mark.parametrize("size", [(1024, 700), (1500, 920), (800, 600)])
def test_the_first_nodes_on_an_empty_canvas_are_readable(make_window, qtbot, size):
    window = make_window()
    window.resize(*size)
    show(window, qtbot)
    qtbot.wait(50)
    assert scale(window) >= START_SCALE - 1e-6
    window.start_panel.close_button.click()
    window.add_kind("Input")
    window.add_kind("Dense")
    assert scale(window) >= START_SCALE - 1e-6


def test_a_node_made_by_zooming_out_first_is_not_zoomed_back(make_window, qtbot):
    """Only an empty canvas is held at the start scale; a graph zoomed out stays so."""
    window = make_window()
    window.resize(1024, 700)
    show(window, qtbot)
    window.add_kind("Input")
    window.canvas.viewer.show_at(0.3, window.canvas.viewer.visible_scene_rect().center())
    window.resize(1000, 680)
    qtbot.wait(20)
    assert scale(window) <= 0.3 + 1e-6
