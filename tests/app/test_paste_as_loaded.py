"""Ctrl+A, Ctrl+C, Ctrl+V on the canvas: what the canvas then draws equals the same document
loaded afresh with the same selection. The node items (texts, status, ports, size), the
wires with their shape labels, the selection and which wires are highlighted: a paste that
makes its items, wires and highlights its own quicker way must end where a load does."""

from __future__ import annotations

import pytest
from PySide6 import QtCore

from kerascanvas.app.canvas.adapter import Canvas
from kerascanvas.graph.project import Project

from .gestures import EXAMPLES, show
from .test_paste_large import key, residual_stack


def drawn(canvas) -> tuple[dict, list]:
    """node id -> what its item shows; the wires (edge, label, highlighted), sorted."""
    canvas.renderer.render()
    nodes = {nid: (item.name, item.subtitle, item.shape_text, item.show_shape, item.status,
                   [p.name for p in item.inputs], len(item.outputs), item.output_ports,
                   round(item.width, 3), round(item.height, 3), item.isSelected())
             for nid, item in canvas.views.items()}
    pipes = [p for p in canvas.viewer.pipe_items()
             if p.input_port is not None and p.output_port is not None]
    wires = sorted((canvas._edge_of(p.output_port, p.input_port), p.label.text(),
                    p.highlighted()) for p in pipes)
    return nodes, wires


@pytest.mark.parametrize("source", ["residual", "inception"])
def test_a_pasted_copy_is_drawn_as_a_fresh_load_of_the_document(make_window, qtbot, tmp_path,
                                                                 source):
    path = (residual_stack(tmp_path / "stack.json") if source == "residual"
            else str(EXAMPLES / "inception_net.json"))
    window = show(make_window(path), qtbot)
    originals = list(window.doc.nodes)
    for code in (QtCore.Qt.Key_A, QtCore.Qt.Key_C, QtCore.Qt.Key_V):
        key(window, code)
    copies = [n for n in window.doc.nodes if n not in originals]
    assert len(copies) == len(originals) and window.canvas.selected_ids() == copies

    fresh = Canvas(Project.from_dict(window.project.to_dict()))
    fresh.select(copies)
    pasted, loaded = drawn(window.canvas), drawn(fresh)
    assert pasted[0] == loaded[0]  # items, their texts and the selection
    assert pasted[1] == loaded[1]  # wires, labels and highlights
    highlighted = {edge for edge, _, lit in pasted[1] if lit}
    assert highlighted == {e for e in window.doc.edges if e.src in copies}  # copies' only
    assert all(label not in ("", "?") for _, label, _ in pasted[1])
    fresh.graph.widget.deleteLater()
