"""Shape labels on wires: parallel wires (one node's several wires into another) get labels
that do not draw on top of each other, and each label stays beside its own wire."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtGui

from kerascanvas.graph import projectfile
from kerascanvas.graph.document import Document

from .gestures import drag, drag_port, node_ids, node_point, show

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def wires_between(window, src: str, dst: str) -> list:
    item = window.canvas.views[src]
    return [pipe for port in item.outputs for pipe in port.connected_pipes
            if pipe.input_port.node is window.canvas.views[dst]]


def label_rect(pipe) -> QtCore.QRectF:
    return pipe.label.mapRectToScene(pipe.label.boundingRect())


def assert_apart_and_beside(pipes) -> None:
    rects = [label_rect(p) for p in pipes]
    assert all(r.width() > 0 for r in rects)
    for i, a in enumerate(rects):
        for b in rects[i + 1:]:
            assert not a.intersects(b), (pipes[0].label.text(), a, b)
    for pipe, rect in zip(pipes, rects, strict=True):  # near its own wire, not anywhere
        near = QtGui.QPainterPathStroker()
        near.setWidth(2 * (rect.width() + 20))
        assert near.createStroke(pipe.path()).contains(rect.center())


def one_tensor_into_add(make_window, qtbot, tmp_path, add_at, between_at=None):
    """Input x wired by two drags into both ports of Add 'sum' (with a Dense 'between' at
    `between_at`, when given); the window, its node ids and the two wires."""
    doc = Document()
    source = doc.add_node("Input", "x", params={"shape": [16]}).id
    if between_at is not None:
        doc.set_position(doc.add_node("Dense", "between", params={"units": 16}).id, between_at)
    add = doc.add_node("Add", "sum").id
    doc.set_position(source, (0.0, 0.0))
    doc.set_position(add, add_at)
    path = tmp_path / "parallel.json"
    projectfile.save(doc, path)
    window = show(make_window(str(path)), qtbot)
    ids = node_ids(window)
    drag_port(window, ids["x"], ids["sum"], dst_port=0)
    drag_port(window, ids["x"], ids["sum"], dst_port=1)
    window.canvas.renderer.render()
    return window, ids, wires_between(window, ids["x"], ids["sum"])


def test_lstm_state_wires_into_one_node_have_separate_labels(make_window, qtbot):
    window = show(make_window(str(EXAMPLES / "attention_states.json")), qtbot)
    window.canvas.renderer.render()
    ids = node_ids(window)
    states = wires_between(window, ids["encoder"], ids["features"])
    queries = wires_between(window, ids["encoder"], ids["attention"])
    assert len(states) == 2 and len(queries) == 2
    assert_apart_and_beside(states)
    assert_apart_and_beside(queries)
    start = node_point(window, ids["features"])
    drag(window, start, start + QtCore.QPoint(60, -100))  # beside attention, wires close
    window.canvas.renderer.render()
    states = wires_between(window, ids["encoder"], ids["features"])
    assert_apart_and_beside(states)
    boxes = [item.sceneBoundingRect() for item in window.canvas.views.values()]
    for pipe in states:  # not hidden under a node
        assert not any(label_rect(pipe).intersects(box) for box in boxes)


def test_two_wires_from_one_port_into_one_node_have_separate_labels(make_window, qtbot,
                                                                    tmp_path):
    window, ids, wires = one_tensor_into_add(make_window, qtbot, tmp_path, add_at=(20.0, 160.0))
    assert len(wires) == 2 and {p.label.text() for p in wires} == {"(None, 16)"}
    assert_apart_and_beside(wires)


def test_no_label_is_hidden_under_a_node_or_another_label(make_window, qtbot, tmp_path):
    """The text input's wire runs behind the conv node into the concatenation: its label
    goes to a spot beside the wire that no node covers and no other label takes."""
    from .test_fixes_ui import two_branch_project

    window = show(make_window(two_branch_project(tmp_path)), qtbot)
    window.canvas.renderer.render()
    boxes = [item.sceneBoundingRect() for item in window.canvas.views.values()]
    pipes = {pipe for item in window.canvas.views.values() for port in item.outputs
             for pipe in port.connected_pipes}
    assert len(pipes) == 3
    for pipe in pipes:
        assert not any(label_rect(pipe).intersects(box) for box in boxes), pipe.label.text()
        assert not any(label_rect(pipe).intersects(label_rect(other))
                       for other in pipes if other is not pipe), pipe.label.text()


def test_parallel_wires_that_detour_run_in_lanes_of_their_own(make_window, qtbot, tmp_path):
    """One tensor into both inputs of an Add, with a node in the way: each wire goes around
    it in its own lane (they had run on top of each other)."""
    # The node's centre is right of both wires: both go around it on the left.
    window, ids, wires = one_tensor_into_add(make_window, qtbot, tmp_path, add_at=(0.0, 360.0),
                                             between_at=(40.0, 160.0))
    assert len(wires) == 2
    box = window.canvas.views[ids["between"]].sceneBoundingRect()
    middles = [p.path().pointAtPercent(0.5) for p in wires]
    assert all(not box.contains(m) for m in middles)  # both go around the node
    assert abs(middles[0].x() - middles[1].x()) >= 5  # in lanes of their own


def test_labels_of_a_residual_stack_in_columns_stay_apart(make_window, qtbot, tmp_path):
    """Laid out in columns, a skip wire up the gap had its label at its middle, on the
    label of a short wire between two nodes (ResNet50 showed three such pairs): a long
    wire's label now tries along all its length, and makes way for a short one's."""
    from kerascanvas.app.canvas.labels import LabelQueue
    from kerascanvas.graph.document import Edge

    doc = Document()
    prev = doc.add_node("Input", params={"shape": [16]}).id
    for _ in range(20):
        chain = [doc.add_node(kind, params=params).id for kind, params in (
            ("Dense", {"units": 16}), ("BatchNormalization", {}), ("Dense", {"units": 16}))]
        add = doc.add_node("Add").id
        for src, dst, port in zip([prev, *chain], [*chain, add], [0, 0, 0, 0], strict=True):
            doc.connect(Edge(src, 0, dst, port))
        doc.connect(Edge(prev, 0, add, 1))
        prev = add
    doc.outputs = [prev]
    projectfile.save(doc, tmp_path / "stack.json")
    window = show(make_window(str(tmp_path / "stack.json")), qtbot)
    window.canvas.renderer.render()
    for _ in range(3):  # labels that made way are placed again on the next turn
        LabelQueue.flush()
        qtbot.wait(1)
    rects = [label_rect(p) for p in window.canvas.viewer.pipe_items() if p.label.text()]
    assert len(rects) == len(doc.edges)
    overlaps = [(a, b) for i, a in enumerate(rects) for b in rects[i + 1:] if a.intersects(b)]
    assert overlaps == []


def test_a_second_wire_into_an_add_beside_other_wires_keeps_every_label_apart(
        make_window, qtbot, tmp_path):
    """The MLP with an Add beside it: two drags from 'hidden' (already wired to the dropout)
    into the Add's first two ports. Every label on the canvas stays apart, after the drags,
    after an undo and redo of the second wire, and after the Add is dragged closer."""
    import json

    from PySide6.QtTest import QTest

    project = json.loads((EXAMPLES / "mnist_mlp.json").read_text())
    project["nodes"].append({"id": "sum", "kind": "Add", "name": "sum", "params": {}})
    project["ui"]["positions"] = {node["id"]: [0.0, 120.0 * i]  # a column, rows apart
                                  for i, node in enumerate(project["nodes"][:-1])}
    project["ui"]["positions"]["sum"] = [250.0, 300.0]
    path = tmp_path / "mlp_add.json"
    path.write_text(json.dumps(project))
    window = show(make_window(str(path)), qtbot)
    ids = node_ids(window)

    def assert_all_apart():
        qtbot.wait(20)  # labels are placed on the next turn of the event loop
        pipes = [p for p in window.canvas.viewer.pipe_items() if p.label.text()]
        assert len(pipes) == 5
        assert_apart_and_beside(wires_between(window, ids["hidden"], ids["sum"]))
        rects = [(p.label.text(), label_rect(p)) for p in pipes]
        assert [(a, b) for i, a in enumerate(rects) for b in rects[i + 1:]
                if a[1].intersects(b[1])] == []

    drag_port(window, ids["hidden"], ids["sum"], dst_port=0)
    drag_port(window, ids["hidden"], ids["sum"], dst_port=1)
    assert_all_apart()
    viewport = window.canvas.viewer.viewport()
    QTest.keyClick(viewport, QtCore.Qt.Key_Z, QtCore.Qt.ControlModifier)
    qtbot.wait(20)
    assert len(wires_between(window, ids["hidden"], ids["sum"])) == 1
    QTest.keyClick(viewport, QtCore.Qt.Key_Z, QtCore.Qt.ControlModifier | QtCore.Qt.ShiftModifier)
    assert_all_apart()
    start = node_point(window, ids["sum"])
    drag(window, start, start + QtCore.QPoint(-120, -60))
    assert_all_apart()
