"""Find node: a search bar over the canvas that steps through the nodes whose name or kind
matches, selecting and centring each (zoomed in far enough to read it)."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from ..keys import Keys

READ_SCALE = 0.7  # a found node is shown at least this large
# In the bar's field (F3 and Shift+F3, menu shortcuts, work from anywhere)
FIND_NEXT = Keys("Next Match (Find Node bar)", ("Return", "Enter"))
FIND_PREVIOUS = Keys("Previous Match (Find Node bar)", ("Shift+Return", "Shift+Enter"))
CLOSE_FIND = Keys("Close the Find Node Bar", ("Esc",))


def matching_nodes(doc, text: str) -> list[str]:
    """Ids of the nodes whose name or kind contains `text` (any case), in document order."""
    needle = text.strip().lower()
    if not needle:
        return []
    return [nid for nid, node in doc.nodes.items()
            if needle in node.name.lower() or needle in node.kind.lower()]


class FindBar(QtWidgets.QFrame):
    """Type to find; Enter / F3 for the next match, Shift+Enter / Shift+F3 for the previous,
    Escape to close."""

    def __init__(self, canvas):
        super().__init__(canvas.viewer.viewport())
        self.canvas = canvas
        self.setObjectName("FindBar")
        self.setAutoFillBackground(True)
        self.setFrameShape(QtWidgets.QFrame.StyledPanel)
        row = QtWidgets.QHBoxLayout(self)
        row.setContentsMargins(6, 4, 6, 4)
        self.field = QtWidgets.QLineEdit(placeholderText="Find node by name or kind")
        self.field.setMinimumWidth(220)
        self.count = QtWidgets.QLabel("")
        # The bar is a child of the viewport, so its layout never widens it after it
        # opens: room for the longest count is kept from the start.
        metrics = self.count.fontMetrics()
        self.count.setMinimumWidth(max(metrics.horizontalAdvance(text)
                                       for text in ("no match", "9999 of 9999")) + 4)
        row.addWidget(self.field)
        row.addWidget(self.count)
        for text, tip, step in (("▲", "Previous match (Shift+F3)", -1),
                                ("▼", "Next match (F3)", 1)):
            button = QtWidgets.QToolButton(text=text, toolTip=tip)
            button.clicked.connect(lambda _=False, s=step: self.step(s))
            row.addWidget(button)
        close = QtWidgets.QToolButton(text="✕", toolTip="Close (Esc)")
        close.clicked.connect(self.close_bar)
        row.addWidget(close)
        self.matches: list[str] = []
        self.index = -1
        self.field.textChanged.connect(self._on_field_text_changed)
        self.field.installEventFilter(self)
        self.hide()

    def open_bar(self) -> None:
        self.adjustSize()
        viewport = self.canvas.viewer.viewport()
        self.move(viewport.width() - self.width() - 12, 12)
        self.show()
        self.raise_()
        self.field.setFocus()
        self.field.selectAll()

    def close_bar(self) -> None:
        self.hide()
        self.canvas.viewer.setFocus()

    def _on_field_text_changed(self, text: str) -> None:
        self.matches = matching_nodes(self.canvas.doc, text)
        self.index = -1
        if self.matches:
            self.step(1)
        else:
            self.count.setText("no match" if text.strip() else "")

    def step(self, direction: int) -> None:
        """Select and centre the next (1) or previous (-1) match, wrapping around."""
        self.matches = [n for n in self.matches if n in self.canvas.doc.nodes]
        if not self.matches:
            return
        self.index = (self.index + direction) % len(self.matches)
        node_id = self.matches[self.index]
        viewer = self.canvas.viewer
        if viewer.transform().m11() < READ_SCALE:
            viewer.show_top([self.canvas.views[node_id]], READ_SCALE)
        self.canvas.select([node_id], center=True)
        self.count.setText(f"{self.index + 1} of {len(self.matches)}")
        if self.isVisible():  # the properties panel rebuilds for the selection: keep typing here
            self.field.setFocus()

    def eventFilter(self, obj, event):  # noqa: N802 (Qt override)
        if obj is self.field and event.type() == QtCore.QEvent.KeyPress:
            for keys, act in ((FIND_NEXT, lambda: self.step(1)),
                              (FIND_PREVIOUS, lambda: self.step(-1)),
                              (CLOSE_FIND, self.close_bar)):
                if keys.pressed(event):
                    act()
                    return True
        return super().eventFilter(obj, event)

