"""Edits from the keyboard on the canvas: the names copies get, and the focus after dialogs."""

from __future__ import annotations

import pytest
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.projectfile import save

from .gestures import click, node_ids, node_point, show
from .test_window import canvas_matches_document

CTRL, SHIFT = QtCore.Qt.ControlModifier, QtCore.Qt.ShiftModifier


@pytest.fixture
def conv_window(make_window, qtbot, tmp_path):
    """x -> conv2_1 -> dense, shown and fitted."""
    doc = Document()
    x = doc.add_node("Input", "x", {"shape": [8, 8, 3]}).id
    conv = doc.add_node("Conv2D", "conv2_1", {"filters": 4, "kernel_size": [3, 3]}).id
    flat = doc.add_node("Flatten").id
    dense = doc.add_node("Dense", params={"units": 2}).id
    for a, b in ((x, conv), (conv, flat), (flat, dense)):
        doc.connect(Edge(a, 0, b, 0))
    doc.outputs = [dense]
    save(doc, tmp_path / "conv.json")
    window = show(make_window(str(tmp_path / "conv.json")), qtbot)
    window.canvas.fit()
    QtWidgets.QApplication.processEvents()
    return window


def key(window, code, modifiers=QtCore.Qt.NoModifier) -> None:
    QTest.keyClick(window.canvas.viewer.viewport(), code, modifiers)
    QtWidgets.QApplication.processEvents()


def selected_names(window) -> list[str]:
    return [window.doc.nodes[n].name for n in window.canvas.selected_ids()]


def test_copies_take_the_next_name_of_their_family(conv_window):
    """A copy of `conv2_1` was `conv2_1_1`: it is `conv2_2`, then `conv2_3`, as a layer
    added from the palette is numbered after the others of its kind."""
    w = conv_window
    click(w, node_point(w, node_ids(w)["conv2_1"]))
    key(w, QtCore.Qt.Key_D, CTRL)
    assert selected_names(w) == ["conv2_2"]
    click(w, node_point(w, node_ids(w)["conv2_1"]))
    key(w, QtCore.Qt.Key_C, CTRL)
    key(w, QtCore.Qt.Key_V, CTRL)
    assert selected_names(w) == ["conv2_3"]
    click(w, node_point(w, node_ids(w)["dense"]))
    key(w, QtCore.Qt.Key_D, CTRL)
    (copy,) = selected_names(w)
    w.undo()
    w.palette.kind_activated.emit("Dense")  # the add-node path names the same way
    assert selected_names(w) == [copy] == ["dense_1"]


def test_keys_reach_the_canvas_after_each_dialog_closes(conv_window, qtbot):
    """Without a window manager nothing gave the focus back when a dialog closed: the
    next shortcut (Ctrl+Shift+B after Make Block) went nowhere until a click."""
    w = conv_window
    click(w, node_point(w, node_ids(w)["conv2_1"]))
    key(w, QtCore.Qt.Key_B, CTRL)  # Make Block
    dialog = QtWidgets.QApplication.activeModalWidget()
    assert dialog is not None and dialog.windowTitle() == "Make Block"
    QTest.mouseClick(dialog.buttons.button(QtWidgets.QDialogButtonBox.Ok), QtCore.Qt.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    qtbot.waitUntil(lambda: QtWidgets.QApplication.focusWidget() is w.canvas.viewer, timeout=500)
    key(w, QtCore.Qt.Key_I, CTRL)  # the new instance's contents
    contents = QtWidgets.QApplication.activeModalWidget()
    assert contents is not None and contents is not dialog
    QTest.keyClick(contents, QtCore.Qt.Key_Escape)
    qtbot.waitUntil(lambda: not contents.isVisible())
    qtbot.waitUntil(lambda: QtWidgets.QApplication.focusWidget() is w.canvas.viewer, timeout=500)
    key(w, QtCore.Qt.Key_B, CTRL | SHIFT)  # Expand Block, straight after
    assert selected_names(w) == ["block1_conv2_1"]
    assert "UserBlock" not in {n.kind for n in w.doc.nodes.values()}


def test_a_box_selection_shows_zoomed_out_and_deleting_it_clears_the_properties(
        conv_window, qtbot):
    """Zoomed out, nodes are plain boxes and a box-selection showed nothing chosen; and
    once the chosen nodes were deleted the properties still said '2 nodes selected'."""
    from kerascanvas.app.canvas.node_style import DETAIL_SCALE, SELECTION_COLOR

    from .gestures import drag
    from .test_selection_look import near

    w, viewer = conv_window, conv_window.canvas.viewer
    for _ in range(30):
        if viewer.transform().m11() < DETAIL_SCALE * 0.8:
            break
        key(w, QtCore.Qt.Key_Minus, CTRL)
    assert viewer.transform().m11() < DETAIL_SCALE
    ids = node_ids(w)
    rects = {name: w.canvas.views[nid].sceneBoundingRect() for name, nid in ids.items()}
    left = min(r.left() for r in rects.values()) - 12
    start = viewer.mapFromScene(QtCore.QPointF(left, rects["conv2_1"].top() - 2))
    end = viewer.mapFromScene(rects["flatten"].bottomRight() + QtCore.QPointF(12, 2))
    assert not viewer.items(start) and not viewer.items(end)
    drag(w, start, end)
    assert sorted(selected_names(w)) == ["conv2_1", "flatten"]
    qtbot.wait(10)
    image = viewer.viewport().grab().toImage()

    def edge_color(name):
        rect = rects[name]
        point = viewer.mapFromScene(QtCore.QPointF(rect.left(), rect.center().y()))
        return image.pixelColor(point + QtCore.QPoint(1, 0))

    assert near(edge_color("conv2_1"), SELECTION_COLOR)
    assert not near(edge_color("dense"), SELECTION_COLOR)
    assert w.properties.hint.text().startswith("2 nodes selected")
    key(w, QtCore.Qt.Key_Delete)
    assert sorted(node_ids(w)) == ["dense", "x"]
    qtbot.waitUntil(lambda: w.properties.hint.text().startswith("Select a node"), timeout=500)


def test_a_blocks_contents_name_the_layer_wired_into_it(make_window, qtbot):
    """A double-click on a block lists its layers: the first one's input was given as the
    block itself ('res1' reads 'res1'), not as the layer the block is wired from."""
    from kerascanvas.app.blocks.view import BlockDialog

    from .gestures import EXAMPLES

    w = show(make_window(str(EXAMPLES / "small_resnet.json")), qtbot)
    w.canvas.fit()
    res1 = w.doc.find("res1").id
    (wired,) = [w.doc.nodes[e.src].name for e in w.doc.in_edges(res1)]
    QTest.mouseDClick(w.canvas.viewer.viewport(), QtCore.Qt.LeftButton,
                      QtCore.Qt.NoModifier, node_point(w, res1))
    qtbot.waitUntil(lambda: bool(w.findChildren(BlockDialog)))
    tree = w.findChildren(BlockDialog)[-1].tree
    rows = {tree.topLevelItem(r).text(0): tree.topLevelItem(r).text(2)
            for r in range(tree.topLevelItemCount())}
    assert rows["res1_conv1"] == wired == "stem_relu"
    assert wired in rows["res1_add"].split(", ")  # the shortcut reads the block's input


def test_dragging_everything_routes_no_wire_again(conv_window, monkeypatch):
    """Each moved port redrew its wires at once, so a wire between two dragged nodes was
    routed twice a step, each time asking the scene for the nodes in its way: dragging
    all of a ResNet50 took 0.7 s a step (benchmarks/bench_edit_large.py times it). Then
    each was routed once a step; with every node moving alike, each is only shifted."""
    from kerascanvas.app.canvas.pipes import LayerPipeItem

    from .gestures import LEFT, move

    w = conv_window
    draws: list = []
    original = LayerPipeItem.draw_path

    def counted(pipe, *args, **kwargs):
        draws.append(pipe)
        return original(pipe, *args, **kwargs)

    monkeypatch.setattr(LayerPipeItem, "draw_path", counted)
    key(w, QtCore.Qt.Key_A, CTRL)
    before = w.doc.position(node_ids(w)["x"])
    start = node_point(w, node_ids(w)["conv2_1"])
    viewport = w.canvas.viewer.viewport()
    QTest.mousePress(viewport, LEFT, QtCore.Qt.NoModifier, start)
    for step in range(1, 4):
        draws.clear()
        move(viewport, start + QtCore.QPoint(10 * step, 20 * step))
        assert draws == [], step
    QTest.mouseRelease(viewport, LEFT, QtCore.Qt.NoModifier, start + QtCore.QPoint(30, 60))
    after = w.doc.position(node_ids(w)["x"])
    assert after[0] > before[0] and after[1] > before[1]  # all of them moved, with the hand


def test_a_click_on_one_node_of_a_selection_selects_it_alone(conv_window, qtbot):
    """After Ctrl+A, a plain click on one node left Qt's scene with that node alone
    selected, but the window was told before Qt's release made the change: the
    properties still said '4 nodes selected' and every wire stayed highlighted."""
    w = conv_window
    key(w, QtCore.Qt.Key_A, CTRL)
    assert len(selected_names(w)) == 4
    assert w.properties.hint.text().startswith("4 nodes selected")
    click(w, node_point(w, node_ids(w)["conv2_1"]))
    assert selected_names(w) == ["conv2_1"]
    qtbot.waitUntil(lambda: w.properties.node_id == node_ids(w)["conv2_1"], timeout=500)
    flat = w.canvas.views[node_ids(w)["flatten"]]
    (wire,) = flat.outputs[0].connected_pipes  # flatten -> dense: neither end selected
    assert not wire.highlighted()
    (wire,) = flat.inputs[0].connected_pipes  # conv2_1 -> flatten
    assert wire.highlighted()


def wires(window) -> set[tuple[str, str]]:
    doc = window.doc
    return {(doc.nodes[e.src].name, doc.nodes[e.dst].name) for e in doc.edges}


@pytest.mark.parametrize("shortcut", [QtCore.Qt.Key_Delete, QtCore.Qt.Key_Backspace])
def test_ctrl_delete_takes_a_node_out_of_its_chain_and_keeps_the_chain(conv_window,
                                                                       shortcut):
    """Ctrl+Delete on the Flatten of conv2_1 -> flatten -> dense wires conv2_1 -> dense (a
    plain Delete leaves dense unwired); the canvas draws the new wire, one Ctrl+Z undoes."""
    w = conv_window
    click(w, node_point(w, node_ids(w)["flatten"]))
    key(w, shortcut, CTRL)
    assert wires(w) == {("x", "conv2_1"), ("conv2_1", "dense")}
    assert w.doc.find("flatten") is None
    canvas_matches_document(w)
    assert w.stack.undo_text == "Delete 1 node, keeping the chain"
    key(w, QtCore.Qt.Key_Z, CTRL)
    assert wires(w) == {("x", "conv2_1"), ("conv2_1", "flatten"), ("flatten", "dense")}
    click(w, node_point(w, node_ids(w)["flatten"]))
    key(w, QtCore.Qt.Key_Delete)  # the plain Delete, for contrast
    assert wires(w) == {("x", "conv2_1")}
