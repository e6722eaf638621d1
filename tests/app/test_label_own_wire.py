"""A shape label lies off its own wire: a wire bent back up into a merge node beside its
source (conv2d_2 -> add of a residual block drawn by hand) had its label drawn across the
run that climbs to the merge node's port, where the label was centred on a spot past the
wire's middle."""

from __future__ import annotations

import pytest
from PySide6 import QtGui

from kerascanvas.app.canvas.labels import shown
from kerascanvas.graph.document import Document, Edge

from .gestures import saved, show
from .test_label_placement import settle

CONV = {"filters": 32, "kernel_size": [3, 3], "padding": "same"}


def residual_by_hand(shift: tuple[float, float]) -> Document:
    """input -> conv2d -> conv2d_1 -> conv2d_2 -> add <- conv2d, then a pooling: conv2d_2 to
    the left of the Add on about its row, `shift` off where the user had it."""
    doc, ids = Document(), {}
    nodes = [("input", "Input", {"shape": [8, 8, 1]}, (0, 0)),
             ("conv2d", "Conv2D", CONV, (75, 136)), ("conv2d_1", "Conv2D", CONV, (75, 276)),
             ("conv2d_2", "Conv2D", CONV, (364 + shift[0], 296 + shift[1])),
             ("add", "Add", {}, (548, 294)), ("gap", "GlobalAveragePooling2D", {}, (518, 385))]
    for name, kind, params, pos in nodes:
        ids[name] = doc.add_node(kind, name, params=params).id
        doc.set_position(ids[name], pos)
    for src, dst, port in [("input", "conv2d", 0), ("conv2d", "conv2d_1", 0),
                           ("conv2d", "add", 0), ("conv2d_1", "conv2d_2", 0),
                           ("conv2d_2", "add", 1), ("add", "gap", 0)]:
        doc.connect(Edge(ids[src], 0, ids[dst], port))
    return doc


def own_wire_crossings(window) -> list[str]:
    """Each label drawn that the outline of its own wire's painter path (3 wide, as a wire
    is tested against labels) runs through, further in than a unit from its edge (a short
    slanted wire between two rows grazes the spots beside its middle near its ports)."""
    stroker = QtGui.QPainterPathStroker()
    stroker.setWidth(3.0)
    return [f"{p.output_port.node.name} -> {p.input_port.node.name}: {p.label.text()}"
            for p in window.canvas.viewer.pipe_items()
            if shown(p) and stroker.createStroke(p.path()).intersects(
                p.label.sceneBoundingRect().adjusted(1.0, 1.0, -1.0, -1.0))]


@pytest.mark.parametrize("shift", [(0, 0), (40, 20), (40, 40), (60, 20), (-40, 0), (20, -20)])
def test_a_label_lies_off_its_own_wire(make_window, qtbot, tmp_path, shift):
    window = show(make_window(saved(residual_by_hand(shift), tmp_path, "block.json")), qtbot)
    window.canvas.fit()
    settle(window, qtbot)
    labelled = [p for p in window.canvas.viewer.pipe_items() if p.label.text()]
    assert len(labelled) == 6 and all(shown(p) for p in labelled)  # none hidden for it
    assert own_wire_crossings(window) == []
