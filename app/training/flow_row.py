"""A row of widgets that wraps onto further rows when the width runs out, each widget at
its preferred width: the Training dock's Start ... processes row, which at 1024x700 was
wider than the dock and squeezed the "at lr" field to show "003" for 0.003."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

SPACING = 6  # between widgets and between rows, when the style gives none


class FlowRow(QtWidgets.QLayout):
    """Widgets left to right at their size hints, wrapping to a new row where the next one
    would pass the right edge, a label with its field; each row's widgets centred on the
    row's height."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.items: list[QtWidgets.QLayoutItem] = []

    def addItem(self, item) -> None:  # noqa: N802 (Qt override)
        self.items.append(item)

    def count(self) -> int:
        return len(self.items)

    def itemAt(self, index: int):  # noqa: N802 (Qt override)
        return self.items[index] if 0 <= index < len(self.items) else None

    def takeAt(self, index: int):  # noqa: N802 (Qt override)
        return self.items.pop(index) if 0 <= index < len(self.items) else None

    def expandingDirections(self) -> QtCore.Qt.Orientation:  # noqa: N802 (Qt override)
        return QtCore.Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt override)
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt override)
        return self._arrange(QtCore.QRect(0, 0, width, 0), place=False)

    def setGeometry(self, rect: QtCore.QRect) -> None:  # noqa: N802 (Qt override)
        super().setGeometry(rect)
        self._arrange(rect, place=True)

    def sizeHint(self) -> QtCore.QSize:  # noqa: N802 (Qt override)
        """All on one row."""
        shown = self._shown()
        width = sum(i.sizeHint().width() for i in shown) + self._gap() * max(0, len(shown) - 1)
        height = max((i.sizeHint().height() for i in shown), default=0)
        return QtCore.QSize(width, height) + self._margins()

    def minimumSize(self) -> QtCore.QSize:  # noqa: N802 (Qt override)
        """As wide as the widest widget: the others wrap."""
        size = QtCore.QSize()
        for unit in self._units():
            width = sum(i.sizeHint().width() for i in unit) + self._gap() * (len(unit) - 1)
            height = max(i.sizeHint().height() for i in unit)
            size = size.expandedTo(QtCore.QSize(width, height))
        return size + self._margins()

    def _margins(self) -> QtCore.QSize:
        m = self.contentsMargins()
        return QtCore.QSize(m.left() + m.right(), m.top() + m.bottom())

    def _gap(self) -> int:
        return self.spacing() if self.spacing() >= 0 else SPACING

    def _shown(self) -> list[QtWidgets.QLayoutItem]:
        return [i for i in self.items if not i.isEmpty()]

    def _units(self) -> list[list[QtWidgets.QLayoutItem]]:
        """The shown widgets, a label kept with the field after it ("at lr" and its rate
        never on two rows)."""
        units: list[list[QtWidgets.QLayoutItem]] = []
        for item in self._shown():
            if units and isinstance(units[-1][-1].widget(), QtWidgets.QLabel):
                units[-1].append(item)
            else:
                units.append([item])
        return units

    def _rows(self, width: int) -> list[list[QtWidgets.QLayoutItem]]:
        rows: list[list[QtWidgets.QLayoutItem]] = [[]]
        used = 0
        for unit in self._units():
            w = sum(i.sizeHint().width() for i in unit) + self._gap() * (len(unit) - 1)
            if rows[-1] and used + self._gap() + w > width:
                rows.append([])
                used = 0
            used += (self._gap() if rows[-1] else 0) + w
            rows[-1].extend(unit)
        return [row for row in rows if row]

    def _arrange(self, rect: QtCore.QRect, place: bool) -> int:
        """Lay the widgets out in `rect` (when `place`); the height that takes."""
        inner = rect.marginsRemoved(self.contentsMargins())
        y = inner.y()
        for row in self._rows(inner.width()):
            height = max(i.sizeHint().height() for i in row)
            x = inner.x()
            for item in row:
                hint = item.sizeHint()
                if place:
                    item.setGeometry(QtCore.QRect(QtCore.QPoint(
                        x, y + (height - hint.height()) // 2), hint))
                x += hint.width() + self._gap()
            y += height + self._gap()
        return max(0, y - self._gap() - inner.y()) + self.contentsMargins().top() \
            + self.contentsMargins().bottom()
