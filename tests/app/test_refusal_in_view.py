"""A refused parameter value is explained right under its field, in view, naming the node."""

from __future__ import annotations

import pytest
from PySide6 import QtCore, QtWidgets

from tests.app.conftest import show_at


def _top(widget, body) -> int:
    return widget.mapTo(body, QtCore.QPoint(0, 0)).y()


@pytest.mark.parametrize(("kind", "param", "text", "next_param"), [
    ("Conv1D", "kernel_size", "0", "strides"),       # near the top of a long form
    ("Conv1D", "filters", "abc", "kernel_size"),     # a word in a number field
    ("BatchNormalization", "momentum", "x", "epsilon"),
])
def test_refusal_sits_under_its_field_in_view(window, qtbot, kind, param, text, next_param):
    show_at(window, 1500, 920)
    window.palette.kind_activated.emit(kind)
    (node_id,) = window.doc.nodes
    name = window.doc.nodes[node_id].name
    panel = window.properties
    messages = []
    panel.status_message.connect(messages.append)
    panel.editors[param][1].commit(text)
    QtWidgets.QApplication.processEvents()
    body, error = panel.widget(), panel.error
    assert error.isVisible() and param in error.text()
    field_label, next_label = panel.editors[param][0], panel.editors[next_param][0]
    assert _top(field_label, body) < _top(error, body) < _top(next_label, body)
    shown = QtCore.QRect(error.mapTo(panel.viewport(), QtCore.QPoint(0, 0)), error.size())
    assert panel.viewport().rect().contains(shown)  # all of it, no scrolling needed
    assert messages[-1].startswith(f"{name}: ") and param in messages[-1]
    panel.editors[param][1].commit("3" if param != "momentum" else "0.9")  # fixed: it goes
    QtWidgets.QApplication.processEvents()
    assert error.text() == "" and error.isHidden()
