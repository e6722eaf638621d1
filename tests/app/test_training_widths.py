"""The Training tab at ordinary window sizes: the settings column is as wide as its fields
(buttons never clipped, a narrow list elided with its whole text as tooltip), the Runs
tab's columns fit their header and values, and the rate Continue would use is labelled so
and shown only while Continue can be used."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6 import QtWidgets

from kerascanvas.graph import commands as cmd

from .conftest import add_chain, show_at
from .test_style import styled  # noqa: F401 (a fixture)
from .training_fakes import FakeRun, epoch, started, training_panel

DIGITS = Path(__file__).parents[2] / "resources" / "examples" / "digits_cnn.json"
SIZES = [(1600, 1000), (1280, 800)]


@pytest.fixture
def panel(qtbot, tmp_path):
    yield from training_panel(qtbot, tmp_path)


def shown_training(window):
    panel = window.training_panel()
    window.training_dock.show()
    window.training_dock.raise_()
    QtWidgets.QApplication.processEvents()
    return panel


def settled(qtbot, panel) -> None:
    """Wait until the rows a change adds are shown and the column has followed them (each
    layout step is an event of its own)."""
    column = panel.settings_scroll
    qtbot.waitUntil(lambda: panel.form.code_button.isVisibleTo(column.widget()) and
                    column.viewport().width() >= column.widget().minimumSizeHint().width(),
                    timeout=3000)


def shown(root: QtWidgets.QWidget, kind) -> list:
    return [w for w in root.findChildren(kind) if w.isVisibleTo(root)]


def text_room(combo: QtWidgets.QComboBox) -> int:
    option = QtWidgets.QStyleOptionComboBox()
    combo.initStyleOption(option)
    return combo.style().subControlRect(QtWidgets.QStyle.CC_ComboBox, option,
                                        QtWidgets.QStyle.SC_ComboBoxEditField, combo).width()


def assert_fields_whole(panel) -> None:
    """No sideways scrolling, no clipped button, each list whole or with its tooltip."""
    scroll = panel.settings_scroll
    column = scroll.widget()
    assert scroll.viewport().width() >= column.minimumSizeHint().width()
    assert column.width() <= scroll.viewport().width()
    assert scroll.horizontalScrollBar().maximum() == 0
    buttons = shown(column, QtWidgets.QPushButton)
    assert "Write code…" in [b.text() for b in buttons]
    for button in buttons:
        assert button.fontMetrics().horizontalAdvance(button.text()) <= button.width(), \
            button.text()
    combos = shown(column, QtWidgets.QComboBox)
    assert combos
    for combo in combos:
        whole = combo.fontMetrics().horizontalAdvance(combo.currentText()) <= text_room(combo)
        assert whole or combo.toolTip() == combo.currentText(), combo.currentText()


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_settings_column_shows_its_fields_at_window_sizes(make_window, width, height):
    window = show_at(make_window(str(DIGITS)), width, height)
    panel = shown_training(window)
    assert_fields_whole(panel)
    loss = panel.form.fields[("loss", "digit")].combo
    assert loss.currentText().startswith("sparse_categorical_crossentropy")
    assert panel.tabs.width() >= panel.width() // 2  # the plots keep most of the dock


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_column_widens_for_an_output_added_after_it_was_built(
        make_window, qtbot, width, height):
    """The column took the width of the form it was built with, an empty model's: the loss
    list of an output added later ran under a sideways scroll bar ('sparse_categorical_c',
    'Write cod')."""
    window = show_at(make_window(), width, height)
    panel = shown_training(window)
    before = panel.settings_scroll.minimumWidth()
    _, dense = add_chain(window, "Input", "Dense")
    window.stack.push(cmd.MarkOutput(window.doc, dense, 0, True))
    qtbot.waitUntil(lambda: ("loss", window.doc.nodes[dense].name) in panel.form.fields)
    settled(qtbot, panel)
    assert_fields_whole(panel)
    window.stack.push(cmd.Rename(window.doc, dense, "digit_class_probabilities"))
    qtbot.waitUntil(lambda: ("metrics", "digit_class_probabilities") in panel.form.fields)
    settled(qtbot, panel)  # its rows' labels are wider than any before
    assert panel.settings_scroll.minimumWidth() > before
    assert_fields_whole(panel)


def test_a_squeezed_column_elides_its_lists_and_keeps_its_buttons(make_window):
    window = show_at(make_window(str(DIGITS)), 1280, 800)
    panel = shown_training(window)
    splitter = panel.settings_scroll.parentWidget()
    splitter.setSizes([0, splitter.width()])  # dragged as far left as it goes
    QtWidgets.QApplication.processEvents()
    assert panel.settings_scroll.width() == panel.settings_scroll.minimumWidth() > 0
    loss = panel.form.fields[("loss", "digit")].combo
    assert loss.fontMetrics().horizontalAdvance(loss.currentText()) > text_room(loss)
    assert loss.toolTip() == loss.currentText() == "sparse_categorical_crossentropy  (default)"
    assert_fields_whole(panel)


def test_runs_columns_fit_their_header_and_values(panel, qtbot, styled):  # noqa: F811
    """In the app's style the run column showed 'Ru…': its check box took more room than
    the column was sized for. Each cell drawn at its column's width looks as it does with
    room to spare, so nothing in it was cut."""
    run, _ = started(panel, qtbot)
    run.push(*epoch(0), {"event": "result", "status": "finished", "saved": None})
    qtbot.waitUntil(lambda: panel.runs.topLevelItem(0).text(1) == "finished", timeout=3000)
    panel.resize(1300, 400)
    panel.tabs.setCurrentWidget(panel.runs)
    QtWidgets.QApplication.processEvents()
    tree, header = panel.runs, panel.runs.header()
    item = tree.topLevelItem(0)
    assert header.stretchLastSection()
    for column in range(tree.columnCount() - 1):
        width = header.sectionSize(column)
        assert width >= header.sectionSizeHint(column)  # the header's own text
        cell = tree.visualItemRect(item)
        cell.setLeft(header.sectionViewportPosition(column))
        cell.setWidth(width - 1)
        drawn = tree.viewport().grab(cell).toImage()
        header.setSectionResizeMode(column, QtWidgets.QHeaderView.Interactive)
        header.resizeSection(column, width + 80)
        QtWidgets.QApplication.processEvents()
        roomy = tree.viewport().grab(cell).toImage()
        header.setSectionResizeMode(column, QtWidgets.QHeaderView.ResizeToContents)
        assert drawn == roomy, item.text(column)


def test_the_continue_rate_is_labelled_and_shown_only_when_continue_can_be_used(
        panel, qtbot):
    """Beside a running run the rate read 'lr 0.0001', like the rate it trained with."""
    rate, label = panel.continue_lr, panel.continue_lr_label
    assert label.text() == "at lr"
    assert rate.isHidden() and label.isHidden()  # no run yet
    run, record = started(panel, qtbot)
    run.push(*epoch(0))
    assert rate.isHidden() and label.isHidden() and not rate.isEnabled()
    panel.stop_button.click()
    open(run.save_path, "wb").close()
    run.push({"event": "result", "status": "stopped", "saved": run.save_path})
    qtbot.waitUntil(lambda: record.status == "stopped", timeout=3000)
    assert panel.continue_button.isEnabled() and rate.isEnabled()
    assert not rate.isHidden() and not label.isHidden()
    assert rate.text() == "0.001"  # the rate the run ended with
    buttons = panel.continue_button.parentWidget().layout().itemAt(0).layout()
    order = [buttons.itemAt(i).widget() for i in range(buttons.count() - 1)]
    assert order.index(label) == order.index(panel.continue_button) + 1
    panel.continue_button.click()
    assert FakeRun.made[-1] is not run and panel.controller.is_active
    assert rate.isHidden() and label.isHidden()
    FakeRun.made[-1].push({"event": "result", "status": "stopped", "saved": None})
    qtbot.waitUntil(lambda: not panel.controller.is_active, timeout=3000)
    assert rate.isHidden() == (not panel.continue_button.isEnabled())

