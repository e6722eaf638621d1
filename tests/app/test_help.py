"""Help menu: keyboard shortcuts read from the actions, and a layer reference with keras.io."""

from __future__ import annotations

from PySide6 import QtCore, QtGui
from PySide6.QtTest import QTest

from kerascanvas.app.window.help import OTHER_PAGES, keras_io_pages, keras_io_url
from kerascanvas.graph.spec import LAYER_SPECS, get_spec
from tests.app.conftest import show_at


def test_f1_lists_every_shortcut_and_the_layer_reference_every_kind(window, qtbot):
    show_at(window)
    assert [a.text() for a in window.menuBar().actions()][-1] == "&Help"
    QTest.keyClick(window.canvas.viewer.viewport(), QtCore.Qt.Key_F1)
    dialog = window.help_dialog
    assert dialog.isVisible()
    from PySide6.QtWidgets import QTableWidget

    table = dialog.findChild(QTableWidget)
    shown = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    for action in window.findChildren(QtGui.QAction):
        if action.shortcut().toString() and action.text():
            assert (action.property("help_text") or action.text().replace("&", "")) in shown
    assert shown["Find Node…"] == QtGui.QKeySequence("Ctrl+Shift+F").toString(
        QtGui.QKeySequence.NativeText)
    dialog.close()
    reference = window.show_layer_reference().findChild(QTableWidget)
    assert reference.rowCount() == len(LAYER_SPECS)
    for row in range(reference.rowCount()):
        spec = get_spec(reference.item(row, 0).text())
        assert reference.item(row, 2).text() == spec.doc and spec.doc
    window.help_dialog.close()


def test_f1_lists_undo_and_redo_by_name_not_by_the_last_edit(window, qtbot):
    """After an edit and its undo, the menu reads 'Undo Add Dense' and 'Redo ...': the
    shortcuts list said so too ('Undo Move', 'Redo Delete 1 node') instead of Undo, Redo."""
    from PySide6.QtWidgets import QTableWidget

    show_at(window)
    window.palette.kind_activated.emit("Dense")
    window.palette.kind_activated.emit("Dense")
    window.undo()
    assert window.actions["undo"].text() != "&Undo" and window.actions["redo"].text() != "&Redo"
    QTest.keyClick(window.canvas.viewer.viewport(), QtCore.Qt.Key_F1)
    table = window.help_dialog.findChild(QTableWidget)
    names = [table.item(r, 0).text() for r in range(table.rowCount())]
    assert "Undo" in names and "Redo" in names
    assert not [n for n in names if n.startswith(("Undo ", "Redo "))]
    window.help_dialog.close()


def test_keras_io_pages_follow_the_site_naming():
    assert keras_io_url(get_spec("Dense")) == "https://keras.io/api/layers/core_layers/dense/"
    assert keras_io_url(get_spec("SeparableConv2D")).endswith(
        "/convolution_layers/separable_convolution2d/")
    assert keras_io_url(get_spec("GlobalAveragePooling2D")).endswith(
        "/pooling_layers/global_average_pooling2d/")
    assert keras_io_url(get_spec("Dropout")).endswith("/regularization_layers/dropout/")
    assert keras_io_url(get_spec("BatchNormalization")).endswith(
        "/normalization_layers/batch_normalization/")
    assert keras_io_url(get_spec("RandomFlip")).endswith(
        "/preprocessing_layers/image_augmentation/random_flip/")
    assert keras_io_url(get_spec("Rescaling")).endswith(
        "/preprocessing_layers/image_preprocessing/rescaling/")
    assert keras_io_url(get_spec("Normalization")).endswith(
        "/preprocessing_layers/numerical/normalization/")


def test_every_keras_kind_links_to_a_page_keras_io_lays_out():
    """Each kind's link is its class's page in the committed list taken from keras.io's own
    page layout, or (for the few keras.io has no page for) another page of that list."""
    listed = keras_io_pages()
    own_pages = set(listed["pages"].values())
    for spec in LAYER_SPECS.values():
        url = keras_io_url(spec)
        if spec.keras_module not in ("keras", "keras.layers", "keras.applications"):
            assert url is None, spec.kind  # our own blocks have no keras.io page
            continue
        assert url and url.startswith("https://keras.io/api/"), spec.kind
        path = url.removeprefix("https://keras.io/api/")
        if spec.kind in OTHER_PAGES:
            assert path in listed["indexes"] or path in own_pages, spec.kind
        else:
            assert path == listed["pages"][spec.kind] and path in own_pages, spec.kind
    assert all(page.rsplit("/", 2)[0] + "/" in listed["indexes"] for page in own_pages)
