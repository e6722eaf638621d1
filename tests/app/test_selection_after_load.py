"""A new or opened project leaves no selection behind: the Properties panel showed "2 nodes
selected" (or the last selected node's form) over the new, empty canvas."""

from __future__ import annotations

import pytest
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from .gestures import EXAMPLES, mlp_window


@pytest.mark.parametrize("selected", [1, 3])
@pytest.mark.parametrize("then", ["new", "open"])
def test_properties_show_the_model_after_a_new_or_opened_project(make_window, qtbot,
                                                                 selected, then):
    window = mlp_window(make_window, qtbot)
    window.canvas.select(list(window.doc.nodes)[:selected])
    QtWidgets.QApplication.processEvents()
    assert (window.properties.node_id is not None) == (selected == 1)
    if then == "new":
        QTest.keyClick(window.canvas.viewer.viewport(), QtCore.Qt.Key_N,
                       QtCore.Qt.ControlModifier)
    else:
        assert window.open_path(str(EXAMPLES / "mnist_cnn.json"), ask=False)
    QtWidgets.QApplication.processEvents()
    assert window.canvas.selected_ids() == []
    assert window.properties.node_id is None
    assert window.properties.model_form is not None  # the model's own form, as with none
    assert "selected" not in window.properties.hint.text()
