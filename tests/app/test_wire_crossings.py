"""No wire runs through a node other than its own two ends: after a load, after auto
layout, after a node is dragged across others, and after a node grows into a wire's way.
After auto layout no two wires of an example cross either, its blocks expanded or not."""

from __future__ import annotations

import pytest
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from kerascanvas.graph.document import Document, Edge

from .gestures import EXAMPLES, click, drag, node_point, saved, show, type_into, view_point
from .wire_geometry import third_node_crossings, wire_crossings, wire_faults


def crossings(window) -> list[str]:
    """'source -> destination through node' for each wire through a third node."""
    found = third_node_crossings(window.canvas.viewer.pipe_items(),
                                 list(window.canvas.views.values()))
    return [f"{p.output_port.node.name} -> {p.input_port.node.name} through {n.name}"
            for p, n in found]


def auto_layout(window) -> None:
    """Ctrl+L on the canvas, as the hand does it."""
    QTest.keyClick(window.canvas.viewer.viewport(), QtCore.Qt.Key_L,
                   QtCore.Qt.ControlModifier)
    QtWidgets.QApplication.processEvents()


def test_no_wire_crosses_a_third_node_in_the_examples_after_load_and_layout(
        make_window, qtbot):
    window = show(make_window(), qtbot)
    for path in sorted(EXAMPLES.glob("*.json")):
        assert window.open_path(str(path), ask=False)
        QtWidgets.QApplication.processEvents()
        assert window.canvas.viewer.pipe_items(), path.name
        assert crossings(window) == [], (path.name, "loaded")
        auto_layout(window)
        assert crossings(window) == [], (path.name, "laid out")


BLOCKY = ("densenet_small", "inception_net", "small_resnet")  # examples with block nodes


@pytest.mark.parametrize(("name", "expand"), [
    *((p.stem, False) for p in sorted(EXAMPLES.glob("*.json"))), *((n, True) for n in BLOCKY)])
def test_no_two_wires_cross_in_an_example_after_layout(make_window, qtbot, name, expand):
    """Ctrl+L on each example, and on each example with block nodes after every block is
    expanded: no wire runs through a third node and no two wires cross. An inception
    block's branches merging into its Concatenate crossed (rows 22 units apart), so did
    the detours of an LSTM's two states into one Concatenate (side by side at one height),
    and small_resnet's wire into the next column climbed inside its first skip's lane."""
    window = show(make_window(), qtbot)
    assert window.open_path(str(EXAMPLES / f"{name}.json"), ask=False)
    if expand:
        for node_id in [n for n, node in window.doc.nodes.items() if node.spec.is_block]:
            window.expand_block(node_id)
    auto_layout(window)
    pipes = window.canvas.viewer.pipe_items()
    crossed = [f"{p.output_port.node.name} x {q.output_port.node.name}"
               for p, q in wire_crossings(pipes)]
    assert crossings(window) == [] and crossed == []


def residual_block(tmp_path) -> str:
    """Input -> Dense -> BatchNormalization -> Dense -> BatchNormalization -> Add, with
    the Input's skip wire into the Add's second port: laid out, the skip runs beside the
    block and turns into the Add just under the last BatchNormalization."""
    doc = Document()
    ids = [doc.add_node("Input", "x", params={"shape": [8]}).id]
    for kind, name in (("Dense", "dense_a"), ("BatchNormalization", "bn_a"),
                       ("Dense", "dense_b"), ("BatchNormalization", "bn_b"), ("Add", "add")):
        ids.append(doc.add_node(kind, name, params={"units": 8} if kind == "Dense" else {}).id)
        doc.connect(Edge(ids[-2], 0, ids[-1], 0))
    doc.connect(Edge(ids[0], 0, ids[-1], 1))
    return saved(doc, tmp_path, "block.json")


def test_a_skip_wire_turns_into_its_add_between_the_rows_of_a_layout(
        make_window, qtbot, tmp_path):
    window = show(make_window(residual_block(tmp_path)), qtbot)
    auto_layout(window)
    views = {item.name: item for item in window.canvas.views.values()}
    gap = views["add"].sceneBoundingRect().top() - views["bn_b"].sceneBoundingRect().bottom()
    assert 0 < gap < 32  # rows closer than a wire's bends: the case that crossed
    assert crossings(window) == []
    skip = next(p for p in window.canvas.viewer.pipe_items()
                if p.output_port.node is views["x"] and p.input_port.node is views["add"])
    assert wire_faults(skip, list(views.values())) == []


def three_nodes(make_window, qtbot, tmp_path, places):
    """Input 'a' wired into Dense 'b', and Dense 'c' unwired, at `places` (scene units);
    the window, fitted, and the items by name."""
    doc = Document()
    a = doc.add_node("Input", "a", params={"shape": [4]}).id
    b = doc.add_node("Dense", "b", params={"units": 2}).id
    c = doc.add_node("Dense", "c", params={"units": 3}).id
    doc.connect(Edge(a, 0, b, 0))
    for node_id, pos in zip((a, b, c), places, strict=True):
        doc.set_position(node_id, pos)
    window = show(make_window(saved(doc, tmp_path, "three.json")), qtbot)
    window.resize(1200, 800)
    window.canvas.fit()
    QtWidgets.QApplication.processEvents()
    return window, {item.name: item for item in window.canvas.views.values()}


def test_a_short_wire_dragged_far_sideways_goes_around_the_node_between(
        make_window, qtbot, tmp_path):
    """'b' dragged beside and a little below 'a', 'c' standing between them: the wire
    (a short drop, a long run across) passes under 'c', not through it."""
    window, items = three_nodes(make_window, qtbot, tmp_path,
                                [(0.0, 0.0), (0.0, 320.0), (420.0, 30.0)])
    box_a, box_c = items["a"].sceneBoundingRect(), items["c"].sceneBoundingRect()
    target = QtCore.QPointF(box_c.right() + 60.0, box_c.bottom() + 12.0)  # b's top-left
    box_b = items["b"].sceneBoundingRect()
    start = node_point(window, items["b"].id)
    drag(window, start, view_point(window, target + (box_b.center() - box_b.topLeft())))
    moved = items["b"].sceneBoundingRect()
    assert moved.left() > box_c.right() and moved.top() > box_c.bottom()
    assert moved.top() - box_a.bottom() < 64  # a short drop: c stands across its middle
    (pipe,) = window.canvas.viewer.pipe_items()
    assert wire_faults(pipe, list(items.values())) == []


@pytest.mark.parametrize("way", [1.0, -1.0], ids=["rightwards", "leftwards"])
def test_a_wire_into_the_column_after_next_passes_the_column_between_in_a_row_gap(
        make_window, qtbot, tmp_path, way):
    """'b' a little below 'a', two columns across; 'c' in the column between stands where
    both of the wire's runs across would pass (a short drop: the wire climbs). The wire
    crosses the middle column in a gap above or below 'c', with a lane on either side."""
    window, items = three_nodes(make_window, qtbot, tmp_path,
                                [(0.0, 0.0), (way * 800.0, 64.0), (way * 400.0, 30.0)])
    a, b, c = (items[name].sceneBoundingRect() for name in "abc")
    assert 0 < b.top() - a.bottom() < 32  # the wire climbs: runs across under a, over b
    assert c.top() < a.bottom() + 16 and b.top() - 16 < c.bottom()  # c spans both runs
    (pipe,) = window.canvas.viewer.pipe_items()
    assert wire_faults(pipe, list(items.values())) == []


def test_dragging_a_node_across_a_graph_leaves_no_wire_through_a_node(
        make_window, qtbot):
    """small_resnet: a node dragged with the mouse across its neighbours to the far side
    of the next column, and one dragged back over the wires between."""
    window = show(make_window(str(EXAMPLES / "small_resnet.json")), qtbot)
    window.canvas.fit()
    QtWidgets.QApplication.processEvents()
    ids = list(window.doc.nodes)
    views = window.canvas.views
    bounds = window.canvas.viewer.scene().itemsBoundingRect()
    for node_id, way in ((ids[len(ids) // 2], 1), (ids[2], -1)):
        box = views[node_id].sceneBoundingRect()
        x = bounds.right() + 40.0 if way > 0 else bounds.left() - box.width() - 40.0
        window.canvas.fit()
        QtWidgets.QApplication.processEvents()
        click(window, node_point(window, node_id))
        start = node_point(window, node_id)
        end = view_point(window, QtCore.QPointF(x + box.width() / 2, box.center().y()))
        drag(window, start, end, steps=8)
        assert crossings(window) == [], window.doc.nodes[node_id].name


def test_a_node_that_grows_into_a_wire_has_that_wire_go_around_it(
        make_window, qtbot, tmp_path):
    """'c' stands just left of the wire from 'a' down to 'b'; renamed in the properties
    panel with a long name, it grows to the right across the wire, which goes around."""
    window, items = three_nodes(make_window, qtbot, tmp_path,
                                [(0.0, 0.0), (0.0, 400.0), (-200.0, 180.0)])
    (pipe,) = window.canvas.viewer.pipe_items()
    wire_x = pipe.path().pointAtPercent(0.5).x()
    box_c = items["c"].sceneBoundingRect()
    assert box_c.right() < wire_x  # not in the way yet
    click(window, node_point(window, items["c"].id))
    type_into(window.properties.name_edit, "a_dense_layer_with_a_much_longer_name")
    QtWidgets.QApplication.processEvents()
    grown = items["c"].sceneBoundingRect()
    assert grown.left() < wire_x < grown.right()  # it grew into the wire's way
    assert crossings(window) == []
    assert wire_faults(pipe, list(items.values())) == []


@pytest.mark.slow
def test_no_wire_crosses_a_third_node_in_an_imported_resnet50(
        make_window, qtbot, imported_project):
    window = show(make_window(imported_project("ResNet50")), qtbot)
    assert crossings(window) == []
    auto_layout(window)
    assert crossings(window) == []
