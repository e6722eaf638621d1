"""A block instance with several outputs (an encoder's features and skip) shows one output
port per block output on the canvas: a wire dragged from the second port feeds the skip
tensor, and the properties panel offers each port as a model output."""

from __future__ import annotations

import copy

from PySide6 import QtCore
from PySide6.QtTest import QTest

from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.projectfile import save
from tests.graph.test_block_outputs import ENCODER

from .gestures import drag_port, show


def _project(path) -> str:
    doc = Document()
    doc.blocks["encoder"] = copy.deepcopy(ENCODER)
    x = doc.add_node("Input", "x", {"shape": [4]})
    enc = doc.add_node("UserBlock", "encoder", {"block": "encoder"})
    head = doc.add_node("Dense", "head", {"units": 2})
    doc.connect(Edge(x.id, 0, enc.id, 0))
    doc.set_outputs([enc.id])
    for i, nid in enumerate((x.id, enc.id, head.id)):
        doc.set_position(nid, (i * 260.0, 0.0))
    save(doc, path)
    return str(path)


def test_a_second_block_output_is_a_port_to_wire_and_mark(make_window, qtbot, tmp_path):
    window = show(make_window(_project(tmp_path / "enc.json")), qtbot)
    window.canvas.fit()
    enc, head = window.doc.find("encoder").id, window.doc.find("head").id
    assert len(window.canvas.views[enc].outputs) == 2
    drag_port(window, enc, head, src_port=1)
    assert [(e.src, e.src_port) for e in window.doc.in_edges(head)] == [(enc, 1)]
    window.refresh_panels()
    assert list(window.analysis.results[head].input_shapes) == [(None, 6)]
    panel = window.properties
    panel.show_node(enc)
    assert [b.text() for b in panel.output_boxes] == ["model output: port 0",
                                                      "model output: port 1"]
    box = panel.output_boxes[1]
    QTest.mouseClick(box, QtCore.Qt.LeftButton, pos=QtCore.QPoint(8, box.height() // 2))
    assert window.doc.outputs == [enc, f"{enc}:1"]
