"""A chain grown by name (Ctrl+F, a kind, Enter) runs down the canvas: the view follows the
new layer by as little as it needs, so the chain typed so far stays in sight. It centred the
new layer instead, pushing the chain's top out of view with half the canvas empty below."""

from __future__ import annotations

from PySide6 import QtWidgets

from kerascanvas.app.canvas.adapter import FOLLOW_MARGIN
from tests.app.conftest import show_at

KINDS = ("Input", "Conv2D", "BatchNormalization", "ReLU", "Conv2D", "BatchNormalization",
         "ReLU", "GlobalAveragePooling2D", "Dense")


def test_the_view_follows_a_typed_chain_by_as_little_as_it_needs(window, qtbot):
    show_at(window, 1500, 920)
    window.start_panel.hide()
    viewer = window.canvas.viewer
    added, moved = [], 0
    for kind in KINDS:
        before = viewer.visible_scene_rect()
        window.palette.kind_activated.emit(kind)
        QtWidgets.QApplication.processEvents()
        added.append(window.canvas.selected_ids()[0])
        view, new = viewer.visible_scene_rect(), window.canvas.views[added[-1]]
        assert view.contains(new.sceneBoundingRect()), kind
        if view != before:  # it moved: just enough to show the new layer with a margin
            moved += 1
            room = FOLLOW_MARGIN / viewer.transform().m11()
            assert view.bottom() - new.sceneBoundingRect().bottom() <= room + 1, kind
    assert moved  # the chain did run past the view's edge
    shown = [n for n in added
             if viewer.visible_scene_rect().contains(window.canvas.views[n].sceneBoundingRect())]
    assert len(shown) >= len(KINDS) - 1  # centring the last layer had left 5 of 9 in view
