"""The first minute: a start panel on an empty window, no errors for an empty project,
and every template opens with readable node titles."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from kerascanvas.app.window import files
from kerascanvas.app.window.start import START_SCALE, WHOLE_AT
from tests.app.conftest import show_at


def click_row(view: QtWidgets.QListWidget, row: int) -> None:
    rect = view.visualItemRect(view.item(row))
    QTest.mouseClick(view.viewport(), QtCore.Qt.LeftButton, QtCore.Qt.NoModifier,
                     rect.center())


def settle(qtbot) -> None:
    qtbot.wait(20)  # the starting zoom is set on the next turn of the event loop


def test_empty_window_shows_the_start_panel_not_errors(window):
    show_at(window)
    panel = window.start_panel
    assert panel.isVisible()
    assert panel.templates.count() == len(files.example_files()) > 0
    assert window.issues.topLevelItemCount() == 1
    assert "empty" in window.issues.topLevelItem(0).text(2)
    assert window.problems_label.text() == "0 errors, 0 warnings"
    QTest.mouseClick(panel.close_button, QtCore.Qt.LeftButton)
    assert not panel.isVisible()
    assert "Drag an Input" in window.canvas.viewer.empty_hint


def test_every_template_opens_readable_as_a_new_project(window, qtbot):
    show_at(window)
    viewport = window.canvas.viewer.viewport()
    for row, path in enumerate(files.example_files()):
        click_row(window.start_panel.templates, row)
        settle(qtbot)
        assert len(window.doc.nodes) > 0, path.name
        assert window.path is None  # saving never overwrites the example
        assert not window.start_panel.isVisible()
        scale = window.canvas.viewer.transform().m11()
        assert scale >= WHOLE_AT - 1e-6, path.name
        visible = window.canvas.viewer.visible_scene_rect()  # the start of the graph shows
        shown = [visible.contains(i.sceneBoundingRect()) for i in window.canvas.views.values()]
        assert any(shown)
        if scale < START_SCALE - 1e-6:  # below the start scale only to show it whole
            assert all(shown), path.name
        QTest.keyClick(viewport, QtCore.Qt.Key_N, QtCore.Qt.ControlModifier)  # File > New
        assert not window.doc.nodes and window.start_panel.isVisible()


def test_the_panel_comes_back_when_the_canvas_is_emptied(window, qtbot):
    show_at(window)
    click_row(window.start_panel.templates, 0)
    settle(qtbot)
    window.select_all()
    QTest.keyClick(window.canvas.viewer.viewport(), QtCore.Qt.Key_Delete)
    assert not window.doc.nodes
    assert window.start_panel.isVisible()


def test_example_labels_are_read_once_per_version_of_the_file(tmp_path, monkeypatch):
    """The panel is filled whenever the canvas becomes empty: each example file is read
    again only once it has changed."""
    import os

    from kerascanvas.app.window import start
    from kerascanvas.graph import projectfile
    from kerascanvas.graph.document import Document

    path = tmp_path / "two_dense.json"
    doc = Document()
    doc.add_node("Dense", params={"units": 2})
    projectfile.save(doc, path)
    read = []
    load = projectfile.load
    monkeypatch.setattr(projectfile, "load", lambda p: read.append(p) or load(p))
    assert start.example_label(path) == start.example_label(path) == "two dense (1 layers)"
    assert read == [path]
    doc.add_node("Dense", params={"units": 3})
    projectfile.save(doc, path)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert start.example_label(path) == "two dense (2 layers)"


def test_the_start_panel_fits_a_small_screen_s_canvas(window):
    """At 1024x700 the canvas is some 400 px wide: the buttons' row clipped their texts
    ("ort a Keras mod") and the lists ran off the panel; the buttons stack there now."""
    show_at(window, 1024, 700)
    panel = window.start_panel
    assert panel.geometry().right() < window.canvas.viewer.viewport().width()
    for button in (panel.open_button, panel.import_button, panel.close_button):
        assert button.width() >= button.sizeHint().width(), button.text()
    for view in (panel.templates, panel.recent):
        assert panel.rect().contains(view.geometry())
    show_at(window, 1600, 1000)  # room again: one row
    buttons = (panel.open_button, panel.import_button, panel.close_button)
    assert len({b.geometry().top() for b in buttons}) == 1
