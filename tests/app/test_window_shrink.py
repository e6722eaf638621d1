"""A window made shorter keeps the canvas usable: the bottom docks give up height too."""

from __future__ import annotations

from PySide6 import QtWidgets

from tests.app.conftest import show_at
from tests.app.gestures import EXAMPLES


def test_a_shorter_window_shrinks_a_tall_bottom_dock(make_window, qtbot):
    """1500x920 with the Training tab raised (the dock grows to half the window), then
    1024x700: the dock kept its ~430 px and left the canvas 195 px, a third of the window."""
    window = show_at(make_window(str(EXAMPLES / "digits_cnn.json")), 1500, 920)
    window.training_dock.raise_()
    QtWidgets.QApplication.processEvents()
    assert window.training_dock.height() >= 420
    window.resize(1024, 700)
    QtWidgets.QApplication.processEvents()
    assert window.training_dock.height() <= 0.5 * window.height() + 2
    assert window.canvas.viewer.viewport().height() >= 0.35 * window.height()
    window.issues_dock.raise_()  # the same bottom area: the other tabs too
    QtWidgets.QApplication.processEvents()
    assert window.issues_dock.height() <= 0.5 * window.height() + 2


def test_the_summary_tab_shows_rows_when_raised(make_window, qtbot):
    """At the start the bottom docks are 150 px: the Summary tab raised showed one and a half
    rows of the table. It grows once, as the Training tab does, to show about ten."""
    window = show_at(make_window(str(EXAMPLES / "small_resnet.json")), 1500, 920)
    window.summary_dock.raise_()
    QtWidgets.QApplication.processEvents()
    table = window.summary.table
    assert table.rowCount() >= 10
    assert table.viewport().height() >= 8 * table.rowHeight(0)
    assert window.canvas.viewer.viewport().height() >= 0.5 * window.height()


def test_each_bottom_tab_keeps_its_own_height(make_window, qtbot):
    """Training raised grows the bottom docks to half the window; back on Issues they stayed
    that tall (the canvas 230 px of a 768 px screen). Each tab now has its own height, and
    a height the user drags a tab to is the one it comes back with."""
    from PySide6 import QtCore

    window = show_at(make_window(str(EXAMPLES / "digits_cnn.json")), 1366, 740)
    start = window.issues_dock.height()

    def raised(dock) -> int:
        dock.raise_()
        qtbot.wait(250)  # the tab's height is settled in a few turns of the event loop
        return dock.height()

    assert raised(window.training_dock) >= 0.45 * window.height()
    assert abs(raised(window.issues_dock) - start) <= 2
    window.resizeDocks([window.issues_dock], [260], QtCore.Qt.Vertical)  # the user's drag
    qtbot.wait(250)
    dragged = window.issues_dock.height()
    training = raised(window.training_dock)
    assert training >= 0.45 * window.height()
    assert abs(raised(window.issues_dock) - dragged) <= 2
    assert abs(raised(window.training_dock) - training) <= 2
