"""A layer named "" (Keras keeps `Dense(2, name="")` so named) or with spaces only shows
"(no name)" (or "(name '  ')") in grey italics as its title on the canvas and in the
summary, where it showed a blank title and '-' (as if not wired) under "Connected to";
its name stays what it is."""

from __future__ import annotations

import pytest
from PySide6 import QtGui, QtWidgets

from kerascanvas.app.canvas.node_style import node_fonts
from kerascanvas.graph import commands as cmd
from kerascanvas.graph.summary import format_summary

from .gestures import click, mlp_window, node_ids, view_point
from .test_summary_panel import click_tab

NAMES = [("", "(no name)"), ("  ", "(name '  ')")]


def renamed(window, name: str) -> str:
    hidden = node_ids(window)["hidden"]
    window.stack.push(cmd.Rename(window.doc, hidden, name))
    window.canvas.renderer.render()
    QtWidgets.QApplication.processEvents()
    return hidden


def item_font(item) -> QtGui.QFont:
    font = node_fonts()[item.lines()[0][0]]
    assert font.italic()
    return font


@pytest.mark.parametrize(("name", "shown"), NAMES)
def test_the_canvas_title_says_it_has_no_name_and_is_clicked(make_window, qtbot, name, shown):
    window = mlp_window(make_window, qtbot)
    hidden = renamed(window, name)
    item = window.canvas.views[hidden]
    assert item.lines()[:2] == [("untitled", shown), ("small", item.subtitle)]
    assert item.subtitle.startswith("Dense")  # the kind under it
    rect = item.mapRectToScene(item.text_rects()[0])
    metrics = QtGui.QFontMetricsF(item_font(item))
    assert rect.width() >= metrics.horizontalAdvance(shown)  # drawn whole
    window.canvas.select([])
    click(window, view_point(window, rect.center()))
    assert window.canvas.selected_ids() == [hidden]
    assert window.doc.nodes[hidden].name == name  # only shown otherwise


@pytest.mark.parametrize(("name", "shown"), NAMES)
def test_the_summary_names_it_and_what_it_feeds(make_window, qtbot, name, shown):
    window = mlp_window(make_window, qtbot)
    renamed(window, name)
    click_tab(window, "Summary")
    table = window.summary.table
    rows = {table.item(r, 0).text(): r for r in range(table.rowCount())}
    cell = table.item(rows[shown], 0)
    assert cell.font().italic() and not table.item(rows["pixels"], 0).font().italic()
    assert table.item(rows["dropout"], 4).text() == shown
    text = format_summary(window.doc, window.analysis)
    assert next(line for line in text.splitlines() if line.startswith("dropout")).endswith(
        shown)
    window.stack.undo()  # named again: plain
    window.summary.show_analysis(window.analysis)
    QtWidgets.QApplication.processEvents()
    rows = {table.item(r, 0).text(): r for r in range(table.rowCount())}
    assert not table.item(rows["hidden"], 0).font().italic()
