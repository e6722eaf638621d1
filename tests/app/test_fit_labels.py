"""Fit to View (F) shows the whole drawing: the nodes, the wires' bends and the shape labels
beside the wires (the label of the rightmost branch of an expanded inception block was cut
off at the canvas' edge)."""

from __future__ import annotations

import pytest
from PySide6 import QtCore

from kerascanvas.app.canvas.labels import shown
from tests.app.gestures import EXAMPLES, show
from tests.app.test_label_placement import settle
from tests.app.test_window_view import press


def inside(box: QtCore.QRectF, visible: QtCore.QRectF) -> bool:
    return (visible.left() <= box.left() and box.right() <= visible.right()
            and visible.top() <= box.top() and box.bottom() <= visible.bottom())


@pytest.mark.parametrize("example, blocks, size", [
    ("inception_net", ["inception1"], (1500, 920)),
    ("inception_net", ["inception1"], (1100, 700)),
    ("small_resnet", ["res3"], (1500, 920)),
])
def test_fit_shows_every_label_and_wire(make_window, qtbot, example, blocks, size):
    window = make_window(str(EXAMPLES / f"{example}.json"))
    window.resize(*size)
    show(window, qtbot)
    for name in blocks:
        window.expand_block(next(n for n, node in window.doc.nodes.items()
                                 if node.name == name))
    settle(window, qtbot)
    press(window, QtCore.Qt.Key_F)
    settle(window, qtbot)
    viewer = window.canvas.viewer
    visible = viewer.visible_scene_rect()
    pipes = [p for p in viewer.pipe_items() if p.isVisible()]
    labels = [p for p in pipes if shown(p)]
    assert labels and viewer.transform().m11() >= 0.55  # the labels are drawn at this scale
    outside = [p.label.text() for p in labels
               if not inside(p.label.sceneBoundingRect(), visible)]
    assert outside == []
    bends = [p.path().boundingRect() for p in pipes]  # a straight wire's box has no width
    assert [box for box in bends if not inside(box, visible)] == []
