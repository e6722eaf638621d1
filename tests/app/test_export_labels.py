"""The shape labels and wires of an exported picture are the canvas' own: each label where
the canvas puts it (off the nodes and the other labels), left out where the canvas hides
it, each wire along the canvas' path."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from PySide6 import QtCore

from kerascanvas.app.canvas.export_image import drawn_edges, export_image, node_boxes
from kerascanvas.app.canvas.labels import shown
from kerascanvas.graph.projectfile import load, save
from kerascanvas.graph.validate import analyze

from .gestures import EXAMPLES, show
from .test_label_placement import expanded, settle, wall_in, walled_wire

CASES = [
    ("small_resnet", []), ("densenet_small", []), ("inception_net", []),
    ("small_resnet", ["res1", "res2", "res3", "res4"]),  # shortcuts across the Adds
    ("densenet_small", ["dense1", "dense2"]),  # skip wires into each Concatenate
    ("inception_net", ["inception1", "inception2"]),  # four branches into a Concatenate
    ("customer_tickets", []),
]
IDS = [f"{name}{'-expanded' if blocks else ''}" for name, blocks in CASES]


def canvas_window(make_window, qtbot, tmp_path, example, blocks):
    """A canvas showing the example (its `blocks` expanded) as opened from its file: labels
    placed after an edit depend on the order of the edit's steps, a file opened does not."""
    path = EXAMPLES / f"{example}.json"
    if blocks:
        edited = expanded(make_window, qtbot, example, blocks)
        path = tmp_path / f"{example}.json"
        save(edited.doc, path)
    window = show(make_window(str(path)), qtbot)
    window.canvas.fit()
    settle(window, qtbot)
    return window


def label_faults(boxes, drawn) -> list[str]:
    """Every exported label that lies on a node box or on another exported label."""
    labels = [edge for edge in drawn if edge.text]
    faults = [f"{edge.text} on node {nid}" for edge in labels
              for nid, box in boxes.items() if edge.label.intersects(box)]
    return faults + [f"{a.text} on {b.text}" for i, a in enumerate(labels)
                     for b in labels[i + 1:] if a.label.intersects(b.label)]


def far(a: QtCore.QPointF, b: QtCore.QPointF) -> bool:
    return (a - b).manhattanLength() > 0.5


@pytest.mark.parametrize("example, blocks", CASES, ids=IDS)
def test_exported_labels_and_wires_are_the_canvas_ones(make_window, qtbot, tmp_path, example,
                                                       blocks):
    window = canvas_window(make_window, qtbot, tmp_path, example, blocks)
    canvas = window.canvas
    doc, analysis = window.doc, window.project.analysis
    boxes = node_boxes(doc, analysis)
    assert {nid: box for nid, box in boxes.items()} == \
        {nid: item.sceneBoundingRect() for nid, item in canvas.views.items()}
    pipes = {canvas._edge_of(p.output_port, p.input_port): p
             for p in canvas.viewer.pipe_items()}
    edges = [e for e in doc.edges if e.src in boxes and e.dst in boxes]
    drawn = drawn_edges(doc, analysis, boxes)
    assert len(drawn) == len(edges) == len(pipes)
    for edge, wire in zip(edges, drawn, strict=True):
        pipe = pipes[edge]
        path = pipe.path().toReversed()  # the canvas draws a wire from its input port
        assert not any(far(path.pointAtPercent(k / 40), wire.path.pointAtPercent(k / 40))
                       for k in range(41)), edge
        if shown(pipe):
            assert wire.text == pipe.label.text(), edge
            rect = pipe.label.sceneBoundingRect()
            assert not far(rect.topLeft(), wire.label.topLeft()), (edge, rect, wire.label)
            assert not far(rect.bottomRight(), wire.label.bottomRight()), (edge, rect)
        else:
            assert wire.text == "" and pipe.label.text(), edge  # hidden: left out
    assert label_faults(boxes, drawn) == []  # which labels hide is the canvas' (above)


@pytest.mark.parametrize("example", ["small_resnet", "densenet_small", "inception_net",
                                     "customer_tickets", "attention_states", "seq2seq"])
def test_exported_labels_lie_on_no_node_and_no_other_label(qapp, example):
    doc = load(EXAMPLES / f"{example}.json")
    analysis = analyze(doc)
    boxes = node_boxes(doc, analysis)
    assert label_faults(boxes, drawn_edges(doc, analysis, boxes)) == []


def test_a_label_the_canvas_hides_is_left_out_of_the_svg(qapp, tmp_path):
    """A wire with nodes beside it all along (`wall_in`) has no spot for its label off the
    nodes: the picture leaves its shape out, as the canvas hides it (the shapes in it are
    the lines of the nodes' boxes)."""
    doc = walled_wire()
    analysis = analyze(doc)
    boxes = node_boxes(doc, analysis)  # laid out: no position is stored
    wall_in(doc, lambda name: boxes[doc.find(name).id], boxes[doc.find("x").id].center().x())
    boxes = node_boxes(doc, analysis)
    assert all(box.topLeft().toTuple() == tuple(doc.position(nid)) for nid, box in boxes.items())
    drawn = drawn_edges(doc, analysis, boxes)
    texts = [ET.tostring(t, encoding="unicode", method="text").strip() for t in
             ET.parse(export_image(doc, tmp_path / "graph.svg")).getroot().iter()
             if t.tag.endswith("text")]
    shapes = [t for t in texts if t.startswith("(")]
    # a's shape is a line in its box (a model output), as are the unwired Inputs'
    assert sorted(shapes) == ["(None, 2)", "(None, 2)", "(None, 3)"]
    assert [edge.text for edge in drawn] == [""]
