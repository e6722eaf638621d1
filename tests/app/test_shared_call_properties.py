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


def test_the_called_layer_is_chosen_by_name(make_window, qtbot, tmp_path):
    """The call site's `layer` showed the owner's node id (`n2`) in a text field; it is a
    list of the layers that can be called again, by name, and picking one calls it."""
    doc = _canvas_tied(reverse=None)
    window = show(make_window(saved(doc, tmp_path, "tied.json")), qtbot)
    site, owner = _named(window.doc, "logits").id, _named(window.doc, "emb").id
    window.properties.show_node(site)
    combo = window.properties.editors["layer"][1].combo
    names = [combo.itemText(i) for i in range(combo.count())]
    assert combo.currentText() == "emb" and combo.currentData() == owner
    assert "logits" not in names  # not itself, nor an Input or another call site
    assert all(window.doc.nodes[combo.itemData(i)].kind not in ("Input", "SharedCall")
               for i in range(combo.count()))
    other = next(i for i in range(combo.count()) if combo.itemData(i) != owner)
    picked = combo.itemData(other)
    combo.activated.emit(other)
    assert window.doc.nodes[site].params["layer"] == picked
    window.stack.undo()
    assert window.doc.nodes[site].params["layer"] == owner
