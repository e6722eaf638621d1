"""Operation nodes edited in the Properties panel with real clicks and keys: ops.mean's
axis, the key text of x[...] and a comparison's constant. Each edit reaches the document
(one undoable command), the shape on the wire out of the node and the generated code;
bad text leaves the document alone and shows why below the field."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from kerascanvas.graph.document import Document, Edge

from .conftest import add_chain
from .gestures import click, node_ids, node_point, saved, show, type_into


def ops_project(tmp_path) -> str:
    """x (4, 6) -> mean -> Dense 'head'; x -> x[...] 'part' -> Flatten 'flat';
    x -> greater (constant 0.5) -> cast to float32 'as_float'."""
    doc = Document()
    x = doc.add_node("Input", "x", {"shape": [4, 6]}).id
    chains = [[("ops.mean", "mean", {"axis": 1}), ("Dense", "head", {"units": 3})],
              [("ops.get_item", "part", {"key": ":, 0"}), ("Flatten", "flat", {})],
              [("ops.greater", "greater", {"constant": 0.5}),
               ("ops.cast", "as_float", {"dtype": "float32"})]]
    outputs = []
    for row, chain in enumerate(chains):
        last = x
        for column, (kind, name, params) in enumerate(chain):
            node = doc.add_node(kind, name, params).id
            doc.connect(Edge(last, 0, node, 0))
            doc.set_position(node, (260.0 * (column + 1), 160.0 * row))
            last = node
        outputs.append(last)
    doc.set_position(x, (0.0, 160.0))
    doc.set_outputs(outputs)
    return saved(doc, tmp_path, "ops.json")


def open_node(make_window, qtbot, tmp_path, name: str):
    """The window on ops_project with `name` clicked on the canvas; its node id."""
    window = show(make_window(ops_project(tmp_path)), qtbot)
    window.canvas.fit()
    QtWidgets.QApplication.processEvents()
    ids = node_ids(window)
    click(window, node_point(window, ids[name]))
    assert window.properties.node_id == ids[name]
    return window, ids


def wire_label(window, src: str, dst: str) -> str:
    """The shape label on the wire from node `src` to node `dst`."""
    window.canvas.renderer.render()
    item = window.canvas.views[src]
    pipes = [pipe for port in item.outputs for pipe in port.connected_pipes
             if pipe.input_port.node is window.canvas.views[dst]]
    assert len(pipes) == 1
    return pipes[0].label.text()


def code(window) -> str:
    window.code.regenerate()
    return window.code.text.toPlainText()


def field(window, param: str):
    return window.properties.editors[param][1]


def assert_refused_below(window, param: str, *words: str) -> None:
    """The panel's error names the param and the text, and sits below the field."""
    error = window.properties.error
    assert error.isVisible() and all(w in error.text() for w in (param, *words)), error.text()
    editor = field(window, param)
    body = window.properties.widget()
    below = error.mapTo(body, QtCore.QPoint(0, 0)).y()
    assert below >= editor.mapTo(body, QtCore.QPoint(0, editor.height())).y()


def test_mean_axis_typed_changes_document_wire_and_code(make_window, qtbot, tmp_path):
    window, ids = open_node(make_window, qtbot, tmp_path, "mean")
    assert wire_label(window, ids["mean"], ids["head"]) == "(None, 6)"
    type_into(field(window, "axis").edit, "2")
    assert window.doc.nodes[ids["mean"]].params["axis"] == 2
    assert window.stack.undo_text.startswith("Set axis")
    assert wire_label(window, ids["mean"], ids["head"]) == "(None, 4)"
    assert "named_op(keras.ops.mean(x, axis=2), 'mean')" in code(window)
    type_into(field(window, "axis").edit, "1, 2")  # several axes: a tuple
    assert window.doc.nodes[ids["mean"]].params["axis"] == [1, 2]
    assert wire_label(window, ids["mean"], ids["head"]) == "(None,)"  # as Keras writes it
    type_into(field(window, "axis").edit, "5")  # no such axis: a shape error, shown
    assert any(i.node == ids["mean"] and "axis 5" in i.message
               for i in window.project.analysis.errors)
    window.stack.undo()
    window.stack.undo()
    assert window.doc.nodes[ids["mean"]].params["axis"] == 2


def test_index_key_typed_and_bad_key_refused(make_window, qtbot, tmp_path):
    window, ids = open_node(make_window, qtbot, tmp_path, "part")
    assert wire_label(window, ids["part"], ids["flat"]) == "(None, 6)"
    type_into(field(window, "key").edit, ":, None, 1:3")
    assert window.doc.nodes[ids["part"]].params["key"] == ":, None, 1:3"
    assert wire_label(window, ids["part"], ids["flat"]) == "(None, 1, 2, 6)"
    assert "named_op(x[:, None, 1:3], 'part')" in code(window)
    type_into(field(window, "key").edit, "0]; print(1); x[0")
    assert window.doc.nodes[ids["part"]].params["key"] == ":, None, 1:3"
    assert_refused_below(window, "key", "print(1)")
    assert "print" not in code(window)
    type_into(field(window, "key").edit, "..., -1")  # a good key clears the refusal
    assert window.properties.error.text() == ""
    assert wire_label(window, ids["part"], ids["flat"]) == "(None, 4)"


def test_comparison_constant_typed_and_bad_constant_refused(make_window, qtbot, tmp_path):
    window, ids = open_node(make_window, qtbot, tmp_path, "greater")
    assert window.properties.info.text().startswith("output (None, 4, 6) bool ·")
    type_into(field(window, "constant").edit, "0.25")
    assert window.doc.nodes[ids["greater"]].params["constant"] == 0.25
    assert "keras.ops.greater(x, 0.25)" in code(window)
    assert wire_label(window, ids["greater"], ids["as_float"]) == "(None, 4, 6)"
    box = field(window, "constant_first").box  # the constant goes first: 0.25 > x
    QTest.mouseClick(box, QtCore.Qt.LeftButton, pos=QtCore.QPoint(6, box.height() // 2))
    assert window.doc.nodes[ids["greater"]].params["constant_first"] is True
    assert "keras.ops.greater(0.25, x)" in code(window)
    type_into(field(window, "constant").edit, "half")
    assert window.doc.nodes[ids["greater"]].params["constant"] == 0.25
    assert_refused_below(window, "constant", "half")



def test_split_sections_typed_set_its_output_ports(window, qtbot):
    """ops.split from the palette: typing the cut indices gives the node one output port
    per section, with its section's shape."""
    ids = add_chain(show(window, qtbot), "Input", "ops.split")
    window.canvas.fit()
    QtWidgets.QApplication.processEvents()
    click(window, node_point(window, ids[0]))
    type_into(field(window, "shape").edit, "4, 6")
    click(window, node_point(window, ids[1]))
    type_into(field(window, "axis").edit, "-1")
    assert len(window.canvas.views[ids[1]].outputs) == 2
    type_into(field(window, "indices_or_sections").edit, "1, 4")
    assert window.doc.nodes[ids[1]].params["indices_or_sections"] == [1, 4]
    QtWidgets.QApplication.processEvents()
    assert len(window.canvas.views[ids[1]].outputs) == 3
    result = window.project.analysis.results[ids[1]]
    assert result.output_shapes == [(None, 4, 1), (None, 4, 3), (None, 4, 2)]
    type_into(field(window, "indices_or_sections").edit, "4")  # 6 does not divide by 4
    assert any(i.node == ids[1] and "4 equal sections" in i.message
               for i in window.project.analysis.errors)


def test_pad_width_and_unstack_num_typed_set_shapes_and_ports(window, qtbot):
    """ops.pad and ops.unstack from the palette: a typed pad_width (pairs per axis) sets
    the padded shape; unstack's num sets its output ports, and a num other than the
    axis' size is an error on the node (Keras would only fail when the model runs)."""
    ids = add_chain(show(window, qtbot), "Input", "ops.pad", "ops.unstack")
    window.canvas.fit()
    QtWidgets.QApplication.processEvents()
    click(window, node_point(window, ids[0]))
    type_into(field(window, "shape").edit, "4, 6")
    click(window, node_point(window, ids[1]))
    type_into(field(window, "pad_width").edit, "[[0, 0], [1, 1], [0, 2]]")
    assert window.doc.nodes[ids[1]].params["pad_width"] == [[0, 0], [1, 1], [0, 2]]
    assert window.project.analysis.results[ids[1]].output_shapes == [(None, 6, 8)]
    click(window, node_point(window, ids[2]))
    type_into(field(window, "axis").edit, "1")
    type_into(field(window, "num").edit, "6")
    QtWidgets.QApplication.processEvents()
    assert len(window.canvas.views[ids[2]].outputs) == 6
    assert window.project.analysis.results[ids[2]].output_shapes == [(None, 8)] * 6
    type_into(field(window, "num").edit, "3")
    assert any(i.node == ids[2] and "num must be the size of axis 1 (6)" in i.message
               for i in window.project.analysis.errors)
