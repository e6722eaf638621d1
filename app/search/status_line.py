"""The Search tab's status line: a message of some importance, in a fixed two lines.

The status line keeps an important message: a failure stays until the user acts again
(Start, Pause, Stop, Apply best), and a message of a run stays over the study's listing
from its file; a less important message meanwhile goes to the window's status bar only.

A message that needs more lines at the line's width is drawn with its last line elided
("..."), and its tooltip holds the whole text (as the window's status bar does): at
1024x700 a line that grew with its message ran past the dock's edge, cut off mid-line.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

# How much a status message matters, least first: a message never replaces a more
# important one until that is released.
PROGRESS, LISTING, RUN, PROBLEM = range(4)


class StatusLine(QtWidgets.QLabel):
    """The tab's status line; `say` shows a message unless a more important one holds it.

    It is `LINES` lines high, always: a longer message does not move the buttons above it
    (Stop moved under the pointer as the messages changed), nor grow past the dock's edge
    (at 1024x700 its end was cut off mid-line). One that needs more lines at the line's
    width is drawn with "..." ending its last line, and its tooltip holds the whole text;
    `text()` is the whole text, and the window's status bar says it too."""

    LINES = 2

    def __init__(self, text: str, parent=None):
        super().__init__(text, parent)
        self.setObjectName("SearchStatus")
        self.setTextFormat(QtCore.Qt.PlainText)
        self.setWordWrap(True)
        self.setAlignment(QtCore.Qt.AlignLeft | QtCore.Qt.AlignTop)
        self.setFixedHeight(self.LINES * self.fontMetrics().lineSpacing() + 2)
        # its width is the column's: a long word must not widen the column
        self.setSizePolicy(QtWidgets.QSizePolicy.Ignored, QtWidgets.QSizePolicy.Fixed)
        self.rank, self.source = PROGRESS, ""

    def say(self, text: str, rank: int, source: str = "") -> bool:
        """Show `text` (of importance `rank`, said by `source`) unless a more important
        message holds the line; whether it shows."""
        if rank < self.rank:
            return False
        self.rank, self.source = rank, source
        self.setText(text)
        self._fit()
        return True

    def shown_text(self) -> str:
        """The text as drawn: its lines at the line's width, the last elided when more
        would be needed."""
        return "\n".join(fitted(self.text(), self.font(), self.contentsRect().width(),
                                 self.LINES)[0])

    def _fit(self) -> None:
        whole = fitted(self.text(), self.font(), self.contentsRect().width(), self.LINES)[1]
        self.setToolTip("" if whole else self.text())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        # drawn as laid out here: QLabel's own wrapping may need a line more, cut off
        painter = QtGui.QPainter(self)
        self.style().drawItemText(painter, self.contentsRect(), int(
            QtCore.Qt.AlignLeft | QtCore.Qt.AlignTop), self.palette(), self.isEnabled(),
            self.shown_text(), self.foregroundRole())

    def release(self, source: str | None = None) -> None:
        """Let any message show again: the user acted, or (given) `source` said the message
        it holds no longer stands."""
        if source is None or source == self.source:
            self.rank, self.source = PROGRESS, ""



def fitted(text: str, font: QtGui.QFont, width: int, lines: int) -> tuple[list[str], bool]:
    """(the lines of `text` in at most `lines` lines of `width` pixels, wrapped at words and
    within a word longer than a line, the last elided ("...") when more were needed;
    whether the whole text is in them)."""
    if width <= 0 or not text:
        return text.splitlines() or [""], True
    layout = QtGui.QTextLayout(text.replace("\n", "\u2028"), font)  # a newline breaks
    option = QtGui.QTextOption()
    option.setWrapMode(QtGui.QTextOption.WrapAtWordBoundaryOrAnywhere)
    layout.setTextOption(option)
    layout.beginLayout()
    spans = []
    while len(spans) <= lines:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(width)
        spans.append((line.textStart(), line.textLength()))
    layout.endLayout()
    shown = [text[start:start + length].rstrip() for start, length in spans[:lines]]
    if len(spans) <= lines:
        return shown, True
    rest = " ".join(text[spans[lines - 1][0]:].split())
    shown[-1] = QtGui.QFontMetrics(font).elidedText(rest, QtCore.Qt.ElideRight, width)
    return shown, False
