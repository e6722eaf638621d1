"""The arrow keys move the selected nodes (a step a press, five with Shift), each press one
undoable move, their wires and shape labels following; with nothing selected they scroll
the view, and in a focused text field they edit its text."""

from __future__ import annotations

import pytest
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from kerascanvas.app.canvas.nudge import SHIFT_STEP, STEP

from .gestures import EXAMPLES, click, mlp_window, node_ids, node_point, show
from .test_drag_wires import assert_near
from .wire_geometry import path_points, routed_again

SHIFT = QtCore.Qt.ShiftModifier
KEYS = {QtCore.Qt.Key_Left: (-1, 0), QtCore.Qt.Key_Right: (1, 0),
        QtCore.Qt.Key_Up: (0, -1), QtCore.Qt.Key_Down: (0, 1)}


def press(window, key, modifiers=QtCore.Qt.NoModifier, times: int = 1) -> None:
    for _ in range(times):
        QTest.keyClick(window.canvas.viewer, key, modifiers)
    QtWidgets.QApplication.processEvents()


def select_two(window) -> list[str]:
    ids = node_ids(window)
    click(window, node_point(window, ids["hidden"]))
    click(window, node_point(window, ids["classes"]), SHIFT)
    assert set(window.canvas.selected_ids()) == {ids["hidden"], ids["classes"]}
    return [ids["hidden"], ids["classes"]]


def item_positions(window) -> dict[str, tuple[float, float]]:
    return {nid: (item.x(), item.y()) for nid, item in window.canvas.views.items()}


@pytest.mark.parametrize(("key", "modifiers", "step"),
                         [(k, m, s) for k in KEYS for m, s in
                          ((QtCore.Qt.NoModifier, STEP), (SHIFT, SHIFT_STEP))])
def test_an_arrow_moves_the_selected_nodes_alone(make_window, qtbot, key, modifiers, step):
    window = mlp_window(make_window, qtbot)
    moved = select_two(window)
    before = item_positions(window)
    press(window, key, modifiers, times=3)
    dx, dy = (3 * step * d for d in KEYS[key])
    after = item_positions(window)
    for nid, (x, y) in before.items():
        want = (x + dx, y + dy) if nid in moved else (x, y)
        assert after[nid] == pytest.approx(want), window.doc.nodes[nid].name
        assert window.doc.position(nid) == pytest.approx(want)  # the document moved too
    assert set(window.canvas.selected_ids()) == set(moved)  # still selected, to go on


def test_each_press_is_one_undo_step(make_window, qtbot):
    window = mlp_window(make_window, qtbot)
    moved = select_two(window)
    start = item_positions(window)
    press(window, QtCore.Qt.Key_Right, times=5)
    press(window, QtCore.Qt.Key_Down, SHIFT)
    assert window.stack.undo_text == "Move"
    window.stack.undo()  # the Shift+Down alone
    QtWidgets.QApplication.processEvents()
    for nid in moved:
        assert item_positions(window)[nid] == pytest.approx(
            (start[nid][0] + 5 * STEP, start[nid][1]))
    for _ in range(5):
        window.stack.undo()
    QtWidgets.QApplication.processEvents()
    assert item_positions(window) == pytest.approx(start)


def test_wires_and_labels_follow_a_moved_selection(make_window, qtbot):
    window = show(make_window(str(EXAMPLES / "small_resnet.json")), qtbot)
    window.canvas.fit()
    QtWidgets.QApplication.processEvents()
    pipes = window.canvas.viewer.pipe_items()
    before = {p: (path_points(p), p.label.pos()) for p in pipes}
    QTest.keyClick(window.canvas.viewer, QtCore.Qt.Key_A, QtCore.Qt.ControlModifier)
    press(window, QtCore.Qt.Key_Right, times=2)
    press(window, QtCore.Qt.Key_Up, SHIFT)
    qtbot.wait(50)  # the pipes of a burst of moves are drawn on the next turn
    dx, dy = 2 * STEP, -SHIFT_STEP
    labelled = 0
    for pipe, (points, label) in before.items():
        assert_near(path_points(pipe), [(x + dx, y + dy) for x, y in points], pipe)
        if pipe.label.text():
            labelled += 1
            assert (pipe.label.pos() - label - QtCore.QPointF(dx, dy)).manhattanLength() < 1e-6
    assert labelled > 0
    shifted = {pipe: path_points(pipe) for pipe in pipes}
    for pipe, points in routed_again(pipes).items():
        assert_near(shifted[pipe], points, pipe)


def test_with_nothing_selected_an_arrow_scrolls_the_view(make_window, qtbot):
    window = mlp_window(make_window, qtbot)
    window.canvas.viewer.scale(3.0, 3.0)  # zoomed in: there is room to scroll
    window.canvas.select([])
    before, bar = item_positions(window), window.canvas.viewer.horizontalScrollBar()
    was = bar.value()
    press(window, QtCore.Qt.Key_Right, times=3)
    assert bar.value() > was
    assert item_positions(window) == before
    assert not window.stack.can_undo


def test_arrows_in_the_properties_name_field_edit_its_text(make_window, qtbot):
    window = mlp_window(make_window, qtbot)
    moved = select_two(window)
    click(window, node_point(window, moved[0]))  # one node: the panel shows its fields
    before = item_positions(window)
    field = window.properties.name_edit
    field.setFocus()
    QtWidgets.QApplication.processEvents()
    field.setCursorPosition(len(field.text()))
    QTest.keyClick(field, QtCore.Qt.Key_Left)
    QTest.keyClick(field, QtCore.Qt.Key_Left)
    QTest.keyClicks(field, "X")
    QTest.keyClick(field, QtCore.Qt.Key_Right, SHIFT)
    assert field.text() == "hiddXen"  # two places left of the end
    assert field.selectedText() == "e"
    assert item_positions(window) == before
    assert window.canvas.selected_ids() == [moved[0]]
