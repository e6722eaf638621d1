"""Keys a focused text field or table keeps from the canvas's shortcuts.

The window's shortcuts are window-wide, and Qt asks the focused widget first (a
ShortcutOverride event) only for the keys that widget claims. A text field claims its
editing keys while editable, but a read-only text (the Code panel) and every table or tree
(Issues, Layers, Runs) claim none: typing "f" in a table fitted the canvas instead of
searching the table, Ctrl+A selected every node, Delete deleted them. Here a focused text or
table keeps every plain typed key and the keys of the canvas's selection actions; other
shortcuts (Save, Undo, Train...) still act from anywhere."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

# Actions on the canvas's selection whose keys a text or table uses itself.
CANVAS_ACTIONS = ("cut", "copy", "paste", "duplicate", "delete_selected", "select_all", "fit")

TEXT_OR_TABLE = (QtWidgets.QLineEdit, QtWidgets.QAbstractSpinBox, QtWidgets.QTextEdit,
                 QtWidgets.QPlainTextEdit, QtWidgets.QAbstractItemView, QtWidgets.QComboBox)


def typed(event: QtGui.QKeyEvent) -> bool:
    """A key that types a character (Shift allowed, no Ctrl, Alt or Meta)."""
    held = event.modifiers() & ~(QtCore.Qt.ShiftModifier | QtCore.Qt.KeypadModifier)
    return held == QtCore.Qt.NoModifier and event.text().isprintable() and bool(event.text())


class WidgetKeys(QtCore.QObject):
    """Watches the shortcut overrides of `window`'s focused text field or table: Qt sends
    them to the focus widget only, so the filter sits on that widget alone (an application
    filter would run for every event of the app, each mouse move and paint included)."""

    def __init__(self, window, actions: dict[str, QtGui.QAction]):
        super().__init__(window)
        self.window = window
        self.sequences = [sequence for name in CANVAS_ACTIONS
                          for sequence in actions[name].shortcuts()]
        self._watched: QtWidgets.QWidget | None = None
        QtWidgets.QApplication.instance().focusChanged.connect(self._on_focus_changed)

    def _on_focus_changed(self, _old, new) -> None:
        if self._watched is not None:
            try:
                self._watched.removeEventFilter(self)
            except RuntimeError:  # the widget is gone already
                pass
            self._watched = None
        if isinstance(new, TEXT_OR_TABLE) and self._holds(new):
            new.installEventFilter(self)
            self._watched = new

    def eventFilter(self, obj, event):  # noqa: N802 (Qt override)
        if event.type() == QtCore.QEvent.ShortcutOverride and self.keeps(obj, event):
            event.accept()  # the key goes to the widget as a key press, not to a shortcut
        return False

    def _holds(self, widget) -> bool:
        """Whether `widget` lies in the window (a floating dock's too)."""
        while widget is not None and widget is not self.window:
            widget = widget.parentWidget()
        return widget is not None

    def keeps(self, widget, event: QtGui.QKeyEvent) -> bool:
        """Whether the focused `widget` of this window takes `event` itself."""
        if not isinstance(widget, TEXT_OR_TABLE) or not self._holds(widget):
            return False
        if typed(event) or event.key() in (QtCore.Qt.Key_Delete, QtCore.Qt.Key_Backspace):
            return True
        pressed = QtGui.QKeySequence(event.keyCombination())
        return any(pressed.matches(s) == QtGui.QKeySequence.ExactMatch for s in self.sequences)
