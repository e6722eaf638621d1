"""The Search tab on a 1024x700 screen: what it lists can be read without scrolling."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from tests.runtime.test_search import LR, UNITS, mlp_project


def open_search(window, qtbot) -> None:
    (bar,) = [bar for bar in window.findChildren(QtWidgets.QTabBar)
              if "Search" in [bar.tabText(i) for i in range(bar.count())]]
    index = [bar.tabText(i) for i in range(bar.count())].index("Search")
    QTest.mouseClick(bar, QtCore.Qt.LeftButton, pos=bar.tabRect(index).center())
    qtbot.waitUntil(lambda: window.search_dock.isVisible(), timeout=3000)


def small_search(window, qtbot):
    """(the Search tab, the dock's scroll area) of `window` at 1024x700."""
    window.resize(1024, 700)
    window.show()
    qtbot.waitExposed(window)
    open_search(window, qtbot)
    panel = window.search_panel()
    (scroll,) = [s for s in window.search_dock.findChildren(QtWidgets.QScrollArea)
                 if s.widget() is panel]
    return panel, scroll


def test_two_searched_parameters_show_whole_on_a_small_screen(make_window, qtbot, tmp_path):
    """The tab squeezed the table to its least height: the second parameter showed
    only its top half at 1024x700."""
    window = make_window(str(mlp_project(tmp_path, [UNITS, LR])))
    window.resize(1024, 700)
    window.show()
    qtbot.waitExposed(window)
    open_search(window, qtbot)
    table = window.search_panel().params
    qtbot.waitUntil(lambda: table.rowCount() == 2, timeout=3000)
    qtbot.wait(50)
    last = table.visualRect(table.model().index(1, 0))
    assert last.bottom() < table.viewport().height()


def test_start_disabling_itself_keeps_the_scroll_position(make_window, qtbot, tmp_path):
    """Start disables itself as the study begins; the focus then moved on and the dock's
    scroll area jumped to the next widget, hiding the tables' headers at 1024x700."""
    panel, scroll = small_search(make_window(str(mlp_project(tmp_path, [UNITS, LR]))), qtbot)
    bar = scroll.verticalScrollBar()
    bar.setValue(0)
    panel.start_button.setFocus()
    qtbot.waitUntil(panel.start_button.hasFocus, timeout=3000)
    panel.start_button.setEnabled(False)
    QtWidgets.QApplication.processEvents()
    assert bar.value() == 0


def test_a_long_status_shows_within_the_dock_elided_with_the_whole_in_its_tooltip(
        make_window, qtbot, tmp_path):
    """At 1024x700 the status line lay below the dock's edge, cut off mid-line; a longer
    message grew it further."""
    from kerascanvas.app.search.status_line import RUN

    panel, scroll = small_search(make_window(str(mlp_project(tmp_path, [UNITS, LR]))), qtbot)
    status, height = panel.status, panel.status.height()
    text = ("The search cannot start: " + "the range of hidden.units reaches a size that "
            "the next layer refuses; ") * 4 + "THE END."
    status.say(text, RUN)
    QtWidgets.QApplication.processEvents()
    bottom = status.mapTo(scroll.viewport(), status.rect().bottomLeft()).y()
    assert 0 <= bottom < scroll.viewport().height()  # seen whole, without scrolling
    assert status.height() == height  # nothing below it moved
    assert status.text() == text and status.toolTip() == text
    lines = status.shown_text().split("\n")
    assert len(lines) == status.LINES and lines[-1].endswith("…")
    metrics = status.fontMetrics()
    assert all(metrics.horizontalAdvance(line) <= status.contentsRect().width()
               for line in lines)
    status.say("Short.", RUN)
    assert status.shown_text() == "Short." and status.toolTip() == ""
