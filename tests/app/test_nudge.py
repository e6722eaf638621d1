"""The arrow keys move the selected nodes (a step a press, five with Shift), a burst of
presses one undoable move, their wires and shape labels following; with nothing selected they scroll
the view, and in a focused text field they edit its text."""

from __future__ import annotations

import pytest
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from kerascanvas.app.canvas import nudge
from kerascanvas.app.canvas.nudge import SHIFT_STEP, STEP
from kerascanvas.graph import commands as cmd

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


def doc_positions(window) -> dict[str, tuple[float, float]]:
    return {nid: tuple(window.doc.position(nid)) for nid in window.doc.nodes}


def test_a_burst_of_presses_is_one_undo_step(make_window, qtbot):
    """Ten presses and a Shift press on one selection undo with one Ctrl+Z, back exactly
    where they began, and redo to exactly where they ended, in the document (what is saved)
    as on the canvas."""
    window = mlp_window(make_window, qtbot)
    select_two(window)
    window.stack.set_clean()
    start = doc_positions(window)
    press(window, QtCore.Qt.Key_Right, times=10)
    press(window, QtCore.Qt.Key_Down, SHIFT)
    end = doc_positions(window)
    assert item_positions(window) == end
    QTest.keyClick(window.canvas.viewer, QtCore.Qt.Key_Z, QtCore.Qt.ControlModifier)
    QtWidgets.QApplication.processEvents()
    assert doc_positions(window) == start and item_positions(window) == start
    assert window.stack.is_clean  # one step back is where it was saved
    window.stack.redo()
    QtWidgets.QApplication.processEvents()
    assert doc_positions(window) == end and item_positions(window) == end


def _pause(window, monkeypatch) -> None:
    later = nudge.clock() + nudge.PAUSE + 0.5
    monkeypatch.setattr(nudge, "clock", lambda: later)


def _select_again(window, monkeypatch) -> None:
    ids = node_ids(window)
    window.canvas.select([ids["hidden"]])
    window.canvas.select([ids["hidden"], ids["classes"]])


def _edit(window, monkeypatch) -> None:
    window.stack.push(cmd.Rename(window.doc, node_ids(window)["hidden"], "wide"))


def _undo_redo(window, monkeypatch) -> None:
    window.stack.undo()
    window.stack.redo()


def _save(window, monkeypatch) -> None:
    window.stack.set_clean()


@pytest.mark.parametrize(("between", "steps"), [
    (_pause, 2), (_select_again, 2), (_edit, 3), (_undo_redo, 2), (_save, 2)])
def test_what_starts_a_new_undo_step(make_window, qtbot, monkeypatch, between, steps):
    """A pause, a selection change, another edit, an undo or a save between two bursts:
    the second is a step of its own."""
    window = mlp_window(make_window, qtbot)
    select_two(window)
    start = doc_positions(window)
    press(window, QtCore.Qt.Key_Right, times=3)
    middle = doc_positions(window)
    between(window, monkeypatch)
    press(window, QtCore.Qt.Key_Left, SHIFT, times=2)
    window.stack.undo()
    if steps == 2:
        assert doc_positions(window) == middle
    for _ in range(steps - 1):
        window.stack.undo()
    QtWidgets.QApplication.processEvents()
    assert doc_positions(window) == start and item_positions(window) == start


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
