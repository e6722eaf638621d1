"""A layer added by name (Enter in the Layers search, or a double-click on its entry)
while one node is selected follows that node and is wired from it, and is selected, so
a chain is built by typing: one undo takes the node and its wire back. With nothing
selected, or after a node it cannot take an input from, it stays unwired."""

from __future__ import annotations

import pytest
from PySide6 import QtCore
from PySide6.QtTest import QTest

from kerascanvas.graph.document import Edge

from .gestures import show


@pytest.fixture
def shown(make_window, qtbot):
    return show(make_window(), qtbot)


def enter(window, text: str) -> str:
    """Type `text` in the Layers search and press Enter; the node added."""
    search = window.palette.search
    search.clear()
    QTest.keyClicks(search, text)
    before = set(window.doc.nodes)
    QTest.keyClick(search, QtCore.Qt.Key_Return)
    (added,) = set(window.doc.nodes) - before
    return added


def double_click(window, kind: str) -> str:
    window.palette.search.clear()
    tree = window.palette.tree
    (item,) = tree.findItems(kind, QtCore.Qt.MatchExactly | QtCore.Qt.MatchRecursive)
    tree.scrollToItem(item)
    before = set(window.doc.nodes)
    at = tree.visualItemRect(item).center()
    QTest.mouseClick(tree.viewport(), QtCore.Qt.LeftButton, pos=at)
    QTest.mouseDClick(tree.viewport(), QtCore.Qt.LeftButton, pos=at)
    (added,) = set(window.doc.nodes) - before
    return added


def test_a_chain_is_built_by_typing_and_undone_a_layer_at_a_time(shown):
    first = enter(shown, "Input")
    assert shown.doc.edges == [] and shown.canvas.selected_ids() == [first]
    dense = enter(shown, "Dense")
    drop = double_click(shown, "Dropout")
    assert sorted(shown.doc.edges) == sorted([Edge(first, 0, dense, 0), Edge(dense, 0, drop, 0)])
    assert shown.canvas.selected_ids() == [drop]
    assert shown.doc.position(dense)[1] < shown.doc.position(drop)[1]  # it follows
    shown.undo()
    assert drop not in shown.doc.nodes and shown.doc.edges == [Edge(first, 0, dense, 0)]
    shown.undo()
    assert set(shown.doc.nodes) == {first} and shown.doc.edges == []


def test_nothing_selected_or_no_input_to_take_stays_unwired(shown):
    a = enter(shown, "Input")
    b = enter(shown, "Input")  # an Input takes no input
    shown.canvas.select([])
    c = enter(shown, "Dense")
    assert shown.doc.edges == [] and shown.canvas.selected_ids() == [c]
    shown.canvas.select([a, b])  # two selected: which one to follow is not known
    enter(shown, "Dense")
    assert shown.doc.edges == []
