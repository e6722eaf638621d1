"""Escape in the Layers search (after Ctrl+F and some typing) did nothing: the filter
stayed and the keyboard with it, so Delete took a letter of the search instead of the
selected node. Escape now clears the search and hands the keyboard back to the canvas."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from .gestures import click, mlp_window, node_ids, node_point


def test_escape_in_the_layers_search_goes_back_to_the_canvas(make_window, qtbot):
    window = mlp_window(make_window, qtbot)
    hidden = node_ids(window)["hidden"]
    click(window, node_point(window, hidden))
    QTest.keyClick(window.canvas.viewer, QtCore.Qt.Key_F, QtCore.Qt.ControlModifier)
    search = window.palette.search
    assert search.hasFocus()
    QTest.keyClicks(search, "xyz")
    QTest.keyClick(search, QtCore.Qt.Key_Escape)
    QtWidgets.QApplication.processEvents()
    assert search.text() == ""
    assert window.palette.kinds_shown()  # every kind listed again
    assert window.canvas.viewer.hasFocus()
    QTest.keyClick(QtWidgets.QApplication.focusWidget(), QtCore.Qt.Key_Delete)
    assert hidden not in window.doc.nodes


def test_a_cleared_search_shows_every_group_open(make_window, qtbot):
    """A text no kind matches hides every group; cleared, they came back collapsed (Qt
    expands no hidden item), the whole palette folded up."""
    window = mlp_window(make_window, qtbot)
    search, tree = window.palette.search, window.palette.tree
    QTest.keyClicks(search, "xyz")
    QTest.keyClick(search, QtCore.Qt.Key_Escape)
    groups = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    assert groups and all(g.isExpanded() and not g.isHidden() for g in groups)
