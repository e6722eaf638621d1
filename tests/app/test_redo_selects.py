"""Redo of an add (or a paste) leaves the nodes it brings back selected, as an undone delete
does: after Ctrl+Z, Ctrl+Shift+Z the new layer came back unselected, the Properties panel on
the model, and a following Delete or arrow key had nothing to act on."""

from __future__ import annotations

from PySide6 import QtWidgets

from .gestures import mlp_window


def test_redo_selects_what_it_brings_back(make_window, qtbot):
    window = mlp_window(make_window, qtbot)
    window.canvas.select([])
    window.palette.kind_activated.emit("Dense")
    (added,) = window.canvas.selected_ids()
    window.undo()
    assert added not in window.doc.nodes
    window.redo()
    QtWidgets.QApplication.processEvents()
    assert window.canvas.selected_ids() == [added]
    assert window.properties.node_id == added
