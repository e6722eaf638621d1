"""A mouse wheel over a list box or number box scrolls the form, unless the box has focus.

Qt's combo and spin boxes take wheel events (and focus) as soon as the pointer is over
them, so scrolling a long form (the properties, the training settings) changed whatever
value passed under the pointer: a device, an activation, an optimizer. A guarded box
takes focus only by click or Tab, and leaves an unfocused wheel to its scroll area.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets


class _WheelGuard(QtCore.QObject):
    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt override)
        if event.type() != QtCore.QEvent.Wheel or obj.hasFocus():
            return False
        area = _scroll_area(obj)
        if area is not None:  # the box never sees it; the form it sits in scrolls
            viewport = area.viewport()
            at = viewport.mapFromGlobal(event.globalPosition())
            QtWidgets.QApplication.sendEvent(viewport, QtGui.QWheelEvent(
                at, event.globalPosition(), event.pixelDelta(), event.angleDelta(),
                event.buttons(), event.modifiers(), event.phase(), event.inverted()))
        event.accept()
        return True


def _scroll_area(widget: QtWidgets.QWidget) -> QtWidgets.QAbstractScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QtWidgets.QAbstractScrollArea):
        parent = parent.parentWidget()
    return parent


_GUARD: _WheelGuard | None = None


def guard_wheel(*widgets: QtWidgets.QWidget) -> None:
    """Let `widgets` (combo and spin boxes) change on the wheel only while focused."""
    global _GUARD
    if _GUARD is None:
        _GUARD = _WheelGuard()
    for widget in widgets:
        widget.setFocusPolicy(QtCore.Qt.StrongFocus)
        widget.installEventFilter(_GUARD)
