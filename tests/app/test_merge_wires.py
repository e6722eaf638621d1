"""Which input feeds which port of a merge node can be read from the drawing: after the
auto layout, no two wires into different ports of one node overlap or cross within `BAND`
units above it, and none passes over another wired port of it there. A functional
model imported from Keras with a nested model called twice into a Concatenate drew the
first call right above the Concatenate's in_1 while it fed in_0, its wire and the second
call's running over each other into the ports."""

from __future__ import annotations

import pytest
from PySide6 import QtCore, QtWidgets

from .gestures import EXAMPLES, show
from .wire_geometry import wire_points

BAND = 40.0  # how far above a merge node wires into it are checked
NEAR = 3.0  # wires closer than this overlap


def _cross(a, b, c, d) -> bool:
    kind, _ = QtCore.QLineF(a, b).intersects(QtCore.QLineF(c, d))
    return kind == QtCore.QLineF.IntersectionType.BoundedIntersection


def merge_faults(window) -> list[str]:
    """'node: wire x wire' for two wires into different ports of one node that cross or
    come within `NEAR` of each other within `BAND` above it, and 'node: wire over port'
    for a wire that passes over another wired port of its node there."""
    into: dict = {}
    for pipe in window.canvas.viewer.pipe_items():
        into.setdefault(pipe.input_port.node, []).append(pipe)
    faults = []
    for node, pipes in into.items():
        top = node.sceneBoundingRect().top()
        band = {p: [q for q in wire_points(p, 600) if q.y() >= top - BAND] for p in pipes}
        name = {p: f"{p.output_port.node.name}->{p.input_port.name}" for p in pipes}
        for i, a in enumerate(pipes):
            for b in pipes[i + 1:]:
                if a.input_port is b.input_port:
                    continue
                pa, pb = band[a], band[b]
                crossing = any(_cross(pa[k], pa[k + 1], pb[m], pb[m + 1])
                               for k in range(len(pa) - 1) for m in range(len(pb) - 1))
                near = any((u - v).manhattanLength() < NEAR for u in pa[::3] for v in pb[::3])
                if crossing or near:
                    faults.append(f"{node.name}: {name[a]} x {name[b]}")
        ports = {p.input_port.sceneBoundingRect().center().x() for p in pipes}
        for p in pipes:
            own = p.input_port.sceneBoundingRect().center().x()
            over = {x for x in ports - {own} for q in band[p]
                    if abs(q.x() - x) < 4.0 and abs(q.x() - own) > 4.0 and q.y() < top - 2}
            faults += [f"{node.name}: {name[p]} over the port at {x:.0f}" for x in over]
    return faults


def laid_out(window, qtbot, blocks=()):
    show(window, qtbot)
    for name in blocks:
        window.expand_block(next(n for n, node in window.doc.nodes.items()
                                 if node.name == name))
    window.auto_layout()
    QtWidgets.QApplication.processEvents()
    return window


def two_call_project(tmp_path) -> str:
    """A Keras model with a shared Dense and a nested model, each called twice, the
    nested model's two outputs into the Concatenate 'cat', imported as a project."""
    import keras

    from kerascanvas.graph.projectfile import save
    from kerascanvas.runtime.importer import import_model

    inner_in = keras.Input((16,), name="inner_in")
    inner = keras.Model(inner_in, keras.layers.Dense(8, name="inner_d")(inner_in),
                        name="inner")
    a, b = keras.Input((16,), name="a"), keras.Input((16,), name="b")
    shared = keras.layers.Dense(16, name="shared")
    x = keras.layers.Concatenate(name="cat")([inner(shared(a)), inner(shared(b))])
    model = keras.Model([a, b], keras.layers.Dense(3, name="out")(x), name="func")
    path = tmp_path / "func.json"
    save(import_model(model), path)
    return str(path)


def test_an_imported_model_calling_a_nested_model_twice_into_a_concatenate(
        make_window, qtbot, tmp_path):
    window = laid_out(make_window(two_call_project(tmp_path)), qtbot)
    doc, views = window.doc, window.canvas.views
    cat = doc.find("cat").id
    sources = {e.dst_port: e.src for e in doc.in_edges(cat)}
    assert [doc.nodes[sources[p]].name for p in (0, 1)] == ["inner", "inner_call1"]
    # in_0's source stands left of in_1's, and neither right above the other's port
    left, right = (views[sources[p]].sceneBoundingRect() for p in (0, 1))
    assert left.right() < right.left()
    assert merge_faults(window) == []


@pytest.mark.parametrize("example, blocks", [
    ("small_resnet", ["res1", "res2", "res3", "res4"]),  # shortcuts in_0 and in_1 of Adds
    ("small_resnet", ["res3"]),
    ("densenet_small", ["dense1", "dense2"]),
    ("customer_tickets", []),  # three inputs into one Concatenate
    ("seq2seq", []),  # an LSTM's states beside a sequence
    ("text_classifier", []),
])
def test_wires_into_a_merge_node_keep_apart_above_it(make_window, qtbot, example, blocks):
    window = laid_out(make_window(str(EXAMPLES / f"{example}.json")), qtbot, blocks)
    assert merge_faults(window) == []
