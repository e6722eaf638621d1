"""Real-size models are readable: laid out in columns, node titles legible after Fit."""

from __future__ import annotations

import pytest
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from kerascanvas.app.canvas.node_style import DETAIL_SCALE
from tests.app.conftest import show_at

# Node titles (10 pt bold) are drawn, legible, from the canvas' DETAIL_SCALE (0.35) up. Auto
# Layout keeps room beside each column for the shape labels of its wires: an imported
# ResNet50 fits at 0.37 in a 981x801 viewport (0.40 when they ran into the next column).
READABLE_SCALE = DETAIL_SCALE


def layout_and_fit(window) -> float:
    """Ctrl+L (auto layout) then F (fit), typed on the canvas; the view scale after."""
    viewport = window.canvas.viewer.viewport()
    QTest.keyClick(viewport, QtCore.Qt.Key_L, QtCore.Qt.ControlModifier)
    QTest.keyClick(viewport, QtCore.Qt.Key_F)
    QtWidgets.QApplication.processEvents()
    return window.canvas.viewer.transform().m11()


def node_boxes(window) -> list[QtCore.QRectF]:
    return [item.sceneBoundingRect() for item in window.canvas.views.values()]


def assert_no_overlap(boxes) -> None:
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.intersects(b), (a, b)


def test_auto_layout_is_undone_as_auto_layout(window, qtbot):
    """Ctrl+L names itself in the Edit menu ("Undo Auto layout", not "Undo Move"), and
    Ctrl+Z puts the nodes back where they were."""
    show_at(window)
    for kind in ("Input", "Dense", "Dense"):
        window.palette.kind_activated.emit(kind)
    before = [box.topLeft() for box in node_boxes(window)]
    layout_and_fit(window)
    assert window.actions["undo"].text() == "&Undo Auto layout"
    assert [box.topLeft() for box in node_boxes(window)] != before
    QTest.keyClick(window.canvas.viewer.viewport(), QtCore.Qt.Key_Z, QtCore.Qt.ControlModifier)
    QtWidgets.QApplication.processEvents()
    assert [box.topLeft() for box in node_boxes(window)] == before
    assert window.actions["redo"].text() == "&Redo Auto layout"


def test_undoing_and_redoing_auto_layout_keeps_the_graph_in_view(make_window, qtbot, tmp_path):
    """Ctrl+L frames the laid-out graph; Ctrl+Z puts the nodes back far from there, and
    Ctrl+Y lays them out again: each time the view frames them (the undo left the user
    looking at an empty canvas, the graph out of view)."""
    from kerascanvas.graph.document import Document, Edge

    from .gestures import saved

    doc = Document()
    ids = [doc.add_node("Input", "x", {"shape": [4]}).id,
           doc.add_node("Dense", "d", {"units": 2}).id]
    doc.connect(Edge(ids[0], 0, ids[1], 0))
    doc.set_position(ids[0], (4000.0, 3000.0))
    doc.set_position(ids[1], (4600.0, 3900.0))
    window = show_at(make_window(saved(doc, tmp_path, "far.json")))
    viewport = window.canvas.viewer.viewport()

    def all_in_view() -> bool:
        QtWidgets.QApplication.processEvents()
        visible = window.canvas.viewer.visible_scene_rect()
        return all(visible.contains(box) for box in node_boxes(window))

    QTest.keyClick(viewport, QtCore.Qt.Key_L, QtCore.Qt.ControlModifier)
    laid_out = [box.topLeft() for box in node_boxes(window)]
    assert laid_out[0] != QtCore.QPointF(4000.0, 3000.0) and all_in_view()
    QTest.keyClick(viewport, QtCore.Qt.Key_Z, QtCore.Qt.ControlModifier)
    assert window.canvas.views[ids[0]].pos() == QtCore.QPointF(4000.0, 3000.0)
    assert all_in_view()
    QTest.keyClick(viewport, QtCore.Qt.Key_Y, QtCore.Qt.ControlModifier)
    assert [box.topLeft() for box in node_boxes(window)] == laid_out
    assert all_in_view()


def check_readable(window, qtbot, path) -> None:
    show_at(window)
    assert window.open_path(path, ask=False)
    qtbot.wait(20)  # the starting view is set on the next turn of the event loop
    assert_no_overlap(node_boxes(window))  # as imported: laid out without drawn sizes
    scale = layout_and_fit(window)
    size = window.canvas.viewer.viewport().size().toTuple()
    assert scale >= READABLE_SCALE, f"{path}: fit scale {scale:.3f} in a {size} viewport"
    assert_no_overlap(node_boxes(window))
    visible = window.canvas.viewer.visible_scene_rect()
    assert all(visible.contains(box) for box in node_boxes(window))


def test_imported_mobilenet_v2_is_readable_after_fit(window, qtbot, imported_project):
    check_readable(window, qtbot, imported_project("MobileNetV2"))


@pytest.mark.slow
def test_imported_resnet50_is_readable_after_fit(window, qtbot, imported_project):
    check_readable(window, qtbot, imported_project("ResNet50"))


def main_wire_ends(window, src: str, dst: str) -> tuple[float, float]:
    """The x of the ports of the wires from `src` into `dst` as drawn, each the mean over
    those wires (an LSTM's output into both the query and the value of an attention)."""
    edges = [e for e in window.doc.in_edges(dst) if e.src == src]
    views = window.canvas.views
    outs = [views[src].outputs[e.src_port].sceneBoundingRect().center().x() for e in edges]
    ins = [views[dst].inputs[e.dst_port].sceneBoundingRect().center().x() for e in edges]
    return sum(outs) / len(outs), sum(ins) / len(ins)


def aside(window, a: str, b: str) -> float:
    """How far right of the port that the main wire from `a` enters the middle of node `b`
    stands (0 for a node entered at its middle)."""
    return window.canvas.views[b].sceneBoundingRect().center().x() - main_wire_ends(
        window, a, b)[1]


def test_the_examples_open_tidy(window, qtbot):
    """Each example opens laid out at the sizes its nodes are drawn: each wire of its main
    path runs straight down from its output port into its input port (the node of a port
    off the middle, an Add's in_0, stands aside by as much, and the wire out of it goes
    back to the column by as much), no nodes overlap, and Ctrl+L changes nothing.
    Positions written by hand left the centres of nodes of different widths apart until
    Ctrl+L."""
    from kerascanvas.graph.layout import layers_of, main_path
    from tests.app.gestures import EXAMPLES

    show_at(window)
    for path in sorted(EXAMPLES.glob("*.json")):
        assert window.open_path(str(path), ask=False)
        QtWidgets.QApplication.processEvents()
        assert window.stack.is_clean, path.name  # laid out as opened: nothing to save
        path_ids = main_path(window.doc, layers_of(window.doc))
        back = {b: aside(window, a, b) for a, b in zip(path_ids, path_ids[1:], strict=False)}
        jogs = {(a, b): round(x_out - x_in) for a, b in zip(path_ids, path_ids[1:], strict=False)
                for x_out, x_in in [main_wire_ends(window, a, b)]
                if abs(x_out - x_in - back.get(a, 0.0)) > 1}
        assert not jogs, (path.name, jogs)
        assert_no_overlap(node_boxes(window))
        opened = window.canvas.positions()
        layout_and_fit(window)
        moved = {n: pos for n, pos in window.canvas.positions().items()
                 if max(abs(a - b) for a, b in zip(pos, opened[n], strict=True)) > 1}
        assert not moved, (path.name, moved)


@pytest.mark.parametrize(("example", "block"), [("small_resnet", "res1"),
                                                ("densenet_small", "dense1"),
                                                ("inception_net", "inception1")])
def test_an_expanded_block_lines_up_as_drawn(window, qtbot, example, block):
    """Expanding a block of an example lays its layers out at the sizes they are drawn, in
    one undo step: each wire of a chain runs straight down (no jog), but out of a merge
    that stands aside for its main wire's port, back to that wire's column, and no node
    covers another. Their widths were guessed from their names, and the wires jogged."""
    from tests.app.gestures import EXAMPLES

    show_at(window)
    assert window.open_path(str(EXAMPLES / f"{example}.json"), ask=False)
    QtWidgets.QApplication.processEvents()
    node_id = next(n for n, node in window.doc.nodes.items() if node.name == block)
    before = window.canvas.positions()
    window.expand_block(node_id)
    QtWidgets.QApplication.processEvents()
    assert_no_overlap(node_boxes(window))
    doc, views = window.doc, window.canvas.views
    chain = [e for e in doc.edges  # a link of a chain: its wire runs straight when tidy
             if len(doc.out_edges(e.src)) == 1 and len(doc.in_edges(e.dst)) == 1]
    def column(node_id: str) -> float:  # a merge's: that of its source right above it
        box = views[node_id].sceneBoundingRect()
        above = [views[e.src].sceneBoundingRect() for e in doc.in_edges(node_id)]
        if len(above) < 2:
            return box.center().x()
        return min(above, key=lambda r: (box.top() - r.bottom(),
                                         abs(r.center().x() - box.center().x()))).center().x()

    jogs = {(doc.nodes[e.src].name, doc.nodes[e.dst].name):
            round(views[e.dst].sceneBoundingRect().center().x() - column(e.src), 1)
            for e in chain}
    assert not {k: d for k, d in jogs.items() if abs(d) > 1}, jogs
    window.undo()  # one step back to the block where it stood, the rest where they were
    QtWidgets.QApplication.processEvents()
    assert window.canvas.positions() == before
