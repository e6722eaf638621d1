"""The issues list updates only the rows that changed: after any series of analyses it shows
what a list built afresh shows, and the selected row and the scroll position follow their
issues."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from kerascanvas.app.panels.issue_keys import longest_rising
from kerascanvas.app.panels.issues import IssuesPanel
from kerascanvas.app.panels.shown import on_screen
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.inference import Issue

from .gestures import click, node_ids, node_point, saved, show

CTRL, SHIFT = QtCore.Qt.ControlModifier, QtCore.Qt.ShiftModifier


def rows(panel: IssuesPanel) -> list[tuple]:
    """Everything a row shows: its cells, colour, tooltip, issue and fix buttons."""
    shown = []
    for r in range(panel.topLevelItemCount()):
        item = panel.topLevelItem(r)
        buttons = [(b.text(), b.objectName(), b.toolTip()) for b in panel.fix_buttons(r)]
        shown.append(([item.text(c) for c in range(4)], item.toolTip(2),
                      item.foreground(0).color().name(), panel.issue_at(r), buttons))
    return shown


def widths(panel: IssuesPanel) -> list[int]:
    return [panel.header().sectionSize(c) for c in (0, 1, 3)]


def fresh(doc, issues, qtbot) -> IssuesPanel:
    panel = IssuesPanel(doc)
    qtbot.addWidget(panel)
    panel.show_issues(issues)
    return panel


def buttons_in_view(panel: IssuesPanel) -> list[bool]:
    """For each row in view whose issue has fixes: whether its buttons are there."""
    height = panel.viewport().height()
    made = []
    for r in range(panel.topLevelItemCount()):
        item = panel.topLevelItem(r)
        rect = panel.visualItemRect(item)
        if rect.bottom() >= 0 and rect.top() < height and panel.issue_at(r).fixes:
            made.append(panel.itemWidget(item, 3) is not None)
    return made


# ---- in the window, driven by keys on the canvas -----------------------------------------
def broken_project(tmp_path) -> str:
    """x -> conv -> dense (a rank error: Dense on an image), and a Dense that leads nowhere."""
    doc = Document()
    x = doc.add_node("Input", "x", {"shape": [8, 8, 3]}).id
    conv = doc.add_node("Conv2D", "conv", {"filters": 4, "kernel_size": [3, 3]}).id
    dense = doc.add_node("Dense", "dense", {"units": 2}).id
    doc.add_node("Dense", "stray", {"units": 3})
    doc.connect(Edge(x, 0, conv, 0))
    doc.connect(Edge(conv, 0, dense, 0))
    doc.outputs = [dense]
    return saved(doc, tmp_path, "broken.json")


def test_rows_equal_a_fresh_build_after_a_series_of_edits(make_window, qtbot, tmp_path):
    window = show(make_window(broken_project(tmp_path)), qtbot)
    window.canvas.fit()
    viewport = window.canvas.viewer.viewport()

    def key(code, modifiers=QtCore.Qt.NoModifier):
        QTest.keyClick(viewport, code, modifiers)
        window.canvas.renderer.render()

    edits = [lambda: click(window, node_point(window, node_ids(window)["conv"])),
             lambda: key(QtCore.Qt.Key_C, CTRL), lambda: key(QtCore.Qt.Key_V, CTRL),
             lambda: key(QtCore.Qt.Key_A, CTRL), lambda: key(QtCore.Qt.Key_C, CTRL),
             lambda: key(QtCore.Qt.Key_V, CTRL), lambda: key(QtCore.Qt.Key_Delete),
             lambda: key(QtCore.Qt.Key_Z, CTRL), lambda: key(QtCore.Qt.Key_Z, CTRL | SHIFT),
             lambda: click(window, node_point(window, node_ids(window)["stray"])),
             lambda: key(QtCore.Qt.Key_Delete), lambda: key(QtCore.Qt.Key_Z, CTRL)]
    counts = []
    for edit in edits:
        edit()
        issues = [*window.analysis.issues, *getattr(window, "data_issues", [])]
        built = fresh(window.doc, issues, qtbot)
        assert rows(window.issues) == rows(built)
        assert widths(window.issues) == widths(built)
        counts.append(window.issues.topLevelItemCount())
    assert len(set(counts)) >= 3, "the edits should change the list"
    assert "stray" in {row[0][1] for row in rows(window.issues)}  # the last undo put it back


def hide_issues(window, how: str) -> None:
    """Close the Issues dock (its View menu toggle), or bring the Summary tab in front of it."""
    if how == "closed":
        window.issues_dock.toggleViewAction().trigger()
    else:
        window.summary_dock.raise_()
    QtWidgets.QApplication.processEvents()


def bring_back_issues(window, how: str) -> None:
    if how == "closed":
        window.issues_dock.toggleViewAction().trigger()
    else:
        window.issues_dock.raise_()
    QtWidgets.QApplication.processEvents()


@pytest.mark.parametrize("how", ["closed", "behind a tab"])
def test_a_hidden_list_waits_and_is_right_when_shown(make_window, qtbot, tmp_path, how):
    window = show(make_window(broken_project(tmp_path)), qtbot)
    window.canvas.fit()
    viewport = window.canvas.viewer.viewport()
    shown = rows(window.issues)
    assert "stray" in {row[0][1] for row in shown}
    hide_issues(window, how)
    assert not on_screen(window.issues)
    click(window, node_point(window, node_ids(window)["stray"]))
    QTest.keyClick(viewport, QtCore.Qt.Key_Delete)  # its warning goes
    click(window, node_point(window, node_ids(window)["dense"]))
    QTest.keyClick(viewport, QtCore.Qt.Key_C, CTRL)
    QTest.keyClick(viewport, QtCore.Qt.Key_V, CTRL)  # an error comes: the copy has no input
    window.canvas.renderer.render()
    QtWidgets.QApplication.processEvents()
    assert "stray" not in {n.name for n in window.doc.nodes.values()}
    assert rows(window.issues) == shown  # nothing done while hidden
    bring_back_issues(window, how)
    issues = [*window.analysis.issues, *getattr(window, "data_issues", [])]
    assert rows(window.issues) == rows(fresh(window.doc, issues, qtbot))
    names = {row[0][1] for row in rows(window.issues)}
    assert "stray" not in names and "dense_1" in names  # the copy's input is not wired


# ---- the panel alone, over random analyses -----------------------------------------------
POOL = [Issue(f"n{i % 5}", i % 2 or None, "error" if i % 3 == 0 else "warning",
              f"problem {i}", f"code{i % 4}", (("remove_node",), ("insert_flatten",
                                                                   "insert_reshape"), ())[i % 3])
        for i in range(12)]
REPORTS = st.lists(st.lists(st.sampled_from(POOL), max_size=10), min_size=1, max_size=6)


@settings(max_examples=20, deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(REPORTS)
def test_any_series_of_analyses_shows_what_a_fresh_list_shows(qtbot, reports):
    """Issues come and go, change severity (and so their place: errors first), repeat."""
    doc = Document()
    for i in range(5):
        doc.add_node("Dense", f"layer{i}")
    panel = fresh(doc, [], qtbot)
    for issues in reports:
        panel.show_issues(issues)
        built = fresh(doc, issues, qtbot)
        assert rows(panel) == rows(built)
        assert widths(panel) == widths(built)


def test_a_row_that_stays_keeps_its_buttons_when_the_rows_around_it_move(qtbot):
    """A warning turning into an error moves to the top; the other rows stay put, buttons
    and all, so a button under the mouse is not replaced while it is clicked."""
    doc = Document()
    panel = fresh(doc, [], qtbot)
    first, second, third = POOL[1], POOL[2], POOL[4]  # warnings, with fixes
    panel.show_issues([first, second, third])
    kept = panel.fix_buttons(2)
    moved = Issue(second.node, second.port, "error", second.message, second.code, second.fixes)
    panel.show_issues([first, moved, third])
    assert [panel.issue_at(r) for r in range(3)] == [moved, first, third]
    assert panel.fix_buttons(2) == kept and len(kept) == 2


def many_issues(count: int, errors: int = 0) -> list[Issue]:
    made = [Issue(None, None, "warning", f"warning {i}", "w", ("remove_node",))
            for i in range(count)]
    return [Issue(None, None, "error", f"error {i}", "e", ()) for i in range(errors)] + made


def test_selection_and_scroll_follow_their_issues(qtbot):
    """Scrolled down with a row clicked, the list gets new errors at its top and loses rows
    above the view: the same issue stays selected and the same row at the top of the view;
    every row in view has its fix buttons, also after a scroll."""
    panel = fresh(Document(), many_issues(60), qtbot)
    panel.resize(600, 260)
    panel.show()
    qtbot.waitExposed(panel)
    assert all(buttons_in_view(panel))
    panel.scrollToItem(panel.topLevelItem(30), QtWidgets.QAbstractItemView.PositionAtTop)
    QtWidgets.QApplication.processEvents()
    assert all(buttons_in_view(panel)) and buttons_in_view(panel)
    top = panel.issue_at(panel.indexAt(QtCore.QPoint(1, 1)).row())
    target = panel.visualItemRect(panel.topLevelItem(32))
    QTest.mouseClick(panel.viewport(), QtCore.Qt.LeftButton, QtCore.Qt.NoModifier,
                     target.center())
    (chosen,) = [item.data(0, QtCore.Qt.UserRole + 1) for item in panel.selectedItems()]
    later = [i for n, i in enumerate(many_issues(60, errors=4)) if not 10 <= n < 20]
    panel.show_issues(later)
    QtWidgets.QApplication.processEvents()
    assert [item.data(0, QtCore.Qt.UserRole + 1) for item in panel.selectedItems()] == [chosen]
    assert panel.issue_at(panel.indexAt(QtCore.QPoint(1, 1)).row()) == top
    assert all(buttons_in_view(panel))
    panel.verticalScrollBar().setValue(panel.verticalScrollBar().maximum())
    QtWidgets.QApplication.processEvents()
    assert all(buttons_in_view(panel)) and buttons_in_view(panel)


def test_longest_rising_keeps_the_most_rows_in_place():
    assert longest_rising([3, 0, 1, 4, 2]) == [0, 1, 2]
    assert longest_rising([2, 1, 0]) in ([0], [1], [2])
    assert longest_rising(list(range(5))) == list(range(5))


def test_a_long_message_can_be_read_whole_and_copied(qtbot):
    """A message longer than its row was cut with '…', and its tooltip was one line as
    wide as the message, cut at the screen's edge: the tooltip now wraps (Qt wraps rich
    text only), shows the message as written, and the row's menu copies it."""
    from PySide6 import QtGui

    long = ("training.callbacks[2].monitor: 'val_top_k' is not a value that training logs, so "
            "model_checkpoint would never act. Logged: " + ", ".join(
                f"out_{i}_loss, out_{i}_accuracy" for i in range(12)) + " <and> val_ & co")
    issue = Issue(None, None, "warning", long, "bad_setting", ("remove_node",))
    panel = fresh(Document(), [issue], qtbot)
    item = panel.topLevelItem(0)
    for tip in (item.toolTip(2), panel.fix_buttons(0)[0].toolTip()):
        assert QtGui.Qt.mightBeRichText(tip)
        text = QtGui.QTextDocument()
        text.setHtml(tip)
        assert long in text.toPlainText()
    actions = {a.text(): a for a in panel.row_menu(item).actions()}
    assert "Remove this node" in actions  # the fixes are still offered
    actions["Copy message"].trigger()
    assert QtWidgets.QApplication.clipboard().text() == long


def test_fix_buttons_stay_on_their_rows_when_a_row_without_fixes_comes_above(qtbot):
    """An undo brings back an error without a fix at the top (an unwired input) above two
    warnings that keep their Remove buttons: each button box stands whole on its own row,
    as the row's height asks (they were squashed between the rows, unreadable)."""
    warnings = many_issues(3)
    panel = fresh(Document(), warnings, qtbot)
    panel.resize(700, 200)
    panel.show()
    qtbot.waitExposed(panel)
    fixable = Issue(None, None, "error", "rank", "e", ("insert_reshape",))
    panel.show_issues([fixable] + warnings[:2])  # the undo
    QtWidgets.QApplication.processEvents()
    panel.show_issues(many_issues(2, errors=1))  # its input unwired
    QtWidgets.QApplication.processEvents()
    for r in (1, 2):
        item = panel.topLevelItem(r)
        box = panel.itemWidget(item, 3)
        row = panel.visualItemRect(item)
        assert box.geometry().top() == row.top() and box.height() == row.height(), r
        assert box.height() >= box.sizeHint().height(), r


def test_a_fix_button_naming_layers_follows_their_names_and_fits_its_column(qtbot):
    """The branch-padding fix's button names the convolutions it pads: renaming one (the
    issue itself unchanged: its shapes are the same) gives the button the new name, and
    the fix column is as wide as the longer label (it was measured by fix codes alone)."""
    doc = Document()
    for node_id in ("a", "b"):
        doc.add_node("Conv2D", f"conv_{node_id}", node_id=node_id)
    issue = Issue("add", None, "error", "shrunk", "shape_mismatch",
                  ("set_branch_padding_same", "insert_padding"),
                  data={"nodes": "a,b", "names": "conv_a, conv_b"})
    panel = fresh(doc, [issue], qtbot)
    panel.resize(900, 200)
    panel.show()
    qtbot.waitExposed(panel)
    assert panel.fix_buttons(0)[0].text() == "Set padding='same' on conv_a, conv_b"
    doc.rename("a", "a_much_longer_convolution_name")
    panel.show_issues([issue])
    QtWidgets.QApplication.processEvents()
    label = "Set padding='same' on a_much_longer_convolution_name, conv_b"
    assert panel.fix_buttons(0)[0].text() == label
    box = panel.itemWidget(panel.topLevelItem(0), 3)
    assert panel.header().sectionSize(3) >= box.sizeHint().width()
    assert rows(panel) == rows(fresh(doc, [issue], qtbot))


def test_a_finding_of_the_training_data_on_no_node_says_so(qtbot):
    """A data spec the reader refuses was listed on "(model)", as if the graph were at
    fault; a training setting's issue stays on the model."""
    data = Issue(None, None, "error", "Expected sklearn:digits|iris|wine|breast_cancer. "
                 "Received: sklearn:digitz", "data_source")
    setting = Issue(None, None, "warning", "training.epochs: expected an integer", "bad_setting")
    panel = fresh(Document(), [data, setting], qtbot)
    assert [row[0][1] for row in rows(panel)] == ["(training data)", "(model)"]
