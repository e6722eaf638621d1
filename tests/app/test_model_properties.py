"""The model's name and dict keys in the properties panel, edited with keys and clicks.

With nothing selected the panel shows the model: its name, and lists or dicts of
inputs and outputs with a key each; an Input or output node shows its own key in a
dict model. Edits are undone and redone from the canvas, a bad value is refused
inline, and the saved project's code builds a Keras model with that name and keys.
"""

from __future__ import annotations

import keras
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from kerascanvas.codegen import generate
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.projectfile import load

from .gestures import click, node_ids, node_point, saved, show

CTRL = QtCore.Qt.ControlModifier
NAME, KEY = "ranker 'v2'", 'doc "ids"\''  # quoted as they are in the code


def two_input_doc() -> Document:
    """Inputs a, b -> Concatenate -> Dense 'head' and Dense 'aux', both outputs."""
    doc = Document()
    a = doc.add_node("Input", "a", {"shape": [3]}).id
    b = doc.add_node("Input", "b", {"shape": [2]}).id
    cat = doc.add_node("Concatenate", "cat").id
    head = doc.add_node("Dense", "head", {"units": 4}).id
    aux = doc.add_node("Dense", "aux", {"units": 1}).id
    for i, (src, dst, port) in enumerate([(a, cat, 0), (b, cat, 1), (cat, head, 0),
                                          (cat, aux, 0)]):
        doc.connect(Edge(src, 0, dst, port))
        doc.set_position(dst, (260.0 * (1 + (i > 1)), 150.0 * (i % 2)))
    doc.set_position(a, (0.0, 0.0))
    doc.set_position(b, (0.0, 150.0))
    doc.set_outputs([head, aux])
    return doc


def type_into(field, text: str) -> None:
    QTest.mouseClick(field, QtCore.Qt.LeftButton)
    QTest.keyClick(field, QtCore.Qt.Key_A, CTRL)
    QTest.keyClick(field, QtCore.Qt.Key_Backspace)
    QTest.keyClicks(field, text)
    QTest.keyClick(field, QtCore.Qt.Key_Return)
    QtWidgets.QApplication.processEvents()


def choose(combo, qtbot, text: str) -> None:
    """Pick `text` in a closed combo with the arrow keys, as the keyboard does."""
    combo.setFocus()
    key = QtCore.Qt.Key_Down if combo.findText(text) > combo.currentIndex() else QtCore.Qt.Key_Up
    QTest.keyClick(combo, key)
    assert combo.currentText() == text


def canvas_key(window, code, modifiers=CTRL) -> None:
    QTest.keyClick(window.canvas.viewer.viewport(), code, modifiers)
    QtWidgets.QApplication.processEvents()


def empty_point(window) -> QtCore.QPoint:
    return QtCore.QPoint(5, window.canvas.viewer.viewport().height() - 5)


def model_form(window, qtbot):
    qtbot.waitUntil(lambda: window.properties.model_form is not None)
    return window.properties.model_form


def test_name_and_keys_are_edited_undone_saved_and_built_by_keras(make_window, qtbot,
                                                                   tmp_path):
    path = saved(two_input_doc(), tmp_path, "two.json")
    window = show(make_window(path), qtbot)
    window.canvas.fit()
    ids, doc = node_ids(window), window.doc
    click(window, empty_point(window))
    form = model_form(window, qtbot)
    type_into(form.name_field, NAME)
    assert doc.model_name == NAME and form.error.text() == ""
    type_into(form.name_field, "a/b")
    assert "cannot contain '/'" in form.error.text() and "name='a/b'" in form.error.text()
    assert doc.model_name == NAME and form.name_field.text() == NAME

    choose(form.style_combos["inputs"], qtbot, "dict")
    qtbot.waitUntil(lambda: ("inputs", ids["b"]) in form.key_fields)
    assert doc.keyed_inputs() == {ids["a"]: "a", ids["b"]: "b"}
    type_into(form.key_fields[("inputs", ids["b"])], "a")  # taken by Input 'a'
    assert "the key 'a' is already the key of input 'a'" in form.error.text()
    assert form.key_fields[("inputs", ids["b"])].text() == "b"
    type_into(form.key_fields[("inputs", ids["b"])], KEY)
    assert doc.keyed_inputs() == {ids["a"]: "a", ids["b"]: KEY}
    assert form.error.text() == ""
    choose(form.style_combos["outputs"], qtbot, "dict")
    assert doc.keyed_outputs() == {ids["head"]: "head", ids["aux"]: "aux"}

    click(window, node_point(window, ids["head"]))  # the output node shows its own key
    qtbot.waitUntil(lambda: window.properties.node_id == ids["head"])
    field = window.properties.keys.fields[("outputs", ids["head"])]
    type_into(field, "score")
    assert doc.keyed_outputs()[ids["head"]] == "score"
    canvas_key(window, QtCore.Qt.Key_Z)
    assert doc.keyed_outputs()[ids["head"]] == "head" and field.text() == "head"
    canvas_key(window, QtCore.Qt.Key_Z, CTRL | QtCore.Qt.ShiftModifier)
    assert doc.keyed_outputs()[ids["head"]] == "score" and field.text() == "score"

    click(window, empty_point(window))  # undo the outputs' dict and the key, then redo
    form = model_form(window, qtbot)
    for _ in range(2):
        canvas_key(window, QtCore.Qt.Key_Z)
    assert doc.keyed_outputs() is None and form.style_combos["outputs"].currentText() == "list"
    for _ in range(2):
        canvas_key(window, QtCore.Qt.Key_Z, CTRL | QtCore.Qt.ShiftModifier)
    qtbot.waitUntil(lambda: ("outputs", ids["head"]) in form.key_fields)
    assert form.key_fields[("outputs", ids["head"])].text() == "score"

    canvas_key(window, QtCore.Qt.Key_S)
    assert window.stack.is_clean
    again = load(path)
    assert again.model_name == NAME
    assert again.keyed_inputs() == {ids["a"]: "a", ids["b"]: KEY}
    assert again.keyed_outputs() == {ids["head"]: "score", ids["aux"]: "aux"}
    namespace = {"__name__": "generated_model_properties"}
    exec(compile(generate(again), "<generated>", "exec"), namespace)
    model = namespace["build_model"]()
    config = model.get_config()
    assert model.name == NAME
    assert config["input_layers"] == {"a": ["a", 0, 0], KEY: ["b", 0, 0]}
    assert config["output_layers"] == {"score": ["head", 0, 0], "aux": ["aux", 0, 0]}
    outputs = model({"a": keras.ops.zeros((1, 3)), KEY: keras.ops.zeros((1, 2))})
    assert {key: tuple(y.shape) for key, y in outputs.items()} == {"score": (1, 4),
                                                                   "aux": (1, 1)}


def issue_rows(window, code) -> list[int]:
    issues = window.issues
    return [r for r in range(issues.topLevelItemCount())
            if getattr(issues.issue_at(r), "code", None) == code]


def test_a_rename_onto_a_key_is_pinned_to_both_inputs_and_fixed_by_a_click(
        make_window, qtbot, tmp_path):
    """Input 'b' has no key of its own, so it is keyed by its name: renamed 'x' (the key
    of Input 'a') in its properties, the live issues pin the clash to both Inputs, and a
    click on one row's fix gives that Input a free key."""
    doc = two_input_doc()
    doc.input_keys = {doc.find("a").id: "x"}
    window = show(make_window(saved(doc, tmp_path, "keyed.json")), qtbot)
    window.canvas.fit()
    ids, doc = node_ids(window), window.doc
    click(window, node_point(window, ids["b"]))
    qtbot.waitUntil(lambda: window.properties.node_id == ids["b"])
    field = window.properties.keys.fields[("inputs", ids["b"])]
    assert field.text() == "b"
    type_into(field, "")
    assert "non-empty" in window.properties.error.text() and field.text() == "b"
    type_into(window.properties.name_edit, "x")
    assert doc.nodes[ids["b"]].name == "x" and field.text() == "x"
    qtbot.waitUntil(lambda: len(issue_rows(window, "duplicate_key")) == 2)
    rows = issue_rows(window, "duplicate_key")
    assert {window.issues.issue_at(r).node for r in rows} == {ids["a"], ids["b"]}
    (row,) = [r for r in rows if window.issues.issue_at(r).node == ids["b"]]
    (button,) = window.issues.fix_buttons(row)
    assert button.text() == "Give it a free key"
    QTest.mouseClick(button, QtCore.Qt.LeftButton)
    assert doc.keyed_inputs() == {ids["a"]: "x", ids["b"]: "x_2"}
    qtbot.waitUntil(lambda: issue_rows(window, "duplicate_key") == [])
    assert field.text() == "x_2"


def test_a_cleared_name_gives_keras_default_name_undoably_and_is_autosaved(make_window, qtbot,
                                                                         tmp_path):
    """Emptying the name field (keys only) gives the model Keras' default name, 'model':
    the field shows it as its placeholder, no error is said, the code names the model
    'model', the edit is one undo step and the autosave writes it."""
    from kerascanvas.app.window import files

    doc = two_input_doc()
    doc.model_name = "ranker"
    window = show(make_window(saved(doc, tmp_path, "named.json")), qtbot)
    doc, heard = window.doc, []
    doc.events.model_changed.connect(heard.append)
    click(window, empty_point(window))
    form = model_form(window, qtbot)
    assert form.name_field.text() == "ranker"
    type_into(form.name_field, "   ")  # blank is empty: the default name
    assert doc.model_name == "" and len(heard) == 1
    assert form.name_field.text() == "" and form.name_field.placeholderText() == "model"
    assert form.error.text() == "" and not window.stack.is_clean
    assert window.stack.undo_text == "Give the model its default name"
    window.code.regenerate()
    assert "name='model'" in window.code.text.toPlainText()
    assert window._autosave.isActive()  # the autosave hears it as any other edit
    window.autosave()
    window.wait_for_autosave()
    assert files.read_recovery(window.recovery_file)[0].model_name == ""

    canvas_key(window, QtCore.Qt.Key_Z)
    assert doc.model_name == "ranker" and form.name_field.text() == "ranker"
    assert window.stack.is_clean and len(heard) == 2
    canvas_key(window, QtCore.Qt.Key_Z, CTRL | QtCore.Qt.ShiftModifier)
    assert doc.model_name == "" and form.name_field.text() == "" and len(heard) == 3
    window.code.regenerate()
    assert "name='model'" in window.code.text.toPlainText()
