"""One-click fixes from the window: the Issues panel's buttons and the node's context menu."""

from __future__ import annotations

import dataclasses
import json

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtTest import QTest

from kerascanvas.graph import projectfile
from kerascanvas.graph.document import Document, Edge
from kerascanvas.runtime import events as ev

from .conftest import CHAIN, chain_window, shape_shown
from .gestures import click, node_point, saved, show


def two_branch_project(tmp_path) -> str:
    """An image branch (conv) and a text vector joined by Concatenate: the ranks differ."""
    doc = Document()
    image = doc.add_node("Input", "image", params={"shape": [8, 8, 3]}).id
    conv = doc.add_node("Conv2D", "conv", params={"filters": 4, "kernel_size": [3, 3]}).id
    text = doc.add_node("Input", "text", params={"shape": [10]}).id
    cat = doc.add_node("Concatenate", "joined").id
    doc.connect(Edge(image, 0, conv, 0))
    doc.connect(Edge(text, 0, cat, 0))
    doc.connect(Edge(conv, 0, cat, 1))
    doc.outputs = [cat]
    return saved(doc, tmp_path, "two_branch.json")


def conv_on_vector_project(tmp_path) -> str:
    doc = Document()
    pixels = doc.add_node("Input", "pixels", params={"shape": [784]}).id
    conv = doc.add_node("Conv2D", "conv", params={"filters": 4, "kernel_size": [3, 3]}).id
    doc.connect(Edge(pixels, 0, conv, 0))
    doc.outputs = [conv]
    return saved(doc, tmp_path, "conv_on_vector.json")


def by_name(window, name: str) -> str:
    return next(nid for nid, n in window.doc.nodes.items() if n.name == name)


def assert_no_overlap(window) -> None:
    rects = {nid: item.sceneBoundingRect() for nid, item in window.canvas.views.items()}
    for a, ra in rects.items():
        for b, rb in rects.items():
            assert a >= b or not ra.intersects(rb), (window.doc.nodes[a].name,
                                                      window.doc.nodes[b].name)


def rank_mismatch_fixes(make_window, qtbot, tmp_path):
    """The two-branch project in a window, and the fix buttons of its rank_mismatch row
    in the Issues panel by their text."""
    window = show(make_window(two_branch_project(tmp_path)), qtbot)
    window.canvas.renderer.render()
    window.refresh_panels()
    rows = range(window.issues.topLevelItemCount())
    row = next(r for r in rows if window.issues.issue_at(r).code == "rank_mismatch")
    return window, {b.text(): b for b in window.issues.fix_buttons(row)}


def test_fix_button_in_issues_panel_inserts_flatten_between_neighbours(make_window, qtbot,
                                                                        tmp_path):
    window, buttons = rank_mismatch_fixes(make_window, qtbot, tmp_path)
    assert {"Insert Flatten", "Insert GlobalAveragePooling2D"} <= set(buttons)
    QTest.mouseClick(buttons["Insert Flatten"], QtCore.Qt.LeftButton)
    window.canvas.renderer.render()
    assert window.analysis.valid
    flatten = next(nid for nid, n in window.doc.nodes.items() if n.kind == "Flatten")
    assert window.canvas.selected_ids() == [flatten]
    assert shape_shown(window, by_name(window, "joined")) == f"(None, {10 + 6 * 6 * 4})"
    conv_y = window.canvas.views[by_name(window, "conv")].y()
    joined_y = window.canvas.views[by_name(window, "joined")].y()
    assert conv_y < window.canvas.views[flatten].y() < joined_y
    assert_no_overlap(window)
    window.undo()
    assert not window.analysis.valid and len(window.doc.nodes) == 4


def test_a_fix_inserting_a_wide_layer_puts_it_in_line_at_its_drawn_size(make_window, qtbot,
                                                                         tmp_path):
    """The inserted node is placed at the size the canvas draws it, in the fix's one undo
    step: it was centred as a node of the size assumed for an unknown one, so a layer
    drawn wider (a long name) sat off the line of the wire it was put on."""
    window, buttons = rank_mismatch_fixes(make_window, qtbot, tmp_path)
    QTest.mouseClick(buttons["Insert GlobalAveragePooling2D"], QtCore.Qt.LeftButton)
    window.canvas.renderer.render()
    assert window.analysis.valid
    (pool,) = window.canvas.selected_ids()
    assert window.doc.nodes[pool].kind == "GlobalAveragePooling2D"
    conv, pooled = (window.canvas.views[n].sceneBoundingRect()
                    for n in (by_name(window, "conv"), pool))
    assert pooled.width() != conv.width()
    assert abs(conv.center().x() - pooled.center().x()) <= 1, (conv, pooled)
    assert pooled.top() > conv.bottom()
    assert_no_overlap(window)
    window.undo()
    assert pool not in window.doc.nodes and len(window.doc.nodes) == 4


def choose_from_popup(text: str, chosen: list) -> None:
    """Click the entry `text` of the context menu once it is open."""
    menu = QtWidgets.QApplication.activePopupWidget()
    action = next((a for a in menu.actions() if a.text() == text), None)
    if action is None:  # close it, or the test would wait on the open menu forever
        menu.close()
        return
    chosen.append(text)
    QTest.mouseClick(menu, QtCore.Qt.LeftButton, QtCore.Qt.NoModifier,
                     menu.actionGeometry(action).center())


def test_context_menu_of_a_node_offers_its_fix(make_window, qtbot, tmp_path):
    window = show(make_window(conv_on_vector_project(tmp_path)), qtbot)
    window.canvas.renderer.render()
    conv = by_name(window, "conv")
    point = node_point(window, conv)
    viewport = window.canvas.viewer.viewport()
    chosen: list = []
    QtCore.QTimer.singleShot(200, lambda: choose_from_popup("Fix: Insert Reshape", chosen))
    event = QtGui.QContextMenuEvent(QtGui.QContextMenuEvent.Mouse, point,
                                    viewport.mapToGlobal(point))
    QtWidgets.QApplication.sendEvent(viewport, event)
    assert chosen, "the context menu did not open or did not offer the fix"
    window.canvas.renderer.render()
    assert window.analysis.valid
    reshape = next(n for n in window.doc.nodes.values() if n.kind == "Reshape")
    assert reshape.params["target_shape"] == [28, 28, 1]
    assert shape_shown(window, conv) == "(None, 26, 26, 4)"
    assert_no_overlap(window)


def test_a_fix_button_outlives_a_revalidation_that_still_reports_its_issue(make_window, qtbot,
                                                                            tmp_path):
    """Deleting an unrelated broken node re-validates and changes the list; the rank problem's
    row and its buttons stay, so a button taken before still applies its fix when clicked."""
    from shiboken6 import isValid

    doc = projectfile.load(two_branch_project(tmp_path))
    doc.add_node("Dense", "stray", params={"units": 3})
    path = tmp_path / "with_stray.json"
    projectfile.save(doc, path)
    window = show(make_window(str(path)), qtbot)
    window.canvas.renderer.render()
    issues = window.issues
    rows = range(issues.topLevelItemCount())
    row = next(r for r in rows if issues.issue_at(r).code == "rank_mismatch")
    button = next(b for b in issues.fix_buttons(row) if b.text() == "Insert Flatten")
    assert any(issues.issue_at(r).node == by_name(window, "stray") for r in rows)
    click(window, node_point(window, by_name(window, "stray")))
    QTest.keyClick(window.canvas.viewer.viewport(), QtCore.Qt.Key_Delete)
    window.canvas.renderer.render()
    qtbot.wait(20)  # widgets dropped from the list are deleted by the event loop
    assert "stray" not in {n.name for n in window.doc.nodes.values()}
    assert [issues.issue_at(r).code for r in range(issues.topLevelItemCount())] == [
        "rank_mismatch"]
    assert isValid(button), "the re-validation destroyed the fix button the user was clicking"
    QTest.mouseClick(button, QtCore.Qt.LeftButton)
    window.canvas.renderer.render()
    assert window.analysis.valid
    assert any(n.kind == "Flatten" for n in window.doc.nodes.values())


def test_issue_rows_are_updated_in_place(qtbot):
    """A row whose problem is still reported keeps its widgets; a changed one is replaced and
    the order (errors first) holds."""
    from kerascanvas.app.panels.issues import IssuesPanel
    from kerascanvas.graph.inference import Issue

    doc = Document()
    a = doc.add_node("Dense", "a").id
    b = doc.add_node("Dense", "b").id
    panel = IssuesPanel(doc)
    qtbot.addWidget(panel)
    first = Issue(a, 0, "error", "a: no input", "unconnected_input", ("remove_node",))
    second = Issue(b, 0, "warning", "b: unused", "unused", ("remove_node",))
    panel.show_issues([second, first])
    kept = panel.fix_buttons(0)[0]
    panel.show_issues([Issue(b, 0, "warning", "b: unused twice", "unused", ()), first])
    assert panel.fix_buttons(0) == [kept] and panel.issue_at(0) == first
    assert panel.fix_buttons(1) == [] and panel.issue_at(1).message == "b: unused twice"
    emitted = []
    panel.fix_requested.connect(lambda issue, code: emitted.append((issue, code)))
    QTest.mouseClick(kept, QtCore.Qt.LeftButton)
    assert emitted == [(first, "remove_node")]
    panel.show_issues([Issue(b, 0, "error", "b: unused twice", "unused", ()), first])
    assert [panel.issue_at(r).severity for r in range(2)] == ["error", "error"]


def test_fix_buttons_are_whole_below_a_row_without_fixes(make_window, qtbot):
    """A free Conv2D dropped on the MLP: its first row ('not connected') offers no fix (no
    open end of the MLP gives it an image), the second ('leads to no output') offers
    Remove. Rows took the first row's height, and the button was squashed to a strip too
    thin to read."""
    from .gestures import EXAMPLES
    from .test_placement_ui import drop, palette_mime

    window = show(make_window(str(EXAMPLES / "mnist_mlp.json")), qtbot)
    window.resize(1300, 850)
    drop(window, palette_mime(window, "Conv2D"), QtCore.QPoint(40, 40))
    qtbot.waitUntil(lambda: window.issues.topLevelItemCount() == 2)
    issues = window.issues
    assert not issues.fix_buttons(0)
    (button,) = issues.fix_buttons(1)
    QtWidgets.QApplication.processEvents()
    assert button.height() >= button.sizeHint().height()
    assert issues.visualItemRect(issues.topLevelItem(1)).height() >= button.sizeHint().height()
    QTest.mouseClick(button, QtCore.Qt.LeftButton)
    qtbot.waitUntil(lambda: len(window.doc.nodes) == 4)


def test_a_wired_model_without_outputs_is_fixed_from_the_issues_list(make_window, qtbot,
                                                                      tmp_path):
    """The last error of a CNN built by hand, 'The model has no outputs', had no fix: the
    button marks the node where the graph ends, which the canvas then rings as an output."""
    conv = ("Conv2D", "conv", {"filters": 4, "kernel_size": [3, 3]})
    window, _ = chain_window(make_window, qtbot, tmp_path, (CHAIN[0], conv, *CHAIN[1:]))
    issues = window.issues
    assert [issues.issue_at(r).code for r in range(issues.topLevelItemCount())] == ["no_outputs"]
    (button,) = issues.fix_buttons(0)
    QTest.mouseClick(button, QtCore.Qt.LeftButton)
    qtbot.waitUntil(lambda: window.analysis.errors == [])
    assert window.doc.outputs == [by_name(window, "head")]
    window.canvas.renderer.render()
    assert window.canvas.views[by_name(window, "head")].outputs[0].is_model_output


def test_a_mistyped_loss_is_fixed_from_its_row(make_window, qtbot, tmp_path):
    doc = Document()
    x = doc.add_node("Input", name="x", params={"shape": [4]})
    y = doc.add_node("Dense", name="y", params={"units": 3, "activation": "softmax"})
    doc.connect(Edge(x.id, 0, y.id, 0))
    doc.outputs = [y.id]
    doc.training = {"loss": "sparse_categorical_crossentopy"}
    path = tmp_path / "typo.json"
    projectfile.save(doc, path)
    window = make_window(str(path))
    qtbot.waitUntil(lambda: any(i.fixes == ("use_suggested_name",)
                                for i in window.analysis.issues))
    row = next(n for n, i in enumerate(window.analysis.issues)
               if i.fixes == ("use_suggested_name",))
    (button,) = window.issues.fix_buttons(row)
    assert button.text() == "Use sparse_categorical_crossentropy"
    qtbot.mouseClick(button, QtCore.Qt.LeftButton)
    assert window.doc.training["loss"] == {"y": "sparse_categorical_crossentropy"}
    qtbot.waitUntil(lambda: not any(i.code == "bad_setting" for i in window.analysis.issues))


def test_a_refused_runs_label_issue_is_fixed_from_its_row(make_window, qtbot, tmp_path):
    from kerascanvas.runtime.data import check_data, load_data
    from tests.runtime.test_data import classifier

    doc = classifier(units=1, activation="softmax", loss="sparse_categorical_crossentropy")
    path = tmp_path / "one_unit.json"
    projectfile.save(doc, path)
    window = make_window(str(path))
    (found,) = check_data(window.doc, load_data("sklearn:digits", window.doc))
    # As the worker sends a refused run's result: plain JSON data, read back in the window;
    # reworded, since the fix reads the units from the issue's data, not from its message.
    refused = ev.Result(ev.FAILED, "The data does not fit", issues=(
        dataclasses.replace(found, message="The labels need more units."),))
    (issue,) = ev.from_wire(json.loads(json.dumps(ev.to_wire(refused)))).issues
    assert issue.data == {"units": 10}
    window._on_training_data_issues([issue])  # as a refused run reports them
    assert window.problems_label.text() == "1 error, 1 warning"  # and softmax over 1 unit
    panel = window.issues
    row = next(n for n in range(panel.topLevelItemCount()) if panel.issue_at(n) == issue)
    (button,) = window.issues.fix_buttons(row)
    assert button.text() == "Set units to the number of classes"
    qtbot.mouseClick(button, QtCore.Qt.LeftButton)
    assert window.doc.find("out").params["units"] == 10
    assert window.data_issues == []  # answered: the next run checks the data again


def test_a_dropped_layer_is_wired_from_where_the_graph_ends(make_window, qtbot):
    """A Dense dropped below the MLP's output: its 'not connected' row wires it from the
    output above it, which it takes."""
    from .gestures import EXAMPLES

    window = show(make_window(str(EXAMPLES / "mnist_mlp.json")), qtbot)
    ends = [n for n in window.doc.nodes if not window.doc.out_edges(n)]
    (end,) = ends
    x, y = window.doc.position(end)
    added = window.add_kind("Dense", pos=(x, y + 160))
    panel = window.issues

    def wire_buttons():
        return [b for n in range(panel.topLevelItemCount()) for b in panel.fix_buttons(n)
                if panel.issue_at(n).node == added and "wire_from" in b.objectName()]
    qtbot.waitUntil(lambda: len(wire_buttons()) == 1)
    (button,) = wire_buttons()
    assert button.text() == f"Wire from {window.doc.nodes[end].name}"  # says which
    QTest.mouseClick(button, QtCore.Qt.LeftButton)
    assert [e.src for e in window.doc.in_edges(added)] == [end]
