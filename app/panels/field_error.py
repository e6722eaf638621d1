"""The properties form's refusal line: under the field it is about, shown in view.

At the foot of the form it was far from the field (a Conv1D's kernel_size: 480 px above it),
and the form grown by it scrolled, cutting the message off after its first line."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets


class FieldError(QtWidgets.QLabel):
    """A word-wrapped message row of `form` in the scroll area `scroll`; hidden while empty."""

    def __init__(self, form: QtWidgets.QFormLayout, scroll: QtWidgets.QScrollArea):
        super().__init__()
        self.form, self.scroll = form, scroll
        self.setObjectName("Error")
        self.setWordWrap(True)
        form.addRow(self)
        self.hide()

    def say(self, message: str, near: QtWidgets.QWidget | None = None) -> None:
        """Show `message` on the row after `near`'s (a label or field of the form)."""
        self.setText(message)
        self.setVisible(bool(message))
        if not message:
            return
        if near is not None:
            self._move_after(near)
        layout = self.parentWidget().layout()
        layout.activate()  # its place and height now, to scroll it into view
        QtCore.QTimer.singleShot(0, self, lambda: self.scroll.ensureWidgetVisible(self, 0, 4))

    def clear(self) -> None:
        self.say("")

    def _move_after(self, near: QtWidgets.QWidget) -> None:
        row, _role = self.form.getWidgetPosition(near)
        mine, _role = self.form.getWidgetPosition(self)
        if row < 0 or mine == row + 1:
            return
        self.form.takeRow(mine)  # the label stays alive: only its layout items go
        self.form.insertRow(row + (0 if mine < row else 1), self)
        self.show()
