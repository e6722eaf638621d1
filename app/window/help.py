"""Help menu: the keyboard shortcuts (read from the window's own actions and shortcuts, then
the keys its widgets answer themselves, `keys.Keys`) and a layer reference (each kind's
one-line doc from the LayerSpec table and its keras.io page)."""

from __future__ import annotations

import functools
import json

from PySide6 import QtCore, QtGui, QtWidgets

from ...graph.spec import LAYER_SPECS
from ..keys import Keys
from .menus import HELP_TEXT
from .style import RESOURCES

KERAS_IO = "https://keras.io/api/"
# Kinds with no page of their own on keras.io link to the page that covers them: an index
# page, or (a layer you write) the base Layer class.
OTHER_PAGES = {"KerasLayer": "layers/", "Application": "applications/",
               "ContrastLimitedAdaptiveHistogramEqualization":
                   "layers/preprocessing_layers/image_augmentation/",
               "CustomLayer": "layers/base_layer/"}


@functools.cache
def keras_io_pages() -> dict:
    """resources/keras_io_pages.json: keras.io's page for each Keras layer class, and the
    index pages, as keras.io lays them out."""
    return json.loads((RESOURCES / "keras_io_pages.json").read_text(encoding="utf-8"))


def keras_io_path(spec) -> str | None:
    """The page of a layer kind under https://keras.io/api/ (`None` for our own blocks)."""
    if spec.keras_module not in ("keras", "keras.layers", "keras.applications"):
        return None
    return keras_io_pages()["pages"].get(spec.kind) or OTHER_PAGES.get(spec.kind)


def keras_io_url(spec) -> str | None:
    """The keras.io page of a layer kind (`None` for our own blocks).

    >>> from kerascanvas.graph.spec import get_spec
    >>> keras_io_url(get_spec("Conv2D"))
    'https://keras.io/api/layers/convolution_layers/convolution2d/'
    """
    path = keras_io_path(spec)
    return KERAS_IO + path if path else None


def shortcut_rows(window) -> list[tuple[str, str]]:
    """(action, keys) for every action of the window that has a shortcut, menu order (Undo
    and Redo by those names, not by the edit their menu entries name), every `QShortcut`
    (by its what's-this text), then every key a widget answers itself (`Keys.every`)."""
    rows = []
    for action in window.findChildren(QtGui.QAction):
        name = action.property(HELP_TEXT) or action.text().replace("&", "")
        rows.append((name, _key_text(action.shortcuts())))
    for shortcut in window.findChildren(QtGui.QShortcut):
        name = shortcut.whatsThis() or shortcut.objectName()
        rows.append((name, _key_text(shortcut.keys())))
    rows += [(keys.what, keys.key_text()) for keys in Keys.every]
    return list(dict.fromkeys((name, keys) for name, keys in rows if name and keys))


def _key_text(sequences) -> str:
    return ", ".join(s.toString(QtGui.QKeySequence.NativeText) for s in sequences)


def layer_rows() -> list[tuple[str, str, str, str | None]]:
    """(kind, category, doc, keras.io url) for every kind in the table."""
    return [(s.kind, s.category, s.doc, keras_io_url(s))
            for s in sorted(LAYER_SPECS.values(), key=lambda s: (s.category, s.kind))]


def _table(parent, headers: list[str], rows) -> QtWidgets.QTableWidget:
    table = QtWidgets.QTableWidget(len(rows), len(headers), parent)
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().hide()
    table.setEditTriggers(QtWidgets.QAbstractItemView.NoEditTriggers)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if c == 3 and value:
                link = QtWidgets.QLabel(f'<a href="{value}">keras.io</a>')
                link.setOpenExternalLinks(True)
                link.setToolTip(value)
                table.setCellWidget(r, c, link)
            else:
                table.setItem(r, c, QtWidgets.QTableWidgetItem(value or ""))
    table.resizeColumnsToContents()
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _dialog(parent, title: str, table) -> QtWidgets.QDialog:
    dialog = QtWidgets.QDialog(parent)
    dialog.setWindowTitle(title)
    layout = QtWidgets.QVBoxLayout(dialog)
    table.setParent(dialog)
    layout.addWidget(table)
    buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.Close)
    buttons.rejected.connect(dialog.reject)
    layout.addWidget(buttons)
    dialog.resize(QtCore.QSize(900, 600))
    return dialog


class HelpMixin:
    """Mixed into `MainWindow`: Help › Keyboard Shortcuts (F1) and Layer Reference."""

    def move_help_menu_last(self) -> None:
        """Menus added after the table (Train, ...) go before Help, which ends the bar."""
        bar = self.menuBar()
        for action in bar.actions():
            if action.text() == "&Help":
                bar.removeAction(action)
                bar.addAction(action)

    def show_shortcuts(self) -> QtWidgets.QDialog:
        table = _table(self, ["Action", "Keys"], shortcut_rows(self))
        self.help_dialog = _dialog(self, "Keyboard shortcuts", table)
        self.help_dialog.open()
        return self.help_dialog

    def show_layer_reference(self) -> QtWidgets.QDialog:
        table = _table(self, ["Layer", "Category", "What it does", "Documentation"],
                       layer_rows())
        self.help_dialog = _dialog(self, "Layer reference", table)
        self.help_dialog.open()
        return self.help_dialog
