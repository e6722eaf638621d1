"""After a burst of arrow presses every wire's shape label is where the same move done by a
mouse drag puts it (those beside a wire that now runs sideways between a moved node and one
that stayed included), and one undo puts every label back where it was."""

from __future__ import annotations

import pytest
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtTest import QTest

from kerascanvas.app.canvas.labels import shown
from kerascanvas.app.canvas.nudge import STEP

from .gestures import EXAMPLES, drag, node_ids, node_point, show

PRESSES = 10
KEYS = {QtCore.Qt.Key_Right: (1, 0), QtCore.Qt.Key_Up: (0, -1), QtCore.Qt.Key_Down: (0, 1)}
CASES = [  # example, the nodes moved, the key
    ("small_resnet.json", ("res2", "res3"), QtCore.Qt.Key_Right),
    ("small_resnet.json", ("res4",), QtCore.Qt.Key_Up),
    ("attention_states.json", ("encoder", "attention"), QtCore.Qt.Key_Right),
    ("customer_tickets.json", ("features", "shared"), QtCore.Qt.Key_Down),
    ("inception_net.json", ("inception1",), QtCore.Qt.Key_Right),
]


def opened(make_window, qtbot, name: str, moved) -> tuple:
    """The example at scale 1 (a mouse step of n pixels moves a node n units), the nodes
    `moved` selected and in view; the window and their ids."""
    window = show(make_window(str(EXAMPLES / name)), qtbot)
    ids = [node_ids(window)[n] for n in moved]
    window.canvas.select(ids)
    viewer = window.canvas.viewer
    viewer.setTransform(QtGui.QTransform())
    viewer.centerOn(window.canvas.views[ids[0]])
    QtWidgets.QApplication.processEvents()
    return window, ids


def labels(window) -> dict[tuple, tuple[float, float] | None]:
    """Each wire (its document edge) -> where its label is drawn, None where it is hidden."""
    canvas = window.canvas
    return {canvas._edge_of(p.output_port, p.input_port):
            (p.label.pos().x(), p.label.pos().y()) if shown(p) else None
            for p in canvas.viewer.pipe_items() if p.input_port is not None}


def assert_same(got: dict, want: dict) -> None:
    assert got.keys() == want.keys()
    for edge, spot in want.items():
        if spot is None:
            assert got[edge] is None, edge
        else:
            assert got[edge] == pytest.approx(spot, abs=0.01), edge


@pytest.mark.parametrize(("name", "moved", "key"), CASES)
def test_labels_after_presses_are_where_a_drag_puts_them(make_window, qtbot, name, moved,
                                                        key):
    window, ids = opened(make_window, qtbot, name, moved)
    before = labels(window)
    for _ in range(PRESSES):
        QTest.keyClick(window.canvas.viewer, key)
    qtbot.wait(20)  # the wires of a burst of moves are drawn on the next turn
    pressed = labels(window)
    dragged_window, _ = opened(make_window, qtbot, name, moved)
    dx, dy = (PRESSES * STEP * d for d in KEYS[key])
    start = node_point(dragged_window, ids[0])
    drag(dragged_window, start, start + QtCore.QPoint(round(dx), round(dy)), steps=7)
    qtbot.wait(20)
    for node_id in ids:
        assert dragged_window.doc.position(node_id) == pytest.approx(window.doc.position(node_id))
    assert_same(pressed, labels(dragged_window))
    assert pressed != before  # the labels of the moved wires moved
    window.stack.undo()  # one step for the whole burst
    qtbot.wait(20)
    assert_same(labels(window), before)
