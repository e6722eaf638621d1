"""Select all, copy, paste, undo, redo and delete with the keyboard on whole models: the
canvas draws exactly the document's wires after each edit, the copies are named after their
families, the paste is one undo step, and the live analysis of the pasted document equals
that of the same document loaded afresh from its saved file."""

from __future__ import annotations

import pytest
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from kerascanvas.graph import projectfile
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.project import Project

from .gestures import EXAMPLES, show

CTRL = QtCore.Qt.ControlModifier


def key(window, code, modifiers=CTRL) -> None:
    QTest.keyClick(window.canvas.viewer.viewport(), code, modifiers)
    QtWidgets.QApplication.processEvents()


def residual_stack(path, blocks: int = 4) -> str:
    """Input, then blocks of conv2_<i> (Dense), BatchNormalization, Dense and an Add of the
    block's input: merges with two wires, and names of a numbered family."""
    doc = Document()
    prev = doc.add_node("Input", "x", {"shape": [16]}).id
    for i in range(1, blocks + 1):
        a = doc.add_node("Dense", f"conv2_{i}", {"units": 16}).id
        bn = doc.add_node("BatchNormalization").id
        b = doc.add_node("Dense", params={"units": 16}).id
        add = doc.add_node("Add").id
        for src, dst, port in ((prev, a, 0), (a, bn, 0), (bn, b, 0), (b, add, 0),
                               (prev, add, 1)):
            doc.connect(Edge(src, 0, dst, port))
        prev = add
    doc.outputs = [prev]
    projectfile.save(doc, path)
    return str(path)


def drawn_edges(window) -> list[Edge]:
    """The wires on the canvas, as document edges (sorted; repeats kept)."""
    canvas = window.canvas
    pipes = [i for i in canvas.viewer.scene().items()
             if hasattr(i, "input_port") and i.input_port is not None
             and i.output_port is not None]
    return sorted(canvas._edge_of(p.output_port, p.input_port) for p in pipes)


def assert_drawn_as_document(window) -> None:
    assert set(window.canvas.views) == set(window.doc.nodes)
    assert drawn_edges(window) == sorted(window.doc.edges)


def assert_analysis_as_loaded(project, path) -> None:
    """Per-edge shapes, per-node counts and shapes, and the issues of `project`'s live
    analysis equal those of a fresh Project opened from its saved file."""
    project.save(path)
    fresh = Project.open(path)
    live, loaded = project.analysis, fresh.analysis
    assert fresh.doc.edges == project.doc.edges
    assert [live.edge_shape(e) for e in project.doc.edges] == \
        [loaded.edge_shape(e) for e in fresh.doc.edges]
    assert {n: (r.output_shapes, r.count) for n, r in live.results.items()} == \
        {n: (r.output_shapes, r.count) for n, r in loaded.results.items()}
    assert [(i.code, i.node, i.port, i.message) for i in live.issues] == \
        [(i.code, i.node, i.port, i.message) for i in loaded.issues]
    assert live.total_params == loaded.total_params


def assert_family_name(old: str, new: str) -> None:
    """A copy of `conv2_1` is `conv2_<k>` (k > 1), of `stem` it is `stem_<k>`."""
    stem, sep, digits = old.rpartition("_")
    if not (sep and digits.isdigit()):
        stem, digits = old, "0"
    number = new[len(stem) + 1:]
    assert new.startswith(stem + "_") and number.isdigit() and int(number) > int(digits), \
        (old, new)


def check_copy_paste_undo(window, tmp_path) -> None:
    before = window.project.to_dict()
    originals = list(window.doc.nodes)
    key(window, QtCore.Qt.Key_A)
    key(window, QtCore.Qt.Key_C)
    key(window, QtCore.Qt.Key_V)
    copies = [n for n in window.doc.nodes if n not in originals]
    assert len(copies) == len(originals)
    assert window.canvas.selected_ids() == copies
    assert_drawn_as_document(window)
    analysis = window.project.analysis
    for original, copy in zip(originals, copies, strict=True):  # same layers, same shapes
        assert analysis.results[copy].output_shapes == analysis.results[original].output_shapes
        assert_family_name(window.doc.nodes[original].name, window.doc.nodes[copy].name)
    assert_analysis_as_loaded(window.project, tmp_path / "pasted.json")
    pasted = window.project.to_dict()

    assert window.stack.undo_text == "Paste"
    key(window, QtCore.Qt.Key_Z)  # one step takes the whole paste back
    assert window.project.to_dict()["nodes"] == before["nodes"]
    assert window.project.to_dict()["edges"] == before["edges"]
    assert_drawn_as_document(window)
    key(window, QtCore.Qt.Key_Z, CTRL | QtCore.Qt.ShiftModifier)  # redo
    assert window.project.to_dict() == pasted
    assert_drawn_as_document(window)

    key(window, QtCore.Qt.Key_A)
    key(window, QtCore.Qt.Key_Delete, QtCore.Qt.NoModifier)
    assert not window.doc.nodes and not drawn_edges(window)
    key(window, QtCore.Qt.Key_Z)
    assert window.project.to_dict() == pasted
    assert_drawn_as_document(window)
    assert_analysis_as_loaded(window.project, tmp_path / "restored.json")


def test_copy_paste_undo_of_a_residual_stack(make_window, qtbot, tmp_path):
    window = show(make_window(residual_stack(tmp_path / "stack.json")), qtbot)
    check_copy_paste_undo(window, tmp_path)
    names = {n.name for n in window.doc.nodes.values()}
    assert {"conv2_5", "conv2_8"} <= names and "conv2_1_1" not in names  # their family


def test_copy_paste_undo_of_the_inception_example(make_window, qtbot, tmp_path):
    window = show(make_window(str(EXAMPLES / "inception_net.json")), qtbot)
    check_copy_paste_undo(window, tmp_path)


@pytest.mark.slow
def test_copy_paste_undo_of_an_imported_resnet50(make_window, qtbot, tmp_path,
                                                 imported_project):
    window = show(make_window(imported_project("ResNet50")), qtbot)
    check_copy_paste_undo(window, tmp_path)


def test_a_pasted_part_with_a_cycle_is_refused_whole():
    """Pasted wires are not checked one by one for cycles (they join new nodes only): a
    clipboard whose part has a cycle is refused as a whole, and nothing is added."""
    import json

    from kerascanvas.app.canvas.clipboard import paste_json, selection_json
    from kerascanvas.graph import commands as cmd
    from kerascanvas.graph.errors import ProjectFileError

    doc = Document()
    x = doc.add_node("Input", "x", {"shape": [4]}).id
    a, b = doc.add_node("Add", "a").id, doc.add_node("Add", "b").id
    doc.connect(Edge(x, 0, a, 0))
    doc.connect(Edge(a, 0, b, 0))
    stack = cmd.UndoStack()
    pasted = paste_json(doc, stack, selection_json(doc, [x, a, b]))
    assert len(doc.edges) == 4 and doc.downstream([pasted[0]]) == set(pasted)
    data = json.loads(selection_json(doc, [a, b]))
    data["edges"].append({"src": b, "src_port": 0, "dst": a, "dst_port": 1})
    before = projectfile.dumps(doc)
    with pytest.raises(ProjectFileError, match="cycle"):
        paste_json(doc, stack, json.dumps(data))
    assert projectfile.dumps(doc) == before
