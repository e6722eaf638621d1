"""Save As moves the project to another folder: the Training dock's settings stay where
the user scrolled them, at 1024x700."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6 import QtWidgets

from kerascanvas.app.panels.shown import on_screen

from .conftest import show_at

DIGITS = Path(__file__).parents[2] / "resources" / "examples" / "digits_cnn.json"


def scrolled_to_the_end(make_window, qtbot, tmp_path):
    """digits_cnn opened at 1024x700, its data previewed, its settings scrolled to the
    end: (window, panel, scroll bar)."""
    path = tmp_path / "first" / "digits.json"
    path.parent.mkdir()
    shutil.copy(DIGITS, path)
    window = show_at(make_window(str(path)), 1024, 700)
    panel = window.training_panel()
    window.training_dock.show()
    window.training_dock.raise_()
    qtbot.waitUntil(lambda: panel.data.images.count() > 0, timeout=20_000)
    bar = panel.settings_scroll.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=3000)
    qtbot.wait(50)  # the thumbnails laid out
    bar.setValue(bar.maximum())
    return window, panel, bar


def saved_elsewhere(window, tmp_path) -> None:
    (tmp_path / "second").mkdir()
    assert window.save_to(str(tmp_path / "second" / "digits.json"))


def test_save_as_keeps_the_settings_scrolled_where_they_were(make_window, qtbot, tmp_path):
    """The preview of the data was emptied and read again for the new folder: the column
    was 102 px shorter for a moment, its scroll bar kept the shorter end, and the
    settings jumped up by that much when the preview came back."""
    window, panel, bar = scrolled_to_the_end(make_window, qtbot, tmp_path)
    end = bar.value()
    saved_elsewhere(window, tmp_path)
    qtbot.waitUntil(lambda: panel.data.images.count() > 0 and panel.data._future is None,
                    timeout=20_000)
    qtbot.wait(100)  # the preview laid out again
    assert bar.value() == end


def test_save_as_behind_another_tab_keeps_the_settings_scrolled(make_window, qtbot,
                                                                 tmp_path):
    """Saved while the Training tab is behind another: the preview is read once the tab
    is shown again, and the settings are where they were."""
    window, panel, bar = scrolled_to_the_end(make_window, qtbot, tmp_path)
    end = bar.value()
    window.issues_dock.raise_()
    qtbot.waitUntil(lambda: not on_screen(panel), timeout=3000)
    saved_elsewhere(window, tmp_path)
    QtWidgets.QApplication.processEvents()
    window.training_dock.raise_()
    qtbot.waitUntil(lambda: on_screen(panel) and panel.data.images.count() > 0 and
                    panel.data._future is None, timeout=20_000)
    qtbot.wait(100)
    assert bar.value() == end
