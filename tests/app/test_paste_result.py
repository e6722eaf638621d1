"""Ctrl+A, Ctrl+C, Ctrl+V of a whole model: what the paste leaves, checked against the
originals. Each copy is its original's layer (kind, parameters) wired as it is, the copies
keep the originals' arrangement moved by one step, clear of them, their items stand where
the document puts them with ports on them, the copies alone are selected, and one undo
step takes the whole paste back."""

from __future__ import annotations

import pytest
from PySide6 import QtCore

from kerascanvas.graph.document import Edge

from .gestures import EXAMPLES, show
from .test_paste_large import key, residual_stack


def pasted(window) -> dict[str, str]:
    """Select all, copy, paste; original id -> its copy's id (copies come in the order of
    their originals)."""
    originals = list(window.doc.nodes)
    for code in (QtCore.Qt.Key_A, QtCore.Qt.Key_C, QtCore.Qt.Key_V):
        key(window, code)
    copies = [n for n in window.doc.nodes if n not in originals]
    assert len(copies) == len(originals)
    return dict(zip(originals, copies, strict=True))


@pytest.mark.parametrize("source", ["residual", "inception"])
def test_a_pasted_model_is_its_originals_moved_wired_selected_and_one_step(
        make_window, qtbot, tmp_path, source):
    path = (residual_stack(tmp_path / "stack.json") if source == "residual"
            else str(EXAMPLES / "inception_net.json"))
    window = show(make_window(path), qtbot)
    doc, canvas = window.doc, window.canvas
    before, last_step = window.project.to_dict(), window.stack.undo_text
    copy_of = pasted(window)

    for original, copy in copy_of.items():  # the same layers
        assert (doc.nodes[copy].kind, doc.nodes[copy].params) == \
            (doc.nodes[original].kind, doc.nodes[original].params)
    copied_edges = {Edge(copy_of[e.src], e.src_port, copy_of[e.dst], e.dst_port)
                    for e in doc.edges if e.src in copy_of and e.dst in copy_of}
    assert {e for e in doc.edges if e.src not in copy_of} == copied_edges  # wired alike

    moves = {(round(doc.position(c)[0] - doc.position(o)[0], 6),
              round(doc.position(c)[1] - doc.position(o)[1], 6)) for o, c in copy_of.items()}
    assert len(moves) == 1 and moves != {(0.0, 0.0)}  # one arrangement, moved by one step
    rects = {n: item.sceneBoundingRect() for n, item in canvas.views.items()}
    assert not any(rects[c].intersects(rects[o]) for c in copy_of.values() for o in copy_of)
    for copy in copy_of.values():  # drawn where the document has them, ports on them
        item = canvas.views[copy]
        assert (item.x(), item.y()) == pytest.approx(doc.position(copy))
        assert all(port.node is item and port.parentItem() is item
                   for port in item.inputs + item.outputs)
    assert canvas.selected_ids() == list(copy_of.values())

    assert window.stack.undo_text == "Paste"
    key(window, QtCore.Qt.Key_Z)  # one step back: the whole paste, and nothing before it
    assert window.project.to_dict() == before
    assert set(canvas.views) == set(copy_of)
    assert window.stack.undo_text == last_step and window.stack.redo_text == "Paste"
