"""New nodes land in the right place: dropped on a wire, pasted, duplicated, expanded."""

from __future__ import annotations

import pytest
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtTest import QTest

from kerascanvas.graph.document import Edge

from .gestures import EXAMPLES, show

CTRL = QtCore.Qt.ControlModifier


def by_name(window, name: str) -> str:
    return next(nid for nid, n in window.doc.nodes.items() if n.name == name)


def overlapping(window) -> list[tuple[str, str]]:
    rects = {window.doc.nodes[n].name: item.sceneBoundingRect()
             for n, item in window.canvas.views.items()}
    names = sorted(rects)
    return [(a, b) for i, a in enumerate(names) for b in names[i + 1:]
            if rects[a].intersects(rects[b])]


def palette_mime(window, kind: str) -> QtCore.QMimeData:
    """What dragging `kind` out of the palette carries."""
    tree = window.palette.tree
    item = next(tree.topLevelItem(g).child(i) for g in range(tree.topLevelItemCount())
                for i in range(tree.topLevelItem(g).childCount())
                if tree.topLevelItem(g).child(i).text(0) == kind)
    return tree.mimeData([item])


def drop(window, mime, point: QtCore.QPoint) -> None:
    """Drag enter, move and drop events on the viewport at `point`."""
    viewport = window.canvas.viewer.viewport()
    args = (QtCore.QPointF(point), QtCore.Qt.CopyAction, mime, QtCore.Qt.LeftButton,
            QtCore.Qt.NoModifier)
    QtWidgets.QApplication.sendEvent(viewport, QtGui.QDragEnterEvent(point, *args[1:]))
    QtWidgets.QApplication.sendEvent(viewport, QtGui.QDragMoveEvent(point, *args[1:]))
    QtWidgets.QApplication.sendEvent(viewport, QtGui.QDropEvent(*args))
    QtWidgets.QApplication.processEvents()


def wire_middle(window, src: str, dst: str) -> QtCore.QPoint:
    out = window.canvas.views[src].outputs[0].sceneBoundingRect().center()
    inp = window.canvas.views[dst].inputs[0].sceneBoundingRect().center()
    return window.canvas.viewer.mapFromScene((out + inp) / 2)


def mlp(make_window, qtbot):
    window = show(make_window(str(EXAMPLES / "mnist_mlp.json")), qtbot)
    window.canvas.fit()
    QtWidgets.QApplication.processEvents()
    return window


def test_a_node_dropped_on_a_wire_is_spliced_in_without_overlap(make_window, qtbot):
    window = mlp(make_window, qtbot)
    hidden, dropout = by_name(window, "hidden"), by_name(window, "dropout")
    drop(window, palette_mime(window, "BatchNormalization"), wire_middle(window, hidden, dropout))
    (bn,) = [n for n, node in window.doc.nodes.items() if node.kind == "BatchNormalization"]
    assert {Edge(hidden, 0, bn, 0), Edge(bn, 0, dropout, 0)} <= set(window.doc.edges)
    assert Edge(hidden, 0, dropout, 0) not in window.doc.edges
    ys = [window.canvas.views[n].y() for n in (hidden, bn, dropout)]
    assert ys == sorted(ys)
    assert overlapping(window) == []
    # placed at its drawn size, in the drop's one undo step: its wires run straight down
    xs = [window.canvas.views[n].sceneBoundingRect().center().x() for n in (hidden, bn, dropout)]
    assert max(xs) - min(xs) <= 1, xs
    window.undo()
    assert Edge(hidden, 0, dropout, 0) in window.doc.edges and len(window.doc.nodes) == 4


def test_a_node_needing_two_inputs_dropped_on_a_wire_is_only_placed(make_window, qtbot):
    window = mlp(make_window, qtbot)
    hidden, dropout = by_name(window, "hidden"), by_name(window, "dropout")
    drop(window, palette_mime(window, "Add"), wire_middle(window, hidden, dropout))
    assert Edge(hidden, 0, dropout, 0) in window.doc.edges and len(window.doc.nodes) == 5


def test_paste_lands_at_the_cursor_and_duplicates_go_beside(make_window, qtbot):
    window = mlp(make_window, qtbot)
    viewer, viewport = window.canvas.viewer, window.canvas.viewer.viewport()
    window.canvas.select([by_name(window, "dropout")])
    QTest.keyClick(viewer, QtCore.Qt.Key_C, CTRL)
    spot = QtCore.QPoint(40, 40)  # empty canvas, top left
    QtGui.QCursor.setPos(viewport.mapToGlobal(spot))
    QTest.keyClick(viewer, QtCore.Qt.Key_V, CTRL)
    (pasted,) = window.canvas.selected_ids()
    where = viewer.mapToScene(spot)
    item = window.canvas.views[pasted]
    assert (item.x(), item.y()) == pytest.approx((where.x(), where.y()))
    QtGui.QCursor.setPos(viewport.mapToGlobal(viewport.rect().center()) + QtCore.QPoint(0, 9999))
    for _ in range(2):  # twice: the second copy must not land on the first
        window.canvas.select([by_name(window, "hidden")])
        QTest.keyClick(viewer, QtCore.Qt.Key_D, CTRL)
    assert len(window.doc.nodes) == 7
    assert overlapping(window) == []


def test_a_wide_node_duplicated_covers_no_node(make_window, qtbot):
    """A copy is placed at the size it is drawn, beside the original, in the paste's one
    undo step: a node drawn wider than the size assumed for an
    unknown one was covered by its own duplicate."""
    from kerascanvas.graph import commands as cmd

    window = mlp(make_window, qtbot)
    viewer = window.canvas.viewer
    hidden = by_name(window, "hidden")
    window.stack.push(cmd.Rename(window.doc, hidden, "hidden_layer_with_a_long_descriptive_name"))
    QtWidgets.QApplication.processEvents()
    assert window.canvas.views[hidden].width > 300  # wider than the size assumed
    window.canvas.select([hidden])
    QTest.keyClick(viewer, QtCore.Qt.Key_D, CTRL)
    QtWidgets.QApplication.processEvents()
    assert len(window.doc.nodes) == 5 and overlapping(window) == []
    window.undo()
    assert len(window.doc.nodes) == 4


def test_an_expanded_block_is_laid_out_in_place_and_on_screen(make_window, qtbot):
    window = show(make_window(str(EXAMPLES / "small_resnet.json")), qtbot)
    window.canvas.fit()
    QtWidgets.QApplication.processEvents()
    before, block, after = (by_name(window, n) for n in ("res1", "res2", "res3"))
    window.canvas.select([block])
    QTest.keyClick(window.canvas.viewer, QtCore.Qt.Key_B, CTRL | QtCore.Qt.ShiftModifier)
    new = window.canvas.selected_ids()
    names = {node.name for node in window.doc.nodes.values()}
    assert "res2" not in names and len(new) > 5
    views = window.canvas.views
    assert all(views[before].y() < views[n].y() < views[after].y() for n in new)
    assert overlapping(window) == []
    visible = window.canvas.viewer.visible_scene_rect()
    assert all(visible.contains(views[n].sceneBoundingRect()) for n in new)


def add_from_search(window, text: str) -> None:
    """Type in the palette's search box and press Enter, as a user adds a layer by name."""
    search = window.palette.search
    QTest.mouseClick(search, QtCore.Qt.LeftButton)
    search.selectAll()
    QTest.keyClicks(search, text)
    QTest.keyClick(search, QtCore.Qt.Key_Return)
    QtWidgets.QApplication.processEvents()


def test_layers_added_by_name_follow_the_selected_one_and_cover_nothing(window, qtbot):
    """Enter in the palette put each new node at the view centre, shifted 40 px: over the
    node before it, hiding that node's output port, so it could not be wired."""
    show(window, qtbot)
    window.resize(1300, 850)
    for text in ("Input", "Conv2D", "MaxPooling2D", "Flatten"):
        add_from_search(window, text)
    names = ["input", "conv2d", "max_pooling2d", "flatten"]
    assert sorted(n.name for n in window.doc.nodes.values()) == sorted(names)
    assert overlapping(window) == []
    tops = [window.canvas.views[by_name(window, n)].sceneBoundingRect() for n in names]
    for above, below in zip(tops, tops[1:], strict=False):
        assert below.top() > above.bottom()  # a chain, read top to bottom
        assert abs(below.center().x() - above.center().x()) < 1.0
    # Nothing selected: the view centre, moved aside from the nodes already there.
    click_empty = window.canvas.viewer.viewport().rect().topLeft() + QtCore.QPoint(5, 5)
    QTest.mouseClick(window.canvas.viewer.viewport(), QtCore.Qt.LeftButton,
                     QtCore.Qt.NoModifier, click_empty)
    assert window.canvas.selected_ids() == []
    add_from_search(window, "Dense")
    add_from_search(window, "Dropout")
    assert overlapping(window) == []


def test_a_layer_added_by_name_wider_than_assumed_is_centred_on_the_selected_one(
        make_window, qtbot):
    """The new node is placed at its drawn size: it was centred as a node of the size
    assumed for an unknown one, so a wider one sat off the selected node's line."""
    window = mlp(make_window, qtbot)
    (last,) = [n for n in window.doc.nodes if not window.doc.out_edges(n)]
    window.canvas.select([last])
    add_from_search(window, "GlobalAveragePooling1D")
    (new,) = window.canvas.selected_ids()
    assert window.doc.nodes[new].kind == "GlobalAveragePooling1D"
    rects = [window.canvas.views[n].sceneBoundingRect() for n in (last, new)]
    assert rects[1].width() != rects[0].width()  # not the same size
    assert abs(rects[0].center().x() - rects[1].center().x()) <= 1, rects
    assert rects[1].top() > rects[0].bottom() and overlapping(window) == []
    window.undo()
    assert new not in window.doc.nodes


def test_a_chain_grown_by_name_stays_in_view(window, qtbot):
    show(window, qtbot)
    window.resize(1300, 850)
    for text in ["Input"] + ["Dense"] * 8:
        add_from_search(window, text)
    viewer = window.canvas.viewer
    (last,) = window.canvas.selected_ids()
    assert viewer.visible_scene_rect().contains(window.canvas.views[last].sceneBoundingRect())


def test_a_duplicate_placed_past_the_view_edge_is_brought_into_view(make_window, qtbot):
    """Ctrl+D puts the copy beside the original, across the graph: with the original near
    the view's right edge, the copy landed out of sight."""
    window = mlp(make_window, qtbot)
    viewer = window.canvas.viewer
    hidden = window.canvas.views[by_name(window, "hidden")]
    window.canvas.select([by_name(window, "hidden")])
    visible = viewer.visible_scene_rect()  # put the original at the view's right edge
    viewer.center_on(QtCore.QPointF(hidden.sceneBoundingRect().right() - visible.width() / 2
                                    + 10, hidden.sceneBoundingRect().center().y()))
    QTest.keyClick(viewer, QtCore.Qt.Key_D, CTRL)
    (copy,) = window.canvas.selected_ids()
    shown = viewer.visible_scene_rect()
    assert shown.contains(window.canvas.views[copy].sceneBoundingRect())


@pytest.mark.parametrize("kind", ["Input", "Dense", "Concatenate", "Conv2D"])
def test_a_node_dropped_from_the_palette_is_centred_on_the_pointer(make_window, qtbot, kind):
    """It landed with its top-left corner at the pointer, down and right of it."""
    window = show(make_window(), qtbot)
    point = window.canvas.viewer.viewport().rect().center()
    drop(window, palette_mime(window, kind), point)
    (node,) = window.doc.nodes
    centre = window.canvas.views[node].sceneBoundingRect().center()
    pointer = window.canvas.viewer.mapToScene(point)
    assert abs(centre.x() - pointer.x()) <= 1 and abs(centre.y() - pointer.y()) <= 1, \
        (centre, pointer)
    window.undo()
    assert window.doc.nodes == {}
