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
