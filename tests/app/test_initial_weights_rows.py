"""The model's initial weights in the properties panel: shown with how many layers match
the file by name, turned off and on with a click (undoable), another file chosen, and
saved relative to the project."""

from __future__ import annotations

import json

import keras
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from kerascanvas.graph import initial_weights
from kerascanvas.graph.document import Document, Edge

from .gestures import click, saved, show
from .test_model_properties import canvas_key, empty_point, model_form


def _archive(path, head_units: int) -> None:
    inputs = keras.Input((4,), name="x")
    hidden = keras.layers.Dense(8, name="hidden")(inputs)
    keras.Model(inputs, keras.layers.Dense(head_units, name="head")(hidden)).save(path)


def _doc(archive) -> Document:
    """x -> hidden -> head -> other: three layers, 'hidden' and 'head' in the archive."""
    doc = Document()
    ids = [doc.add_node("Input", "x", {"shape": [4]}).id]
    for name in ("hidden", "head", "other"):
        ids.append(doc.add_node("Dense", name, {"units": 3}).id)
        doc.connect(Edge(ids[-2], 0, ids[-1], 0))
        doc.set_position(ids[-1], (260.0 * (len(ids) - 1), 0.0))
    doc.set_position(ids[0], (0.0, 0.0))
    doc.set_outputs([ids[-1]])
    doc.weights = initial_weights.section_for(archive)
    return doc


def test_initial_weights_are_shown_turned_off_undone_and_replaced(make_window, qtbot,
                                                                  tmp_path):
    _archive(tmp_path / "m.keras", 3)
    path = saved(_doc(tmp_path / "m.keras"), tmp_path, "p.json")
    assert json.loads(open(path).read())["weights"]["source"] == "m.keras"
    window = show(make_window(path), qtbot)
    window.canvas.fit()
    click(window, empty_point(window))
    rows = model_form(window, qtbot).weights_rows
    assert rows.label.text() == "Initial weights: from m.keras (2 of 3 layers match by name)"
    assert rows.enabled.isChecked()

    QTest.mouseClick(rows.enabled, QtCore.Qt.LeftButton)
    QtWidgets.QApplication.processEvents()
    assert window.doc.weights["enabled"] is False
    assert initial_weights.active_source(window.doc) is None
    assert rows.label.text().endswith("off: fresh weights")
    canvas_key(window, QtCore.Qt.Key_Z)
    assert window.doc.weights["enabled"] is True and rows.enabled.isChecked()

    other = tmp_path / "sub" / "other.keras"
    other.parent.mkdir()
    _archive(other, 5)
    rows.pick_file = lambda: str(other)
    QTest.mouseClick(rows.choose, QtCore.Qt.LeftButton)
    QtWidgets.QApplication.processEvents()
    assert window.doc.weights["sha256"] == initial_weights.file_sha256(other)
    assert "from other.keras (2 of 3" in rows.label.text()
    canvas_key(window, QtCore.Qt.Key_S)
    qtbot.waitUntil(lambda: json.loads(open(path).read())["weights"]["source"]
                    == "sub/other.keras")


def test_the_count_covers_the_layers_of_nested_models(make_window, qtbot, tmp_path):
    """An imported model holding nested models counts each layer with weights inside them
    (as Keras nests them); another archive differing only in one inner layer's name
    matches one layer fewer."""
    from tests.runtime.test_initial_weights_nested import imported_into, keras_paths, nested_model

    original = nested_model()
    window = show(make_window(str(imported_into(tmp_path, original))), qtbot)
    window.canvas.fit()
    click(window, empty_point(window))
    rows = model_form(window, qtbot).weights_rows
    count = len(keras_paths(original))
    assert count == 6  # d1, seq/s_dense, seq/s_bn, func/deep/deep_dense, func/f_dense, out
    assert rows.label.text() == \
        f"Initial weights: from m.keras ({count} of {count} layers match by name)"
    nested_model(deep_dense="renamed").save(tmp_path / "other.keras")
    rows.pick_file = lambda: str(tmp_path / "other.keras")
    QTest.mouseClick(rows.choose, QtCore.Qt.LeftButton)
    QtWidgets.QApplication.processEvents()
    assert f"from other.keras ({count - 1} of {count} layers" in rows.label.text()
