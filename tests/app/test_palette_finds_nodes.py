"""Ctrl+F (the Layers search) given a node's name instead of a layer kind's: the panel says no
kind matches and Enter hands the text to Find Node, which selects the node on the canvas."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from kerascanvas.graph import commands as cmd
from tests.app.gestures import mlp_window, node_ids


def test_a_node_name_in_the_layers_search_finds_the_node(make_window, qtbot):
    window = mlp_window(make_window, qtbot)
    name = "probe_hidden"  # a name no layer kind has in its name, group or doc
    window.stack.push(cmd.Rename(window.doc, node_ids(window)["hidden"], name))
    names = node_ids(window)
    palette = window.palette
    QTest.keyClick(window.canvas.viewer.viewport(), QtCore.Qt.Key_F, QtCore.Qt.ControlModifier)
    assert palette.search.hasFocus()
    QTest.keyClicks(palette.search, name)
    assert palette.kinds_shown() == []
    assert palette.no_match.isVisible() and "Find Node" in palette.no_match.text()
    QTest.keyClick(palette.search, QtCore.Qt.Key_Return)
    QtWidgets.QApplication.processEvents()
    assert window.find_bar.isVisible() and window.find_bar.field.text() == name
    assert window.canvas.selected_ids() == [names[name]]
    assert window.doc.nodes.keys() == set(names.values())  # nothing added
    palette.search.clear()
    assert not palette.no_match.isVisible()


def test_a_node_name_left_in_the_layers_search_goes_with_its_project(make_window, qtbot):
    """New project after such a search: the Layers panel showed no kinds at all, under a start
    panel telling the user to drag an Input from it."""
    window = mlp_window(make_window, qtbot)
    window.palette.search.setText("hidden_probe")
    assert window.palette.kinds_shown() == []
    window.new_project()
    assert window.palette.search.text() == "" and "Input" in window.palette.kinds_shown()
    window.palette.search.setText("Conv")  # a layer search is the user's: it stays
    window.new_project()
    assert window.palette.search.text() == "Conv"
