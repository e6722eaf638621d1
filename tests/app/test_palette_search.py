"""The palette's search box shows which entry Enter adds, and the arrow keys choose
another: typing "Add" listed ActivityRegularization, GaussianNoise, ZeroPadding1D... above
Add (their docs say "adds"), nothing marked, so Enter's choice was a guess."""

from __future__ import annotations

import pytest
from PySide6 import QtCore
from PySide6.QtTest import QTest

from kerascanvas.app.canvas.adapter import PALETTE_MIME

from .gestures import show


@pytest.fixture
def shown(make_window, qtbot):
    return show(make_window(), qtbot)


def typed(window, text: str):
    search = window.palette.search
    QTest.mouseClick(search, QtCore.Qt.LeftButton)
    QTest.keyClicks(search, text)
    return search


def marked(window) -> str | None:
    item = window.palette.tree.currentItem()
    return None if item is None or item.isHidden() else item.text(0)


@pytest.mark.parametrize("text, kind", [("Add", "Add"), ("maxpooling2d", "MaxPooling2D"),
                                        ("conv2dt", "Conv2DTranspose"), ("gaussian", None)])
def test_the_entry_enter_adds_is_marked_as_you_type(shown, text, kind):
    typed(shown, text)
    palette = shown.palette
    assert marked(shown) == (kind or palette.kinds_shown()[0]) == palette.best_match()
    tree = palette.tree
    assert tree.viewport().rect().contains(tree.visualItemRect(tree.currentItem()))


def test_arrow_keys_choose_the_entry_enter_adds(shown):
    search = typed(shown, "Add")
    kinds = shown.palette.kinds_shown()
    assert kinds[0] == "Add"  # named as typed: the first row
    QTest.keyClick(search, QtCore.Qt.Key_Up)
    assert marked(shown) == "Add"  # the mark stops at the top
    for _ in range(3):
        QTest.keyClick(search, QtCore.Qt.Key_Down)
    QTest.keyClick(search, QtCore.Qt.Key_Up)
    assert marked(shown) == kinds[2]
    assert search.hasFocus()  # still typing: the keys moved the mark, not the focus
    QTest.keyClick(search, QtCore.Qt.Key_Return)
    (node,) = shown.doc.nodes.values()
    assert node.kind == kinds[2]


def first_row_dragged(window) -> str:
    """The kind a drag of the first layer row the user sees carries."""
    tree = window.palette.tree
    row = tree.itemBelow(tree.itemAt(QtCore.QPoint(4, 4)))  # the row under the group's
    return bytes(tree.mimeData([row]).data(PALETTE_MIME)).decode()


@pytest.mark.parametrize("text, kind", [("ReLU", "ReLU"), ("MaxPooling2D", "MaxPooling2D"),
                                        ("relu", "ReLU"), ("dense", "Dense"),
                                        ("conv2d", "Conv2D"), ("Conv2DT", "Conv2DTranspose")])
def test_the_layer_named_as_typed_is_the_first_row(shown, text, kind):
    """"ReLU" listed LeakyReLU first and "MaxPooling2D" AdaptiveMaxPooling2D: a drag of the
    first row gave another layer than the one typed."""
    typed(shown, text)
    assert shown.palette.kinds_shown()[0] == kind
    assert first_row_dragged(shown) == kind


def test_a_prefix_ranks_before_a_match_inside_the_name(shown):
    typed(shown, "MaxPool")
    kinds = shown.palette.kinds_shown()
    starting = [k for k in kinds if k.lower().startswith("maxpool")]
    assert kinds[:len(starting)] == starting and "AdaptiveMaxPooling2D" in kinds


def test_clearing_the_search_restores_the_tree_order(shown):
    before = shown.palette.kinds_shown()
    search = typed(shown, "ReLU")
    search.clear()
    assert shown.palette.kinds_shown() == before
