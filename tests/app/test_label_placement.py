"""Shape labels keep off the nodes and off each other's labels after the edits that place
many of them at once: a paste of a whole model beside itself, and a drag of part of it
(what a label keeps off is brought up to date at each placement, not counted anew)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtTest import QTest

from kerascanvas.app.canvas.labels import LabelQueue, shown
from kerascanvas.graph.document import Document, Edge

from .gestures import EXAMPLES, drag, node_point, show

CTRL = QtCore.Qt.ControlModifier
# attention_states with the positions an earlier auto layout gave it, where two short
# wires' labels have no room off the nodes
CROWDED = Path(__file__).parent / "data" / "attention_states_crowded.json"


def settle(window, qtbot) -> None:
    """Draw what is pending, and let labels that made way for others be placed again."""
    window.canvas.renderer.render()
    for _ in range(3):
        LabelQueue.flush()
        qtbot.wait(1)


def label_faults(window) -> list[str]:
    """Every label drawn that lies under a node or on another wire's label."""
    boxes = {item.id: item.sceneBoundingRect() for item in window.canvas.views.values()}
    pipes = [p for p in window.canvas.viewer.pipe_items() if shown(p)]
    rects = {pipe: pipe.label.sceneBoundingRect() for pipe in pipes}
    faults = [f"{pipe.label.text()} under {node}" for pipe, rect in rects.items()
              for node, box in boxes.items() if rect.intersects(box)]
    faults += [f"{a.label.text()} on {b.label.text()}" for i, a in enumerate(pipes)
               for b in pipes[i + 1:] if rects[a].intersects(rects[b])]
    return faults


def test_labels_keep_off_nodes_and_labels_after_a_paste_and_a_drag(make_window, qtbot):
    window = show(make_window(str(EXAMPLES / "small_resnet.json")), qtbot)
    viewport = window.canvas.viewer.viewport()
    window.canvas.fit()
    settle(window, qtbot)
    assert label_faults(window) == []
    edges = len(window.doc.edges)
    for code in (QtCore.Qt.Key_A, QtCore.Qt.Key_C, QtCore.Qt.Key_V):
        QTest.keyClick(viewport, code, CTRL)
    assert len(window.doc.edges) == 2 * edges
    window.canvas.fit()
    settle(window, qtbot)
    assert label_faults(window) == []
    # The copy is selected: drag it back over part of the original's width, so that the
    # labels of both are placed again against nodes that moved.
    copy = window.canvas.selected_ids()
    first = window.canvas.views[copy[0]]
    original = window.canvas.views[next(iter(window.doc.nodes))]
    gap = first.sceneBoundingRect().left() - original.sceneBoundingRect().right()
    start = node_point(window, copy[0])
    target = window.canvas.viewer.mapFromScene(
        window.canvas.viewer.mapToScene(start) - QtCore.QPointF(gap / 2, 0.0))
    drag(window, start, target, steps=4)
    QtWidgets.QApplication.processEvents()
    assert first.sceneBoundingRect().left() < original.sceneBoundingRect().right() + gap
    settle(window, qtbot)
    assert label_faults(window) == []


def test_a_label_keeps_off_a_node_dragged_onto_its_wire_and_beside_it(make_window, qtbot,
                                                                      tmp_path):
    """Dense c dragged onto the wire a -> b (which then goes around it), then just right of
    the wire's middle, where the label would go: each time the label is placed off c where
    c is now."""
    from .test_drag_wires import wire_and_node_beside

    window, (a, b, c) = wire_and_node_beside(make_window, qtbot, tmp_path)
    views = window.canvas.views
    settle(window, qtbot)
    assert label_faults(window) == []
    wire_x = views[a].outputs[0].sceneBoundingRect().center().x()
    middle_y = (views[a].sceneBoundingRect().bottom() + views[b].sceneBoundingRect().top()) / 2
    start = node_point(window, c)
    for x in (wire_x, wire_x + 12.0 + views[c].sceneBoundingRect().width() / 2):
        onto = window.canvas.viewer.mapFromScene(QtCore.QPointF(x, middle_y))
        drag(window, start, onto, steps=3)
        start = onto
        settle(window, qtbot)
        assert label_faults(window) == []


def test_a_short_sideways_wire_has_its_label_in_line_and_every_tooltip_its_shape(make_window,
                                                                               qtbot):
    """Rows laid out 22 units apart leave a short wire that runs sideways across the gap
    (an output port right of the middle into an input port left of it) no spot above or
    below it clear of the nodes: such a label was hidden (attention's and summary's
    outputs in attention_states, as laid out before the auto layout set summary straight
    above its Concatenate port: kept in a file; features into topic as laid out now). It
    sits in the gap now, in line with the wire beside its run across; on no node, on no
    other label. Every wire's tooltip is the shape its label shows."""
    from kerascanvas.app.canvas.render import shape_text

    for folder, stem in ((CROWDED.parent, CROWDED.stem), (EXAMPLES, "attention_states"),
                         (EXAMPLES, "seq2seq")):
        window = show(make_window(str(folder / f"{stem}.json")), qtbot)
        window.canvas.fit()
        settle(window, qtbot)
        assert label_faults(window) == [], stem
        pipes = [p for p in window.canvas.viewer.pipe_items() if p.label.text()]
        assert len(pipes) == len(window.doc.edges), stem
        assert [wire_of(p) for p in pipes if not shown(p)] == [], stem
        for pipe in pipes:
            edge = next(e for e in window.doc.edges if window.canvas.views[e.src] is
                        pipe.output_port.node and window.canvas.views[e.dst] is
                        pipe.input_port.node and e.dst_port == pipe.input_port.node
                        .inputs.index(pipe.input_port))
            assert pipe.toolTip() == pipe.label.text() == shape_text(
                window.analysis.edge_shape(edge)), (stem, edge)
        window.close()


def wire_of(pipe) -> str:
    return f"{pipe.output_port.node.name} -> {pipe.input_port.node.name}"


def walled_wire() -> Document:
    """Input x wired into Dense a, and two Inputs, left and right, wired to nothing."""
    doc = Document()
    x = doc.add_node("Input", "x", {"shape": [4]}).id
    a = doc.add_node("Dense", "a", {"units": 3}).id
    for name in ("left", "right"):
        doc.add_node("Input", name, {"shape": [2]})
    doc.connect(Edge(x, 0, a, 0))
    doc.outputs = [a]
    return doc


def wall_in(doc: Document, box_of, wire_x: float) -> None:
    """Place left and right 4 units either side of the wire out of x (at scene x `wire_x`),
    just under x, and a just under them: no spot beside the wire or in line with it is off
    the nodes, and no node overlaps another. `box_of(name)`: the node's rectangle as drawn
    where it is now."""
    top, wall = box_of("x"), box_of("left").height()
    doc.set_position(doc.find("x").id, (top.left(), top.top()))
    doc.set_position(doc.find("a").id, (top.left(), top.bottom() + wall + 2.0))
    for name, side in (("left", -1), ("right", 1)):
        width = box_of(name).width()
        doc.set_position(doc.find(name).id, (wire_x + 4.0 if side > 0 else wire_x - 4.0 - width,
                                             top.bottom() + 1.0))


def test_hovering_a_wire_whose_label_has_no_room_shows_its_shape(make_window, qtbot,
                                                                  tmp_path):
    """Two nodes drawn right beside a wire, all along it, leave its label no spot beside it
    or in line with it off the nodes: it is hidden (not drawn half under a node), and the
    tooltip Qt shows over the middle of the wire is its shape."""
    from .gestures import saved

    doc = walled_wire()
    window = show(make_window(saved(doc, tmp_path, "walled.json")), qtbot)
    views = {node.name: window.canvas.views[node_id] for node_id, node in window.doc.nodes.items()}
    wire_x = views["x"].outputs[0].sceneBoundingRect().center().x()
    wall_in(window.doc, lambda name: views[name].sceneBoundingRect(), wire_x)
    window.canvas.fit()
    settle(window, qtbot)
    (pipe,) = window.canvas.viewer.pipe_items()
    assert pipe.label.text() and not shown(pipe)
    assert label_faults(window) == []
    assert tooltip_at(window, qtbot, pipe.path().pointAtPercent(0.5)) == pipe.label.text() \
        == "(None, 4)"
    # and at both its ends, larger marks to hover than the wire: the ports' tooltips name it
    ends = [(views["x"].outputs[0], "x: output port 0, (None, 4)"),
            (views["a"].inputs[0], "a: input in_0, (None, 4)")]
    for port, tip in ends:
        assert tooltip_at(window, qtbot, port.sceneBoundingRect().center()).startswith(tip)


def tooltip_at(window, qtbot, point: QtCore.QPointF) -> str:
    """The tooltip Qt shows with the pointer resting at the scene point `point`."""
    viewer = window.canvas.viewer
    at = viewer.mapFromScene(point)
    QTest.mouseMove(viewer.viewport(), at)  # items set their tooltips on hover
    QtWidgets.QApplication.sendEvent(viewer.viewport(), QtGui.QHelpEvent(
        QtCore.QEvent.ToolTip, at, viewer.viewport().mapToGlobal(at)))
    qtbot.waitUntil(lambda: QtWidgets.QToolTip.isVisible())
    text = QtWidgets.QToolTip.text()
    QtWidgets.QToolTip.hideText()
    qtbot.waitUntil(lambda: not QtWidgets.QToolTip.isVisible())
    return text


def label_crossings(window) -> list[tuple[str, str, str]]:
    """Each label drawn that another wire of its own two nodes runs through (a wire into
    another port of the merge node it enters, or out of the node it leaves): the label's
    wire, by its nodes, and the other wire's source."""
    stroker = QtGui.QPainterPathStroker()
    stroker.setWidth(3.0)
    pipes = window.canvas.viewer.pipe_items()
    strokes = {pipe: stroker.createStroke(pipe.path()) for pipe in pipes}
    return [(pipe.output_port.node.name, pipe.input_port.node.name,
             other.output_port.node.name)
            for pipe in pipes if shown(pipe)
            for other in pipes if other is not pipe
            and (other.input_port.node is pipe.input_port.node
                 or other.output_port.node is pipe.output_port.node)
            and strokes[other].intersects(pipe.label.sceneBoundingRect())]


def expanded(make_window, qtbot, example: str, blocks):
    window = show(make_window(str(EXAMPLES / f"{example}.json")), qtbot)
    for name in blocks:
        window.expand_block(next(n for n, node in window.doc.nodes.items()
                                 if node.name == name))
    window.canvas.fit()
    settle(window, qtbot)
    return window


@pytest.mark.parametrize("example, blocks", [
    ("small_resnet", ["res3"]),  # a projection shortcut across the Add's top into in_0
    ("small_resnet", ["res1", "res2", "res3", "res4"]),  # and identity shortcuts
    ("densenet_small", ["dense1", "dense2"]),  # each Concatenate's skip wire
])
def test_labels_at_merge_nodes_keep_off_the_wires_into_them(make_window, qtbot, example,
                                                             blocks):
    """A shortcut into an Add runs across the top of the merge node to its first port,
    right beside the middle of the main path's last wire, and leaves the node it starts
    from beside the main path's first wire: the labels of both were struck through by it
    (res3 of small_resnet, expanded). A label now takes a spot beside its own wire that the
    other wires of its two nodes leave free where there is one, and never lies on another
    label or a node."""
    window = expanded(make_window, qtbot, example, blocks)
    assert label_faults(window) == []
    assert label_crossings(window) == []
    hidden = [p for p in window.canvas.viewer.pipe_items() if p.label.text() and not shown(p)]
    assert hidden == []  # none hidden to keep off a wire


@pytest.mark.parametrize("example, blocks", [("inception_net", ["inception1", "inception2"]),
                                            ("seq2seq", []), ("attention_states", []),
                                            ("customer_tickets", [])])
def test_labels_where_wires_crowd_into_a_merge_node_stay_apart(make_window, qtbot, example,
                                                               blocks):
    """Where the wires into the other ports of a Concatenate cross the whole gap above it
    (four inception branches, an LSTM's states beside a sequence), or three wires run into
    ports a port apart (customer_tickets: the middle one's short wire has no spot beside it
    that the runs of the other two leave free), a label still lies on no other label and
    no node."""
    window = expanded(make_window, qtbot, example, blocks)
    assert label_faults(window) == []



def test_a_label_with_no_spot_off_the_wires_keeps_off_other_labels():
    """Every spot beside a wire meets another wire (a crowded stretch of an imported
    MobileNetV2 or DenseNet121): the label went to the first spot off the nodes even where
    that lay on another wire's label, though a spot further along was clear of the labels;
    a wire through a label leaves it readable, two labels on each other do not (imported
    MobileNetV2: 7 labels on others before, 3 after; DenseNet121: 72, 40)."""
    from kerascanvas.app.canvas.label_spots import label_spot, label_spots

    path = QtGui.QPainterPath(QtCore.QPointF(0.0, 0.0))
    path.lineTo(0.0, 300.0)
    size = QtCore.QSizeF(110.0, 15.0)
    first = next(label_spots(path, size))
    other = QtCore.QRectF(first).adjusted(-60.0, -20.0, 60.0, 20.0)  # both sides of it
    spot = label_spot(path, size, [], blocked=lambda rect: True,
                      labelled=lambda rect: rect.intersects(other))
    assert spot is not None
    assert not QtCore.QRectF(spot, size).intersects(other)
    # with no spot clear of the labels either, the first off the nodes, as before
    assert label_spot(path, size, [], blocked=lambda rect: True,
                      labelled=lambda rect: True) == first.topLeft()


def test_a_label_as_short_as_the_one_it_lies_under_makes_way_where_it_has_room(
        make_window, qtbot, tmp_path):
    """A chain of convolutions with a residual block every third layer, laid out in three
    columns: the label beside res12's wire, with no spot free of the labels, lay on the
    label of res3's wire in the column before (as short a wire, so it did not move,
    though a spot beside it was free). That one moves now."""
    from .gestures import saved

    doc = Document()
    prev = doc.add_node("Input", "x", {"shape": [16, 16, 8]}).id
    for i in range(1, 25):
        kind, params = ("ResidualBlock", {"filters": 8}) if i % 3 == 0 else \
            ("Conv2D", {"filters": 8, "kernel_size": [3, 3], "padding": "same"})
        node = doc.add_node(kind, f"res{i}" if i % 3 == 0 else f"conv{i}", params).id
        doc.connect(Edge(prev, 0, node, 0))
        prev = node
    for kind, params in (("GlobalAveragePooling2D", {}), ("Dense", {"units": 10})):
        node = doc.add_node(kind, None, params).id
        doc.connect(Edge(prev, 0, node, 0))
        prev = node
    doc.outputs = [prev]
    window = make_window(saved(doc, tmp_path, "chain.json"))
    window.resize(1600, 1000)
    show(window, qtbot)
    window.auto_layout()
    settle(window, qtbot)
    assert label_faults(window) == []

