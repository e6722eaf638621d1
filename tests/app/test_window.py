"""The main window: palette, wiring, properties, live shapes and issues, edit commands."""

from __future__ import annotations

from PySide6 import QtCore
from PySide6.QtTest import QTest

from kerascanvas.graph import commands as cmd
from kerascanvas.graph.projectfile import dumps

from .conftest import add_chain, shape_shown, wire
from .gestures import show


def build_cnn(window):
    """Input -> Conv2D -> Flatten -> Dense placed from the palette and wired by drags."""
    ids = add_chain(window, "Input", "Conv2D", "Flatten", "Dense")
    return ids


def test_palette_search_filters_and_adds(window):
    window.palette.search.setText("conv2d")
    shown = window.palette.kinds_shown()
    assert "Conv2D" in shown and "Dense" not in shown
    window.palette.search.returnPressed.emit()
    (node_id,) = window.doc.nodes
    assert window.doc.nodes[node_id].kind == shown[0]
    assert node_id in window.canvas.views


def test_wiring_and_param_edit_update_shapes_and_issues(window):
    inp, conv, flat, dense = build_cnn(window)
    assert len(window.doc.edges) == 3
    window.properties.show_node(inp)
    window.properties.editors["shape"][1].commit("28, 28, 1")
    assert shape_shown(window, conv) == "(None, 26, 26, 32)"
    window.properties.show_node(conv)
    window.properties.editors["filters"][1].commit("8")
    assert shape_shown(window, conv) == "(None, 26, 26, 8)"
    assert shape_shown(window, flat) == f"({None}, {26 * 26 * 8})"
    window.refresh_panels()
    messages = [window.issues.issue_at(r).message for r in range(window.issues.topLevelItemCount())]
    assert any("no outputs" in m for m in messages)
    window.properties.show_node(dense)
    window.properties.output_box.setChecked(True)
    window.refresh_panels()
    assert window.issues.topLevelItemCount() == 0
    assert window.analysis.valid


def test_refused_value_shows_param_error_and_keeps_document(window):
    window.palette.kind_activated.emit("Dense")
    (node_id,) = window.doc.nodes
    before = dumps(window.doc)
    window.properties.show_node(node_id)
    window.properties.editors["units"][1].commit("-3")
    assert "units" in window.properties.error.text() and "-3" in window.properties.error.text()
    assert dumps(window.doc) == before


def test_cycle_is_refused_with_reason(window):
    inp, conv, flat, dense = build_cnn(window)
    pipes = len(window.canvas.views[conv].inputs[0].connected_pipes)
    wire(window, dense, conv)  # would replace input->conv by a cycle
    assert "cycle" in window.statusBar().currentMessage()
    assert {(e.src, e.dst) for e in window.doc.edges} == {(inp, conv), (conv, flat),
                                                            (flat, dense)}
    assert len(window.canvas.views[conv].inputs[0].connected_pipes) == pipes


def test_a_refusal_leaves_the_status_line_when_the_next_edit_succeeds(window, qtbot):
    show(window, qtbot)
    inp, conv, flat, dense = build_cnn(window)
    wire(window, dense, conv)
    assert "cycle" in window.statusBar().currentMessage()
    window.properties.show_node(dense)
    field = window.properties.editors["units"][1].edit
    field.setFocus()
    QTest.keyClick(field, QtCore.Qt.Key_A, QtCore.Qt.ControlModifier)
    QTest.keyClicks(field, "16")
    QTest.keyClick(field, QtCore.Qt.Key_Return)
    assert window.doc.nodes[dense].params["units"] == 16
    assert window.statusBar().currentMessage() == ""
    window.show_message("Saved somewhere")  # other news is not a refusal: it stays
    QTest.keyClick(window.canvas.viewer.viewport(), QtCore.Qt.Key_Z, QtCore.Qt.ControlModifier)
    assert window.doc.nodes[dense].params["units"] != 16
    assert window.statusBar().currentMessage() == "Saved somewhere"


def canvas_matches_document(window):
    canvas, doc = window.canvas, window.doc
    assert set(canvas.views) == set(doc.nodes)
    shown = set()
    canvas.renderer.render()
    for nid, item in canvas.views.items():
        assert item.name == doc.nodes[nid].name and item.id == nid
        for port_index, port in enumerate(item.inputs):
            for pipe in port.connected_pipes:
                src = pipe.output_port.node.id
                outs = canvas.views[src].outputs
                shown.add((src, outs.index(pipe.output_port), nid, port_index))
    assert shown == {(e.src, e.src_port, e.dst, e.dst_port) for e in doc.edges}


def test_undo_redo_of_every_command_kind(window):
    inp, conv, flat, dense = build_cnn(window)
    doc = window.doc
    edits = [
        lambda: doc.nodes[conv] and window.stack.push(cmd.SetParam(doc, conv, "filters", 4)),
        lambda: window.stack.push(cmd.Rename(doc, conv, "features")),
        lambda: window.stack.push(cmd.Move(doc, {conv: (300.0, 40.0)})),
        lambda: window.stack.push(cmd.SetOutputs(doc, [dense])),
        lambda: window.stack.push(cmd.Disconnect(doc, doc.in_edges(dense)[0])),
        lambda: window.stack.push(cmd.RemoveNode(doc, flat)),
        lambda: window.layout_lr(),
        lambda: window.palette.kind_activated.emit("Add"),
    ]
    for edit in edits:
        before = dumps(doc)
        edit()
        after = dumps(doc)
        assert after != before
        window.undo()
        assert dumps(doc) == before
        canvas_matches_document(window)
        window.redo()
        assert dumps(doc) == after
        canvas_matches_document(window)
    assert tuple(window.canvas.views[conv].xy_pos) != (300.0, 40.0)  # layout moved it


def test_copy_paste_duplicate_and_delete(window):
    inp, conv, flat, dense = build_cnn(window)
    window.canvas.select([conv, flat])
    window.copy()
    window.paste()
    pasted = window.canvas.selected_ids()
    assert len(pasted) == 2 and not set(pasted) & {conv, flat}
    kinds = sorted(window.doc.nodes[n].kind for n in pasted)
    assert kinds == ["Conv2D", "Flatten"]
    assert any(e.src in pasted and e.dst in pasted for e in window.doc.edges)
    window.duplicate()
    assert len(window.doc.nodes) == 8
    window.select_all()
    window.delete_selected()
    assert window.doc.nodes == {} and window.canvas.views == {}
    window.undo()
    assert len(window.doc.nodes) == 8
    canvas_matches_document(window)


def test_title_marks_unsaved_changes(window, tmp_path):
    assert not window.isWindowModified()
    window.palette.kind_activated.emit("Input")
    assert window.isWindowModified()
    window.save_to(str(tmp_path / "p.json"))
    assert not window.isWindowModified() and "p.json" in window.windowTitle()
