"""The Layers panel at a small screen (1024x700: some 170 px wide). Entries sit 12 px in
under their group, not 20, so most names show whole ("Activity…rization" was cut where
the name fits); an entry elided still reads whole, with what it places, in its tooltip;
and every entry is reached by typing its full name in the search box and pressing Enter."""

from __future__ import annotations

import pytest
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from kerascanvas.app.panels.palette import INDENT, KIND_ROLE
from tests.app.conftest import show_at

from .test_entry import palette_labels


@pytest.fixture
def narrow(make_window):
    return show_at(make_window(), 1024, 700)


def room(tree, item) -> int:
    """The width the entry's text is drawn in (its cell, less the style's margins)."""
    rect = tree.visualItemRect(item)
    option = QtWidgets.QStyleOptionViewItem()
    option.initFrom(tree)
    margin = tree.style().pixelMetric(QtWidgets.QStyle.PM_FocusFrameHMargin, option, tree)
    return rect.width() - 2 * (margin + 1)


def test_names_that_fit_show_whole_and_an_elided_one_reads_in_its_tooltip(narrow):
    tree = narrow.palette.tree
    assert narrow.palette_dock.width() < 200 and tree.indentation() == INDENT
    metrics, whole, elided = tree.fontMetrics(), 0, []  # elided: where the name cannot fit
    for item in palette_labels(narrow.palette):
        text = item.text(0)
        shown = metrics.elidedText(text, QtCore.Qt.ElideMiddle, room(tree, item))
        whole += shown == text
        if shown != text:
            elided.append(text)
        assert item.toolTip(0).startswith(f"{text} ("), text  # its full name and kind
    assert whole > 5 * len(elided)  # 325 whole, 44 elided (294 and 75 at 20 px a step)


def test_the_tooltips_say_what_each_entry_places(narrow):
    by_text = {item.text(0): item.toolTip(0).split("\n")[0]
               for item in palette_labels(narrow.palette)}
    assert by_text["ContrastLimitedAdaptiveHistogramEqualization"].endswith("layer)")
    assert by_text["ResNet50"] == "ResNet50 (Application)"
    assert by_text["ops.dot_product_attention"] == "ops.dot_product_attention (operation)"
    assert by_text["MaxPooling2D"] == "MaxPooling2D (pooling layer)"


def test_every_entry_is_reached_by_typing_its_full_name(narrow):
    palette = narrow.palette
    entries = [(item.text(0), item.data(0, KIND_ROLE))
               for item in palette_labels(palette)]
    QTest.mouseClick(palette.search, QtCore.Qt.LeftButton)
    missed = []
    for text, kind in entries:
        palette.search.setText(text)
        if palette.marked_kind() != kind:
            missed.append(text)
    assert missed == []
    palette.search.setText("ContrastLimitedAdaptiveHistogramEqualization")
    QTest.keyClick(palette.search, QtCore.Qt.Key_Return)
    assert [n.kind for n in narrow.doc.nodes.values()] == [
        "ContrastLimitedAdaptiveHistogramEqualization"]
