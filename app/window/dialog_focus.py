"""The keyboard goes back to where it was when a dialog of the window closes.

A window manager re-activates the main window when a dialog closes; without one (a
bare X server, a kiosk session, Xvfb) nothing did, and the next shortcut, Ctrl+Shift+B
straight after Make Block, went nowhere until the user clicked the window. Every dialog
parented to the window is watched: the main window is activated again and the widget
that had the focus when the dialog opened gets it back, else the canvas.
"""

from __future__ import annotations

import weakref

from PySide6 import QtCore, QtWidgets

_SHOW, _HIDE, _POLISHED = (QtCore.QEvent.Show, QtCore.QEvent.Hide,
                           QtCore.QEvent.ChildPolished)


class DialogFocus(QtCore.QObject):
    """Watches the dialogs of `window` (its children: every dialog the app opens passes
    the window as parent, the standard message, input and file dialogs too)."""

    def __init__(self, window: QtWidgets.QWidget, fallback: QtWidgets.QWidget):
        super().__init__(window)
        self.window, self.fallback = window, fallback
        self._before: dict[int, weakref.ref] = {}  # dialog -> who had the focus
        window.installEventFilter(self)

    def eventFilter(self, obj, event):  # noqa: N802 (Qt override)
        kind = event.type()
        if kind == _POLISHED and obj is self.window:
            child = event.child()
            if isinstance(child, QtWidgets.QDialog):
                child.removeEventFilter(self)  # polished again on a restyle: watch once
                child.installEventFilter(self)
        elif kind == _SHOW and isinstance(obj, QtWidgets.QDialog):
            had = QtWidgets.QApplication.focusWidget()
            self._before[id(obj)] = weakref.ref(had) if had is not None else None
        elif kind == _HIDE and isinstance(obj, QtWidgets.QDialog):
            had = self._before.pop(id(obj), None)
            # After the hide is done: Qt's own focus handling runs first.
            QtCore.QTimer.singleShot(0, self, lambda: self._give_back(had and had()))
        return False

    def _give_back(self, had: QtWidgets.QWidget | None) -> None:
        """Focus to `had` when it still shows, else to the canvas; the window is made the
        active one when that is where it goes (and no other dialog is up)."""
        if not _alive_and_shown(self.window):  # closed with its dialog (the app quits)
            return
        now = QtWidgets.QApplication.focusWidget()
        if now is not None and now.window() is self.window:
            return  # a window manager gave it back already, or the user moved on
        modal = QtWidgets.QApplication.activeModalWidget()
        target = had if _alive_and_shown(had) else self.fallback
        if modal is not None and not modal.isAncestorOf(target) and modal is not target:
            return  # another dialog is up (the one this came from): it keeps the keys
        if target.window() is self.window:
            self.window.activateWindow()
        target.setFocus(QtCore.Qt.ActiveWindowFocusReason)


def _alive_and_shown(widget) -> bool:
    try:
        return widget is not None and widget.isVisible()
    except RuntimeError:  # its C++ side is gone
        return False
