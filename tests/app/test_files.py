"""Files: save/load round trip, autosave and recovery, bad files, fixes and blocks."""

from __future__ import annotations

from kerascanvas.app.window import files
from kerascanvas.graph.document import Edge
from kerascanvas.graph.projectfile import dumps

from .conftest import shape_shown, wire
from .test_window import build_cnn


def test_save_then_load_in_fresh_window_gives_same_bytes(make_window, tmp_path):
    first = make_window()
    build_cnn(first)
    first.layout_tb()
    path = tmp_path / "model.json"
    assert first.save_to(str(path))
    second = make_window(str(path))
    copy = tmp_path / "again.json"
    assert second.save_to(str(copy))
    assert copy.read_bytes() == path.read_bytes()
    assert set(second.canvas.views) == set(first.doc.nodes)


def test_autosave_then_recovery_after_a_crash(make_window):
    crashed = make_window()
    ids = build_cnn(crashed)
    crashed.autosave()
    crashed.wait_for_autosave()
    expected = dumps(crashed.doc)
    crashed.stack.set_clean()  # the window is dropped without a clean exit
    assert files.recovery_path().exists()
    restored = make_window(recover=True)
    assert dumps(restored.doc) == expected
    assert restored.isWindowModified()
    assert set(restored.canvas.views) == set(ids)
    restored.close()
    assert not files.recovery_path().exists()


def test_recovery_declined_starts_empty(make_window):
    crashed = make_window()
    build_cnn(crashed)
    crashed.autosave()
    crashed.wait_for_autosave()
    fresh = make_window(recover=True, restore_answer=False)
    assert fresh.doc.nodes == {}
    assert not files.recovery_path().exists()


def test_malformed_file_opens_nothing_and_app_keeps_running(window, tmp_path):
    build_cnn(window)
    before = dumps(window.doc)
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "kerascanvas", "version": 1, "nodes": [{"id": "a"}], '
                   '"edges": [], "outputs": []}')
    assert not window.open_path(str(bad), ask=False)
    assert "nodes[0]" in window.last_error and "bad.json" in window.last_error
    assert dumps(window.doc) == before
    window.palette.kind_activated.emit("Dense")  # still editable
    assert len(window.doc.nodes) == 5


def test_fix_from_issue_makes_graph_valid(window):
    a = window.add_kind("Input")
    window.properties.show_node(a)
    window.properties.editors["shape"][1].commit("8, 8, 3")
    b = window.add_kind("Input")
    window.properties.show_node(b)
    window.properties.editors["shape"][1].commit("6, 6, 2")
    cat = window.add_kind("Concatenate")
    wire(window, a, cat, 0)
    wire(window, b, cat, 1)
    window.stack.push(__import__("kerascanvas.graph.commands", fromlist=["x"])
                      .SetOutputs(window.doc, [cat]))
    window.canvas.renderer.render()
    issue = next(i for i in window.analysis.issues if "insert_padding" in i.fixes)
    window.apply_fix(issue, "insert_padding")
    window.canvas.renderer.render()
    assert window.analysis.valid
    assert shape_shown(window, cat) == "(None, 8, 8, 5)"
    window.undo()
    window.canvas.renderer.render()
    assert not window.analysis.valid


def test_block_dialog_and_expand(window):
    x = window.add_kind("Input")
    window.properties.show_node(x)
    window.properties.editors["shape"][1].commit("16, 16, 8")
    block = window.add_kind("ResidualBlock")
    window.properties.show_node(block)
    window.properties.editors["filters"][1].commit("8")
    assert window.doc.in_edges(block) == [Edge(x, 0, block, 0)]  # added after x: wired
    window.canvas.renderer.render()
    from kerascanvas.app.blocks.view import BlockDialog

    dialog = BlockDialog(window.doc, block, window.analysis, window)
    names = [dialog.tree.topLevelItem(r).text(0) for r in range(dialog.tree.topLevelItemCount())]
    assert names[0] == f"{window.doc.nodes[block].name}_conv1"
    window.expand_block(block)
    kinds = [n.kind for n in window.doc.nodes.values()]
    assert "ResidualBlock" not in kinds and len(kinds) == 1 + len(names)
    window.undo()
    assert window.doc.nodes[block].kind == "ResidualBlock"


def test_large_project_opens_with_every_node_edge_and_shape(window, tmp_path):
    """A 500-node file without positions: every node, pipe and shape is on the canvas."""
    import keras

    from kerascanvas.graph import projectfile
    from kerascanvas.graph.document import Document

    doc = Document()
    prev = back = doc.add_node("Input", params={"shape": [12]}).id
    for i in range(499):
        step = i % 50
        if step == 49:  # an Add joins a skip over the two layers before it
            node = doc.add_node("Add").id
            doc.connect(Edge(back, 0, node, 0))
            doc.connect(Edge(prev, 0, node, 1))
        else:
            node = doc.add_node("Dense", params={"units": 16 if step >= 46 else 8 + i % 7}).id
            doc.connect(Edge(prev, 0, node, 0))
        back = node if step == 46 else back
        prev = node
    doc.outputs = [prev]
    path = tmp_path / "big.json"
    projectfile.save(doc, path)
    assert window.open_path(str(path), ask=False)

    canvas = window.canvas
    assert set(canvas.views) == set(window.doc.nodes) and len(canvas.views) == 500
    pipes = {(p.output_port.node.id, canvas.views[p.output_port.node.id].outputs.index(
        p.output_port), nid, i) for nid, item in canvas.views.items()
        for i, port in enumerate(item.inputs) for p in port.connected_pipes}
    assert pipes == {(e.src, e.src_port, e.dst, e.dst_port) for e in window.doc.edges}
    # The shapes drawn on the nodes are the ones Keras computes for the same graph.
    shapes = {}
    for node in window.doc.topological_order():
        args = [shapes[e.src] for e in window.doc.in_edges(node.id)]
        if node.kind == "Input":
            shapes[node.id] = (None, 12)
        elif node.kind == "Add":
            shapes[node.id] = keras.layers.Add().compute_output_shape(args)
        else:
            shapes[node.id] = keras.layers.Dense(node.params["units"]).compute_output_shape(
                args[0])
    expected = {n: "(" + ", ".join("None" if d is None else str(d) for d in s) + ")"
                for n, s in shapes.items()}
    canvas.renderer.render()
    assert {n: canvas.views[n].shape_text for n in expected} == expected
    assert window.analysis.valid
    positions = window.doc.ui["positions"]
    assert set(positions) == set(doc.nodes)  # laid out once, and recorded
    assert len({tuple(p) for p in positions.values()}) == len(positions)


def answer_file_dialog(folder, typed: str, choose_filter: str | None = None) -> list:
    """In the next file dialog, go to `folder`, pick the filter that starts with
    `choose_filter`, type `typed` as the name and press Enter; returns the filters offered.
    (A whole path typed pops up its completions, which then take the Enter.)"""
    from PySide6 import QtCore, QtWidgets
    from PySide6.QtTest import QTest

    offered = []

    def answer():
        shown = [w for w in QtWidgets.QApplication.topLevelWidgets()
                 if isinstance(w, QtWidgets.QFileDialog) and w.isVisible()]
        if not shown:
            QtCore.QTimer.singleShot(50, answer)
            return
        dialog = shown[0]
        offered.extend(dialog.nameFilters())
        dialog.setDirectory(str(folder))
        if choose_filter:
            dialog.selectNameFilter(next(f for f in offered if f.startswith(choose_filter)))
        name = dialog.findChild(QtWidgets.QLineEdit, "fileNameEdit")
        name.selectAll()
        QTest.keyClicks(name, typed)
        QTest.keyClick(name, QtCore.Qt.Key_Return)

    QtCore.QTimer.singleShot(50, answer)
    return offered


def test_save_as_and_exports_add_the_extension_of_the_chosen_type(window, qtbot, tmp_path):
    """A name typed without an extension was saved as is: 'net' could then not be found by
    Open (which lists *.json), and an export named 'model' had no format."""
    build_cnn(window)
    offered = answer_file_dialog(tmp_path, "net")
    assert window.save_as()
    assert (tmp_path / "net.json").is_file() and window.path == str(tmp_path / "net.json")
    assert not any("to import" in f for f in offered)  # a project is saved as a project
    answer_file_dialog(tmp_path, "graph", choose_filter="SVG")
    window.export_picture()
    assert (tmp_path / "graph.svg").read_text().lstrip().startswith("<?xml")


def test_file_dialogs_open_in_the_projects_folder_else_the_last_ones(window, tmp_path,
                                                                      monkeypatch):
    """The Open and Import dialogs opened in the process's working directory."""
    from pathlib import Path

    from PySide6 import QtWidgets

    asked = []

    def record(parent, title, folder, filters):
        asked.append(folder)
        return "", ""
    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileName", record)
    window.open_dialog()
    window.import_model_dialog()
    assert asked == [str(Path.home())] * 2  # nothing opened yet, no project path
    recent = tmp_path / "old" / "net.json"
    recent.parent.mkdir()
    recent.write_text("{}")
    files.add_recent(str(recent))
    window.open_dialog()
    assert asked[-1] == str(recent.parent)
    window.path = str(tmp_path / "here" / "p.json")
    (tmp_path / "here").mkdir()
    window.import_model_dialog()
    assert asked[-1] == str(tmp_path / "here")
    assert files.in_start_folder(window.path, "model.py") == str(tmp_path / "here" / "model.py")


def test_open_lists_keras_models_beside_projects(window, tmp_path, monkeypatch):
    """File > Open offers to import a .keras model, but its first filter hid them."""
    from PySide6 import QtWidgets

    (tmp_path / "net.json").write_text("{}")
    (tmp_path / "model.keras").write_bytes(b"")
    window.path = str(tmp_path / "net.json")
    shown = []

    def listing(parent, title, folder, filters):
        first = filters.split(";;")[0]
        patterns = first[first.index("(") + 1:first.index(")")].split()
        shown.extend(sorted(p.name for p in tmp_path.iterdir()
                            if any(p.match(pattern) for pattern in patterns)))
        return "", ""
    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileName", listing)
    window.open_dialog()
    assert shown == ["model.keras", "net.json"]


def test_the_unsaved_changes_prompt_names_the_project(make_window, tmp_path):
    """Ctrl+W with unsaved edits asks about them naming the project: "Untitled" before
    it has a file, its file name after; Cancel keeps the window open."""
    from PySide6 import QtCore, QtWidgets
    from PySide6.QtTest import QTest

    from .conftest import show_at

    def prompt_text(window) -> str:
        """Type Ctrl+W on the canvas; the dialog's text, answered with Cancel."""
        seen = []

        def answer():
            box = QtWidgets.QApplication.activeModalWidget()
            if not isinstance(box, QtWidgets.QMessageBox):
                QtCore.QTimer.singleShot(10, answer)
                return
            seen.append(box.text())
            box.button(QtWidgets.QMessageBox.Cancel).click()

        window.ask_save = None  # the real dialog
        QtCore.QTimer.singleShot(0, answer)
        QTest.keyClick(window.canvas.viewer.viewport(), QtCore.Qt.Key_W,
                       QtCore.Qt.ControlModifier)
        QtWidgets.QApplication.processEvents()
        window.ask_save = lambda: QtWidgets.QMessageBox.Discard
        assert window.isVisible()  # Cancel: not closed
        return seen[0]

    window = show_at(make_window())
    window.palette.kind_activated.emit("Dense")
    assert prompt_text(window) == "“Untitled” has unsaved changes. Save them first?"
    path = tmp_path / "digits.json"
    assert window.save_to(str(path))
    named = show_at(make_window(str(path)))
    named.palette.kind_activated.emit("Dense")
    assert prompt_text(named) == "“digits.json” has unsaved changes. Save them first?"
