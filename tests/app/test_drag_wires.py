"""Dragged wires: a wire whose two nodes and neighbours move alike is shifted, not routed
again; it must lie exactly where routing it again would put it."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from kerascanvas.graph.document import Document, Edge

from .gestures import EXAMPLES, click, drag, move, node_point, saved, show, view_point
from .wire_geometry import path_points, routed_again, wire_faults

CTRL, SHIFT = QtCore.Qt.ControlModifier, QtCore.Qt.ShiftModifier


def assert_near(got, want, what) -> None:
    assert len(got) == len(want), what
    assert all(abs(a - c) < 1e-6 and abs(b - d) < 1e-6
               for (a, b), (c, d) in zip(got, want, strict=True)), (what, got, want)


def resnet_window(make_window, qtbot):
    """The small ResNet example (skip wires that detour, wires into the next column)."""
    window = show(make_window(str(EXAMPLES / "small_resnet.json")), qtbot)
    window.canvas.fit()
    QtWidgets.QApplication.processEvents()
    return window


def test_dragging_everything_shifts_each_wire_and_label_by_the_step(make_window, qtbot):
    window = resnet_window(make_window, qtbot)
    pipes = window.canvas.viewer.pipe_items()
    first = next(iter(window.doc.nodes))
    item = window.canvas.views[first]
    before = {p: (path_points(p), p.label.pos()) for p in pipes}
    was = item.pos()
    QTest.keyClick(window.canvas.viewer.viewport(), QtCore.Qt.Key_A, CTRL)
    start = node_point(window, first)
    drag(window, start, start + QtCore.QPoint(37, 83), steps=5)
    step = item.pos() - was
    assert step.x() > 10 and step.y() > 10
    for pipe, (points, label) in before.items():
        assert_near(path_points(pipe), [(x + step.x(), y + step.y()) for x, y in points], pipe)
        assert (pipe.label.pos() - label - step).manhattanLength() < 1e-6
    shifted = {pipe: path_points(pipe) for pipe in pipes}
    for pipe, points in routed_again(pipes).items():
        assert_near(shifted[pipe], points, pipe)


def test_dragging_part_of_a_graph_draws_its_wires_as_routing_again_would(
        make_window, qtbot, monkeypatch):
    """A wire inside the dragged group with no node left near it is shifted; the others
    (into nodes that stayed, past them) are routed again: all end where routing puts them."""
    from kerascanvas.app.canvas.pipes import LayerPipeItem

    shifted = []
    shift_with = LayerPipeItem.shift_with

    def noted(pipe, *args):
        shifted.append(shift_with(pipe, *args))
        return shifted[-1]

    monkeypatch.setattr(LayerPipeItem, "shift_with", noted)
    window = resnet_window(make_window, qtbot)
    ids = list(window.doc.nodes)
    group = ids[2:9]
    click(window, node_point(window, group[0]))
    for node_id in group[1:]:
        click(window, node_point(window, node_id), modifiers=SHIFT)
    assert set(window.canvas.selected_ids()) == set(group)
    start = node_point(window, group[0])
    drag(window, start, start + QtCore.QPoint(140, 30), steps=4)
    moved = {window.canvas.views[n] for n in group}
    pipes = [p for p in window.canvas.viewer.pipe_items()
             if p.input_port.node in moved or p.output_port.node in moved]
    assert True in shifted and False in shifted  # both ways were taken
    drawn = {pipe: path_points(pipe) for pipe in pipes}
    for pipe, points in routed_again(pipes).items():
        assert_near(drawn[pipe], points, pipe)


def wire_and_node_beside(make_window, qtbot, tmp_path):
    """Input a wired into Dense b 400 below it, and Dense c beside the wire; the window
    (fitted) and the three ids."""
    doc = Document()
    a = doc.add_node("Input", "a", params={"shape": [4]}).id
    b = doc.add_node("Dense", "b", params={"units": 2}).id
    c = doc.add_node("Dense", "c", params={"units": 3}).id
    doc.connect(Edge(a, 0, b, 0))
    for node_id, pos in ((a, (0.0, 0.0)), (b, (0.0, 400.0)), (c, (400.0, 200.0))):
        doc.set_position(node_id, pos)
    window = show(make_window(saved(doc, tmp_path, "three.json")), qtbot)
    window.canvas.fit()
    QtWidgets.QApplication.processEvents()
    return window, (a, b, c)


def test_a_dragged_wire_that_comes_to_pass_a_node_goes_around_it(make_window, qtbot, tmp_path):
    """Two wired nodes dragged together so that their wire would cross a node that stayed:
    the wire is routed again, around it (shifted, it would run straight through)."""
    window, (a, b, c) = wire_and_node_beside(make_window, qtbot, tmp_path)
    click(window, node_point(window, a))
    click(window, node_point(window, b), modifiers=SHIFT)
    views = window.canvas.views
    across = (view_point(window, views[c].sceneBoundingRect().center()).x()
              - view_point(window, views[a].sceneBoundingRect().center()).x())
    start = node_point(window, a)
    drag(window, start, start + QtCore.QPoint(across, 0), steps=3)
    (pipe,) = window.canvas.viewer.pipe_items()
    box = views[c].sceneBoundingRect()
    assert box.left() < pipe.path().pointAtPercent(0.0).x() < box.right()  # c is in the way
    assert not box.contains(pipe.path().pointAtPercent(0.5))  # and the wire goes around it
    drawn = path_points(pipe)
    assert_near(drawn, routed_again([pipe])[pipe], pipe)


def node_dragged_onto_the_wire(make_window, qtbot, tmp_path):
    """`wire_and_node_beside`, then the third node dragged onto the wire between the other
    two: (window, nodes, the wire, its points before the drag, (drag start, drag end))."""
    window, (a, b, c) = wire_and_node_beside(make_window, qtbot, tmp_path)
    views = window.canvas.views
    (pipe,) = window.canvas.viewer.pipe_items()
    straight = path_points(pipe)
    start = node_point(window, c)
    onto = view_point(window, QtCore.QPointF(views[a].sceneBoundingRect().center().x(),
                                             views[c].sceneBoundingRect().center().y()))
    drag(window, start, onto, steps=3)
    return window, (a, b, c), pipe, straight, (start, onto)


def test_a_node_dragged_onto_or_off_a_wire_between_others_reroutes_it(
        make_window, qtbot, tmp_path):
    """A node dragged across a wire whose two nodes stay: the wire goes around it where it
    lands, and runs straight again once it is dragged off (its route was left as it was,
    through the node, or around a node no longer there)."""
    window, (a, b, c), pipe, straight, (start, onto) = node_dragged_onto_the_wire(
        make_window, qtbot, tmp_path)
    views = window.canvas.views
    box = views[c].sceneBoundingRect()
    assert box.left() < pipe.path().pointAtPercent(0.0).x() < box.right()  # c is in the way
    assert wire_faults(pipe, [views[a], views[b], views[c]]) == []
    assert_near(path_points(pipe), routed_again([pipe])[pipe], pipe)
    drag(window, onto, start, steps=3)
    assert_near(path_points(pipe), straight, pipe)


def test_a_wire_routed_around_a_node_runs_straight_once_that_node_is_deleted(
        make_window, qtbot, tmp_path):
    """A node on a wire between two others, deleted (Delete): the wire runs straight again,
    not around the node no longer there; undone (Ctrl+Z), it goes around it once more. An
    inserted fix undone left the wire it had pushed aside going around an empty spot."""
    window, (a, b, c), pipe, straight, (start, onto) = node_dragged_onto_the_wire(
        make_window, qtbot, tmp_path)
    views = window.canvas.views
    around = path_points(pipe)
    assert around != straight
    click(window, onto)
    viewport = window.canvas.viewer.viewport()
    QTest.keyClick(viewport, QtCore.Qt.Key_Delete)
    QtWidgets.QApplication.processEvents()
    assert c not in window.doc.nodes
    assert_near(path_points(pipe), straight, pipe)
    QTest.keyClick(viewport, QtCore.Qt.Key_Z, CTRL)
    QtWidgets.QApplication.processEvents()
    assert c in window.doc.nodes
    assert wire_faults(pipe, [views[a], views[b], views[c]]) == []
    assert_near(path_points(pipe), around, pipe)


def wires_off_their_ports(window) -> list:
    """The pipes whose ends are not on the centres of their two ports."""
    return [pipe for pipe in window.canvas.viewer.pipe_items()
            if any(fault.startswith("ends at") for fault in wire_faults(pipe, []))]


def test_wires_follow_each_step_of_a_drag_and_every_move_after_it(make_window, qtbot):
    """The dragged nodes are moved without telling their items of each move: the wires
    still follow them at every mouse step, before the release; after it the nodes are told
    of moves again, so an undo that moves them back takes their wires along."""
    window = resnet_window(make_window, qtbot)
    ids = list(window.doc.nodes)
    window.canvas.select(ids[: len(ids) // 2])
    item = window.canvas.views[ids[0]]
    was = item.pos()
    viewport, start = window.canvas.viewer.viewport(), node_point(window, ids[0])
    QTest.mousePress(viewport, QtCore.Qt.LeftButton, QtCore.Qt.NoModifier, start)
    for k in (1, 2, 3):
        move(viewport, start + QtCore.QPoint(25 * k, 40 * k))
        assert (item.pos() - was).manhattanLength() > 20 * k
        assert wires_off_their_ports(window) == []
    QTest.mouseRelease(viewport, QtCore.Qt.LeftButton, QtCore.Qt.NoModifier,
                       start + QtCore.QPoint(75, 120))
    QtWidgets.QApplication.processEvents()
    flag = QtWidgets.QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges
    assert all(view.flags() & flag for view in window.canvas.views.values())
    QTest.keyClick(viewport, QtCore.Qt.Key_Z, CTRL)
    QtWidgets.QApplication.processEvents()
    assert (item.pos() - was).manhattanLength() < 1e-6
    assert wires_off_their_ports(window) == []


def test_a_drag_whose_release_never_came_ends_at_the_next_press(make_window, qtbot):
    """A drag cut off without its release (the mouse taken by another window): the next
    press ends it, and the nodes it moved are told of their moves again."""
    window = resnet_window(make_window, qtbot)
    first = next(iter(window.doc.nodes))
    click(window, node_point(window, first))
    viewport, start = window.canvas.viewer.viewport(), node_point(window, first)
    QTest.mousePress(viewport, QtCore.Qt.LeftButton, QtCore.Qt.NoModifier, start)
    move(viewport, start + QtCore.QPoint(30, 30))
    flag = QtWidgets.QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges
    item = window.canvas.views[first]
    assert not item.flags() & flag  # quiet while dragged
    click(window, view_point(window, QtCore.QPointF(-5000.0, -5000.0)))
    assert item.flags() & flag
    item.setPos(item.pos() + QtCore.QPointF(0.0, 50.0))
    window.canvas.flush_pipes()
    QtWidgets.QApplication.processEvents()
    assert wires_off_their_ports(window) == []


def test_an_undone_delete_of_everything_draws_each_wire_where_it_was(make_window, qtbot):
    """Every node deleted (Ctrl+A, Delete) and brought back (Ctrl+Z): no wire stayed to be
    routed again around them, and each wire comes back on the path it had, as routing it
    again would draw it."""
    window = resnet_window(make_window, qtbot)
    viewport = window.canvas.viewer.viewport()
    before = {window.canvas._edge_of(p.output_port, p.input_port): path_points(p)
              for p in window.canvas.viewer.pipe_items()}
    QTest.keyClick(viewport, QtCore.Qt.Key_A, CTRL)
    QTest.keyClick(viewport, QtCore.Qt.Key_Delete)
    QtWidgets.QApplication.processEvents()
    assert not window.doc.nodes and not window.canvas.viewer.pipe_items()
    QTest.keyClick(viewport, QtCore.Qt.Key_Z, CTRL)
    QtWidgets.QApplication.processEvents()
    pipes = window.canvas.viewer.pipe_items()
    after = {window.canvas._edge_of(p.output_port, p.input_port): path_points(p)
             for p in pipes}
    assert after.keys() == before.keys()
    for edge, points in before.items():
        assert_near(after[edge], points, edge)
    for pipe, points in routed_again(pipes).items():
        assert_near(after[window.canvas._edge_of(pipe.output_port, pipe.input_port)],
                    points, pipe)


def test_a_wire_whose_ports_were_placed_again_is_drawn_again_not_shifted(make_window, qtbot):
    """Two wired nodes moved alike in one batch, one of them widened by a longer name in
    the same batch (its ports placed again on it): their wire is not shifted with them,
    which would leave it off the moved port, but drawn again between the ports."""
    from kerascanvas.app.canvas.pipes import batched_pipes

    window = resnet_window(make_window, qtbot)
    pipe = window.canvas.viewer.pipe_items()[0]
    src, dst = pipe.output_port.node, pipe.input_port.node
    port_was = pipe.output_port.pos()
    with batched_pipes():
        src.set_texts(src.name + "_with_a_much_longer_name", src.subtitle, src.shape_text,
                      src.show_shape)
        for item in (src, dst):
            item.moveBy(30.0, 40.0)
    assert (pipe.output_port.pos() - port_was).manhattanLength() > 1.0
    assert wires_off_their_ports(window) == []
    assert_near(path_points(pipe), routed_again([pipe])[pipe], pipe)
