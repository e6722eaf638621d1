"""A layer or block dropped on a wire lands where it was dropped: a ResidualBlock dropped
on a wire that runs to the next column of a wrapped layout went midway between the
columns, among other nodes, their wire bent round it."""

from __future__ import annotations

import pytest
from PySide6 import QtWidgets

from kerascanvas.app.canvas.pipe_item import PipeItem
from kerascanvas.graph.document import Document, Edge

from .gestures import saved, show
from .test_placement_ui import drop, overlapping, palette_mime

# A top-to-bottom chain wrapped into two columns: relu's wire runs up to pool.
COLUMNS = (("Input", "x", (0, 0), {"shape": [28, 28, 1]}), ("Conv2D", "conv", (0, 150), {}),
           ("ReLU", "relu", (0, 450), {}), ("MaxPooling2D", "pool", (300, 0), {}),
           ("Flatten", "flat", (300, 150), {}), ("Dense", "head", (300, 300), {}))


@pytest.fixture
def columns(make_window, qtbot, tmp_path):
    doc = Document()
    ids = [doc.add_node(kind, name, params=params or None).id
           for kind, name, _, params in COLUMNS]
    for node_id, (_, _, pos, _) in zip(ids, COLUMNS, strict=True):
        doc.set_position(node_id, pos)
    for src, dst in zip(ids, ids[1:], strict=False):
        doc.connect(Edge(src, 0, dst, 0))
    window = show(make_window(saved(doc, tmp_path, "columns.json")), qtbot)
    window.resize(1500, 920)
    window.canvas.fit()
    QtWidgets.QApplication.processEvents()
    return window


def lowest_point(window, edge: Edge):
    """The lowest scene point of the drawn wire of `edge` (where relu's wire turns round
    below it, on its way to the next column: open canvas, as in the user's drop)."""
    for item in window.canvas.viewer.scene().items():
        if isinstance(item, PipeItem) and item.input_port and item.output_port \
                and window.canvas._edge_of(item.output_port, item.input_port) == edge:
            points = [item.mapToScene(item.path().pointAtPercent(i / 100)) for i in range(101)]
            return max(points, key=lambda p: p.y())
    raise AssertionError(f"no wire drawn for {edge}")


@pytest.mark.parametrize("kind", ["ResidualBlock", "BatchNormalization"])
def test_a_node_dropped_on_a_wire_to_the_next_column_lands_at_the_drop(columns, kind):
    window = columns
    relu, pool = (window.doc.find(name).id for name in ("relu", "pool"))
    spot = lowest_point(window, Edge(relu, 0, pool, 0))
    drop(window, palette_mime(window, kind), window.canvas.viewer.mapFromScene(spot))
    (new,) = [n for n, node in window.doc.nodes.items() if node.kind == kind]
    assert {Edge(relu, 0, new, 0), Edge(new, 0, pool, 0)} <= set(window.doc.edges)
    rect = window.canvas.views[new].sceneBoundingRect()
    off = rect.center() - spot  # by the pointer: at most its own height, a gap kept
    assert abs(off.x()) <= rect.width() / 2 and abs(off.y()) <= rect.height(), (rect, spot)
    assert overlapping(window) == []
