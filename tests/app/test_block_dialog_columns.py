"""The Make Block dialog shows all five column headers: a long node name made the Node
column so wide that "Block param" began past the table's edge, its header out of sight."""

from __future__ import annotations

import pytest
from PySide6 import QtWidgets

from kerascanvas.app.blocks.definition_dialog import COLUMNS
from kerascanvas.graph import commands as cmd

from .gestures import mlp_window, node_ids

LONG = "first_fully_connected_hidden_layer_of_the_classifier"


@pytest.mark.parametrize("name", ["hidden", LONG])
def test_every_header_of_the_make_block_table_is_in_view(make_window, qtbot, name):
    window = mlp_window(make_window, qtbot)
    hidden = node_ids(window)["hidden"]
    window.stack.push(cmd.Rename(window.doc, hidden, name))
    window.canvas.select(list(window.doc.nodes))
    dialog = window.make_block_dialog()
    qtbot.waitExposed(dialog)
    QtWidgets.QApplication.processEvents()
    table, header = dialog.table, dialog.table.horizontalHeader()
    seen = table.viewport().width()
    for column, title in enumerate(COLUMNS):
        left = header.sectionViewportPosition(column)
        wanted = header.fontMetrics().horizontalAdvance(title)
        assert 0 <= left and left + wanted <= seen, (title, left, wanted, seen)
        assert header.sectionSize(column) >= wanted, title
    rows = [r for r in range(table.rowCount()) if table.item(r, 1).text() == name]
    assert rows and all(table.item(r, 1).toolTip() == name for r in rows)  # whole when cut
    dialog.reject()
