"""A percentage typed where a fraction goes (50 for a Dropout's rate) is refused with the
fraction it meant: the field said only "expected a finite number in [0.0, 1.0]"."""

from __future__ import annotations

from PySide6 import QtWidgets

from .gestures import click, mlp_window, node_ids, node_point, type_into


def test_a_percentage_typed_for_a_rate_is_refused_naming_the_fraction(make_window, qtbot):
    window = mlp_window(make_window, qtbot)
    ids = node_ids(window)
    click(window, node_point(window, ids["dropout"]))
    QtWidgets.QApplication.processEvents()
    assert window.properties.node_id == ids["dropout"]
    type_into(window.properties.editors["rate"][1].edit, "50")
    error = window.properties.error
    assert error.isVisible() and "(a fraction: 50% is 0.5)" in error.text(), error.text()
    assert window.doc.nodes[ids["dropout"]].params["rate"] == 0.5  # the kept value
    type_into(window.properties.editors["rate"][1].edit, "0.3")
    assert window.doc.nodes[ids["dropout"]].params["rate"] == 0.3
    type_into(window.properties.editors["rate"][1].edit, "150")  # no percentage: no hint
    assert "fraction" not in error.text() and "rate=150" in error.text()
