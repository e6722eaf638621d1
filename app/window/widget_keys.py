"""Keys a focused text field or table keeps from the canvas's shortcuts.

The window's shortcuts are window-wide, and Qt asks the focused widget first (a
ShortcutOverride event) only for the keys that widget claims. A text field claims its
editing keys while editable, but a read-only text (the Code panel) and every table or tree
(Issues, Layers, Runs) claim none: typing "f" in a table fitted the canvas instead of
searching the table, Ctrl+A selected every node, Delete deleted them. Here a focused text or
table keeps every plain typed key and the keys of the canvas's selection actions; other
shortcuts (Save, Undo, Train...) still act from anywhere.

Undo and Redo go to a focused text field only while it has typing of its own to take back
(an edit not yet committed, or a code editor's history); otherwise to the project. A field
claims them itself, and a value typed, committed with Enter and then undone with Ctrl+Z,
the focus still in the field, did nothing: the field had no typing left to undo, and the
project's Undo never heard the key."""

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
        self.history = {name: actions[name].shortcuts() for name in ("undo", "redo")}
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
        if event.type() == QtCore.QEvent.ShortcutOverride:
            if self.keeps(obj, event):
                event.accept()  # the key goes to the widget as a key press, not to a shortcut
            elif self._to_project(obj, event):
                event.ignore()  # the widget never sees it: the window's Undo or Redo acts
                return True
        return False

    def _to_project(self, widget, event: QtGui.QKeyEvent) -> bool:
        """Whether `event` is Undo or Redo and `widget` has no typing of its own to take
        back or bring again (`own_history`)."""
        pressed = QtGui.QKeySequence(event.keyCombination())
        for name, sequences in self.history.items():
            if any(pressed.matches(s) == QtGui.QKeySequence.ExactMatch for s in sequences):
                return not own_history(widget, redo=name == "redo")
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


def own_history(widget, redo: bool) -> bool:
    """Whether the text field `widget` has typing of its own to undo (`redo`): a line edit
    (a spin box's or an editable combo box's too) while its text is an edit not yet
    committed (the properties panel sets the text again once a value is committed, which
    clears this), an editable text editor while its document has a step to take."""
    if isinstance(widget, QtWidgets.QTextEdit | QtWidgets.QPlainTextEdit):
        if widget.isReadOnly():
            return False
        document = widget.document()
        return document.isRedoAvailable() if redo else document.isUndoAvailable()
    if isinstance(widget, QtWidgets.QAbstractSpinBox | QtWidgets.QComboBox):
        widget = widget.findChild(QtWidgets.QLineEdit)
    if not isinstance(widget, QtWidgets.QLineEdit) or widget.isReadOnly():
        return False
    if redo:
        return widget.isRedoAvailable()
    return widget.isModified() and widget.isUndoAvailable()
