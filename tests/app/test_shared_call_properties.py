"""A call site's own call keyword in the properties panel: a SharedCall of a
ReversibleEmbedding shows `reverse`, a key press sets it on that call alone, the
shapes follow, and undo puts it back."""

from __future__ import annotations

from PySide6 import QtCore
from PySide6.QtTest import QTest

from tests.runtime.test_tied_embeddings import _canvas_tied, _named

from .conftest import shape_shown
from .gestures import saved, show


def test_reverse_is_set_on_the_call_site_with_a_key(make_window, qtbot, tmp_path):
    doc = _canvas_tied(reverse=None)
    window = show(make_window(saved(doc, tmp_path, "tied.json")), qtbot)
    site, owner = _named(window.doc, "logits").id, _named(window.doc, "emb").id
    assert shape_shown(window, site) == "(None, 8, 16, 16)"  # called the owner's way
    window.properties.show_node(site)
    assert list(window.properties.editors) == ["layer", "reverse"]
    box = window.properties.editors["reverse"][1].box
    assert not box.isChecked()
    box.setFocus()
    QTest.keyClick(box, QtCore.Qt.Key_Space)
    assert window.doc.nodes[site].params["reverse"] is True
    assert "reverse" not in window.doc.nodes[owner].params  # the owner keeps its own
    assert shape_shown(window, site) == "(None, 8, 100)"
    assert shape_shown(window, owner) == "(None, 8, 16)"
    window.stack.undo()
    assert "reverse" not in window.doc.nodes[site].params
    assert shape_shown(window, site) == "(None, 8, 16, 16)"
