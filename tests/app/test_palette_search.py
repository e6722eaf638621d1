"""The palette's search box shows which entry Enter adds, and the arrow keys choose
another: typing "Add" listed ActivityRegularization, GaussianNoise, ZeroPadding1D... above
Add (their docs say "adds"), nothing marked, so Enter's choice was a guess."""

from __future__ import annotations

import pytest
from PySide6 import QtCore
from PySide6.QtTest import QTest

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
    at = kinds.index("Add")
    QTest.keyClick(search, QtCore.Qt.Key_Down)
    assert marked(shown) == kinds[at + 1]
    QTest.keyClick(search, QtCore.Qt.Key_Up)
    QTest.keyClick(search, QtCore.Qt.Key_Up)
    assert marked(shown) == kinds[at - 1]
    assert search.hasFocus()  # still typing: the keys moved the mark, not the focus
    QTest.keyClick(search, QtCore.Qt.Key_Return)
    (node,) = shown.doc.nodes.values()
    assert node.kind == kinds[at - 1]
