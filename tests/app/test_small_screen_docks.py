"""Docks that fit a small screen: at 1024x700 the Layers and Properties docks left the canvas
407 px (40% of the window), and the Training tab's settings column was some 300 px wide in
one session and 530 in the next. The side docks start within what leaves the canvas
`CANVAS_SHARE` of the window, the settings column at one width, and both keep the widths a
user leaves them at, per screen size, when those still fit."""

from __future__ import annotations

import pytest
from PySide6 import QtCore, QtWidgets

from kerascanvas.app.training.widths import SETTINGS_SHARE, SETTINGS_WIDTH
from kerascanvas.app.window import dock_sizes
from kerascanvas.app.window.dock_sizes import CANVAS_SHARE, NARROWEST
from kerascanvas.app.window.docks import SIDE_WIDTH
from tests.app.conftest import show_at
from tests.app.gestures import EXAMPLES

SIZES = [(1024, 700), (1280, 800), (1500, 920)]


def side_widths(window) -> dict[str, int]:
    return {"palette": window.palette_dock.width(), "properties": window.properties_dock.width()}


def canvas_share(window) -> float:
    return window.centralWidget().width() / window.width()


@pytest.mark.parametrize("width, height", SIZES)
def test_the_canvas_keeps_its_share_of_the_window_at_the_first_show(make_window, width,
                                                                   height):
    window = show_at(make_window(str(EXAMPLES / "digits_cnn.json")), width, height)
    assert canvas_share(window) >= CANVAS_SHARE
    for name, dock_width in side_widths(window).items():
        assert dock_width >= NARROWEST[name]


def test_a_large_window_keeps_the_preferred_widths(make_window):
    window = show_at(make_window(), 1600, 1000)
    bar = window.style().pixelMetric(QtWidgets.QStyle.PM_ScrollBarExtent)
    assert side_widths(window) == {"palette": window.palette.preferred_width(),
                                   "properties": SIDE_WIDTH + bar}


def closed_with(window, widths: dict[str, int]) -> None:
    window.resizeDocks([window.palette_dock, window.properties_dock],
                       [widths["palette"], widths["properties"]], QtCore.Qt.Horizontal)
    QtWidgets.QApplication.processEvents()
    assert side_widths(window) == widths
    window.close()


def test_widths_left_are_kept_per_screen_size(make_window, monkeypatch):
    left = {"palette": 160, "properties": 280}  # fits beside 55% of 1024 px
    closed_with(show_at(make_window(), 1024, 700), left)
    assert side_widths(show_at(make_window(), 1024, 700)) == left
    monkeypatch.setattr(dock_sizes, "screen_key", lambda widget: "3840x2160")
    assert side_widths(show_at(make_window(), 1024, 700)) != left  # another screen


def test_kept_widths_too_wide_for_the_window_give_way_to_the_canvas(make_window):
    closed_with(show_at(make_window(), 1600, 1000), {"palette": 300, "properties": 500})
    window = show_at(make_window(), 1024, 700)
    assert canvas_share(window) >= CANVAS_SHARE


def settings_column(window) -> int:
    window.training_dock.raise_()
    QtWidgets.QApplication.processEvents()
    return window.training.settings_scroll.width()


@pytest.mark.parametrize("width, height", SIZES[:2])
def test_the_settings_column_has_one_width_whatever_the_project(make_window, width, height):
    """Synthetic data's form and digits_cnn's (its loss list, its data preview) made the
    column some 300 and 530 px wide."""
    widths = {settings_column(show_at(make_window(path), width, height))
              for path in (None, str(EXAMPLES / "digits_cnn.json"))}
    assert widths == {SETTINGS_WIDTH}


def test_the_settings_column_keeps_the_width_left_when_it_fits(make_window, qtbot):
    window = show_at(make_window(str(EXAMPLES / "digits_cnn.json")), 1024, 700)
    settings_column(window)
    splitter = splitter_of(window)
    total = sum(splitter.sizes())
    splitter.setSizes([450, total - 450])
    splitter.splitterMoved.emit(450, 1)  # as a drag of its handle says
    qtbot.waitUntil(lambda: dock_sizes.kept_widths(window).get("training_settings") == 450)
    window.close()
    assert settings_column(show_at(make_window(), 1024, 700)) == 450
    narrow = show_at(make_window(), 800, 700)  # 450 px is more than its share there
    column = settings_column(narrow)
    assert column != 450
    assert narrow.training.settings_scroll.minimumWidth() <= column
    assert column <= SETTINGS_SHARE * sum(splitter_of(narrow).sizes())


def splitter_of(window) -> QtWidgets.QSplitter:
    return window.training.settings_scroll.parentWidget()


def test_the_right_docks_fit_their_narrowest_width(make_window):
    """At 1024x700 the Properties dock starts some 266 px wide: the model's form was 282 px
    (its weights check box and Choose button in one row), cut off at the right, and the
    Code panel's bar held the dock at 297 px."""
    window = show_at(make_window(str(EXAMPLES / "digits_cnn.json")), 1024, 700)
    panel = window.properties
    for selected in [[]] + [[node_id] for node_id in window.doc.nodes]:
        window.canvas.select(selected)
        QtWidgets.QApplication.processEvents()
        assert panel.widget().width() <= panel.viewport().width(), selected
    assert window.code.minimumSizeHint().width() <= NARROWEST["properties"]
