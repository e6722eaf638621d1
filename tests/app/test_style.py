"""The app's look: what is disabled looks disabled."""

from __future__ import annotations

from collections import Counter

import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from .gestures import show


@pytest.fixture
def styled():
    """The app's own style (Fusion, dark palette, stylesheet), put back afterwards."""
    from kerascanvas.app.window.style import apply_style

    app = QtWidgets.QApplication.instance()
    saved = app.palette(), app.styleSheet(), app.style().name()
    apply_style(app)
    yield app
    app.setStyleSheet(saved[1])
    app.setPalette(saved[0])
    app.setStyle(saved[2])


def brightest(widget: QtWidgets.QWidget) -> int:
    """The highest grey level drawn in the widget (its text, on a dark button)."""
    image = widget.grab().toImage()
    return max(QtGui.QColor(image.pixel(x, y)).lightness()
               for x in range(image.width()) for y in range(image.height()))


def test_disabled_buttons_look_disabled(styled, window, qtbot):
    """The dark palette gave every colour group the same text colour: Pause, Stop and Kill
    before a run (or Start during one) looked exactly as clickable as the others."""
    show(window, qtbot)
    panel = window.training_panel()
    enabled, disabled = panel.start_button, panel.pause_button
    assert enabled.isEnabled() and not disabled.isEnabled()
    assert brightest(disabled) < brightest(enabled) - 60


def indicator_image(widget, rect=None) -> QtGui.QImage:
    """The pixels of `widget` (of `rect` in it): a check box's or radio button's indicator."""
    pixmap = widget.grab() if rect is None else widget.grab(rect)
    return pixmap.toImage().convertToFormat(QtGui.QImage.Format_RGB32)


def outline_contrast(image: QtGui.QImage) -> int:
    """How far the brightest or darkest pixel is from the commonest one (the background)."""
    levels = [QtGui.QColor(image.pixel(x, y)).lightness()
              for x in range(image.width()) for y in range(image.height())]
    background = Counter(levels).most_common(1)[0][0]
    return max(abs(level - background) for level in levels)


def changed_share(one: QtGui.QImage, other: QtGui.QImage) -> float:
    """The share of pixels whose colour differs clearly between two images of one size."""
    def far(x, y):
        a, b = QtGui.QColor(one.pixel(x, y)), QtGui.QColor(other.pixel(x, y))
        return abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue())
    pixels = [(x, y) for x in range(one.width()) for y in range(one.height())]
    return sum(far(x, y) > 120 for x, y in pixels) / len(pixels)


def button_images(kind) -> list[QtGui.QImage]:
    """A bare check box or radio button, unchecked then checked."""
    widget = kind()
    widget.show()
    images = []
    for checked in (False, True):
        widget.setChecked(checked)
        images.append(indicator_image(widget))
    widget.deleteLater()
    return images


def item_images(view, item, column: int = 0) -> list[QtGui.QImage]:
    """A checkable row's box in a table or tree, unchecked then checked."""
    view.setFocusPolicy(QtCore.Qt.NoFocus)  # no current-cell frame over it
    view.show()
    images = []
    for state in (QtCore.Qt.Unchecked, QtCore.Qt.Checked):
        if isinstance(item, QtWidgets.QTreeWidgetItem):
            item.setCheckState(column, state)
        else:
            item.setCheckState(state)
        rect = view.visualItemRect(item)
        rect.setWidth(rect.height())  # the box, at the cell's left
        QtWidgets.QApplication.processEvents()
        images.append(indicator_image(view.viewport(), rect))
    return images


def make_block_images(qtbot):
    """The Expose box of the Make Block dialog's first row."""
    from kerascanvas.app.blocks.user_blocks import BlockDefinitionDialog

    rows = [("n1", "dense", "units", "8"), ("n1", "dense", "use_bias", "True")]
    dialog = BlockDefinitionDialog("Make Block", rows, {}, "block1", "", (), lambda *a: None)
    qtbot.addWidget(dialog)
    return item_images(dialog.table, dialog.table.item(0, 0))


def tree_images(qtbot):
    tree = QtWidgets.QTreeWidget()
    qtbot.addWidget(tree)
    item = QtWidgets.QTreeWidgetItem(tree, ["run 1"])
    item.setFlags(item.flags() | QtCore.Qt.ItemIsUserCheckable)
    return item_images(tree, item)


@pytest.mark.parametrize("images", [
    lambda qtbot: button_images(QtWidgets.QCheckBox),
    lambda qtbot: button_images(QtWidgets.QRadioButton),
    make_block_images,
    tree_images,
], ids=["check box", "radio button", "Make Block's Expose", "tree row"])
def test_check_marks_show_on_the_dark_theme(styled, qtbot, images):
    """An unchecked box stands out from the panel, and a checked one plainly differs from
    it: Fusion drew a dark box on the dark panels (8 grey levels off the background), so the
    Make Block dialog's Expose column, the properties' boxes and the runs' ticks hardly
    showed."""
    unchecked, checked = images(qtbot)
    assert outline_contrast(unchecked) >= 80
    assert changed_share(unchecked, checked) >= 0.25
