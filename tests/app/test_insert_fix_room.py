"""The layers an Issues fix inserts cover no node, at the sizes the canvas draws, on straight
wires (the auto layout) and on bent ones; the nodes after them move on to make room."""

from __future__ import annotations

import pytest
from PySide6 import QtCore, QtWidgets

from kerascanvas.graph import commands as cmd
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.insert_layers import PLACING
from kerascanvas.graph.placement import BENT_ROOM, GAP
from tests.graph.fix_cases import CASES

from .gestures import saved, show

INSERTING = sorted(name for name in CASES if name.split("-")[0] in PLACING)


def two_branches():
    """x feeds d and, past it, the Add that d feeds too; the Add's inputs differ (5, 4): its
    projection goes on the wire x -> add, beside d (no positions: the app lays it out)."""
    doc = Document()
    x = doc.add_node("Input", "x", params={"shape": [4]}).id
    d = doc.add_node("Dense", "d", params={"units": 5}).id
    add = doc.add_node("Add", "add").id
    out = doc.add_node("Dense", "out", params={"units": 3}).id
    for edge in (Edge(x, 0, add, 1), Edge(x, 0, d, 0), Edge(d, 0, add, 0), Edge(d, 0, out, 0)):
        doc.connect(edge)
    doc.outputs = [out]
    return doc, out, None


def opened(make_window, qtbot, tmp_path, doc):
    window = show(make_window(saved(doc, tmp_path, "project.json")), qtbot)
    window.canvas.renderer.render()
    window.refresh_panels()
    return window


def rects(window) -> dict[str, QtCore.QRectF]:
    QtWidgets.QApplication.processEvents()
    return {window.doc.nodes[n].name: item.sceneBoundingRect()
            for n, item in window.canvas.views.items()}


def covered(window) -> list[tuple[str, str]]:
    drawn = rects(window)
    names = sorted(drawn)
    return [(a, b) for i, a in enumerate(names) for b in names[i + 1:]
            if drawn[a].intersects(drawn[b])]


def bend(window, node_id: str) -> None:
    """Move `node_id`, and every node level with it or after it, 70 to the right: the wires
    into it are bent, and nothing is covered."""
    top = window.doc.position(node_id)[1]
    moves = {n: (p[0] + 70.0, p[1]) for n in window.doc.nodes
             if (p := window.doc.position(n)) is not None and p[1] >= top - 0.5}
    window.stack.push(cmd.Move(window.doc, moves))
    assert covered(window) == []


@pytest.mark.parametrize("wires", ["straight", "bent"])
@pytest.mark.parametrize("name", [*INSERTING, "insert_projection-beside-a-branch"])
def test_an_inserted_layer_covers_no_node(make_window, qtbot, tmp_path, name, wires):
    code = name.split("-")[0]
    doc, out, _ = two_branches() if name.endswith("branch") else CASES[name]()
    if out is not None:
        doc.outputs = [out]
    window = opened(make_window, qtbot, tmp_path, doc)
    issue = next(i for i in window.analysis.issues if code in i.fixes)
    if wires == "bent":
        bend(window, issue.node)
    assert covered(window) == []
    before = set(window.doc.nodes)
    window.apply_fix(issue, code)
    assert set(window.doc.nodes) > before, "the fix inserted nothing"
    assert covered(window) == []



def reshaped_on_a_bent_wire(make_window, qtbot, tmp_path):
    """A window on an Input of shape (8, 8) dropped above and left of a Conv2D, after the
    Insert Reshape fix; and the Conv2D's id."""
    doc = Document()
    x = doc.add_node("Input", "input", params={"shape": [8, 8]}).id
    conv = doc.add_node("Conv2D", "conv2d", params={"filters": 32, "kernel_size": [3, 3]}).id
    doc.connect(Edge(x, 0, conv, 0))
    doc.set_position(x, (0.0, 0.0))
    doc.set_position(conv, (70.0, 150.0))
    window = opened(make_window, qtbot, tmp_path, doc)
    issue = next(i for i in window.analysis.issues if "insert_reshape" in i.fixes)
    window.apply_fix(issue, "insert_reshape")
    return window, conv

def test_a_layer_inserted_on_a_short_bent_wire_moves_the_next_node_on(
        make_window, qtbot, tmp_path):
    """An Input of shape (8, 8) dropped above and left of a Conv2D, then Insert Reshape: the
    Conv2D moves down, so the bent wire into it has room for its bend and its label."""
    window, conv = reshaped_on_a_bent_wire(make_window, qtbot, tmp_path)
    drawn = rects(window)
    assert covered(window) == []
    assert drawn["input"].bottom() < drawn["reshape"].top() < drawn["conv2d"].top()
    assert drawn["conv2d"].top() - drawn["reshape"].bottom() >= GAP + BENT_ROOM - 0.5
    pipe = window.canvas.views[conv].inputs[0].connected_pipes[0]
    label = pipe.label.sceneBoundingRect()
    assert pipe.label.opacity() > 0 and pipe.label.text() == "(None, 8, 8, 1)"
    assert not any(label.intersects(rect) for rect in drawn.values())


def test_the_label_of_a_short_bent_wire_is_off_its_arrow_head(make_window, qtbot, tmp_path):
    window, conv = reshaped_on_a_bent_wire(make_window, qtbot, tmp_path)
    QtWidgets.QApplication.processEvents()
    pipe = window.canvas.views[conv].inputs[0].connected_pipes[0]
    assert not pipe.label.sceneBoundingRect().intersects(pipe._dir_pointer.sceneBoundingRect())
