"""Start and Continue waiting for their data to be checked, never blocking the window.

Start checks the preview being read (a large CSV file), Continue compares its data's files
with its run's stamp (a large image folder): both on worker threads. Most are done in
milliseconds: `wait_briefly` lets the window's events run (painting, timers; a click or
key waits its turn) for up to GRACE_MS until it is done, so a fast check goes on at once
with nothing shown. Past that the command waits (`DataWait`), saying so under the data
preview with a Cancel, and goes on once its data is checked.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future

from PySide6 import QtCore, QtWidgets

from ..future_watch import FutureWatcher

GRACE_MS = 150  # a check done sooner goes on with no waiting shown


def wait_briefly(future: Future, watcher: FutureWatcher) -> bool:
    """Run the window's events, but for its input, until `watcher` hands `future` over or
    GRACE_MS passed: whether it is done."""
    if future.done():
        return True
    loop = QtCore.QEventLoop()
    timer = QtCore.QTimer(loop, singleShot=True)
    timer.timeout.connect(loop.quit)
    timer.start(GRACE_MS)
    watcher.watch(future, lambda _done: loop.quit())
    loop.exec(QtCore.QEventLoop.ExcludeUserInputEvents)  # input is delivered after
    return future.done()


class DataWait(QtWidgets.QWidget):
    """"Checking data before Start…" and a Cancel, for the one command waiting."""

    # Cancel was clicked: the name of the command that was waiting ("Start", "Continue").
    cancelled = QtCore.Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.text = QtWidgets.QLabel("")
        self.text.setWordWrap(True)
        cancel = QtWidgets.QPushButton("Cancel")
        cancel.setToolTip("Do not go on once the data is checked")
        cancel.clicked.connect(self._on_cancel_clicked)
        row = QtWidgets.QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.text, 1)
        row.addWidget(cancel)
        self.hide()
        self._what = ""  # the command waiting ("Start", "Continue"), "" for none
        self._then: Callable[[], object] | None = None

    @property
    def waiting(self) -> str:
        """The command waiting ("Start", "Continue"), "" for none."""
        return self._what

    def wait(self, what: str, text: str, then: Callable[[], object]) -> None:
        """Have `then` (command `what`) wait for its data check, saying `text`; it replaces
        any command waiting."""
        self._what, self._then = what, then
        self.text.setText(text)
        self.show()

    def take(self, what: str) -> Callable[[], object] | None:
        """The command `what` waiting, no longer waiting (its check is done); None when
        none of that name waits (cancelled, or another replaced it)."""
        if self._what != what:
            return None
        then = self._then
        self.stop()
        return then

    def stop(self) -> None:
        """Forget the command waiting (if any) and hide the row."""
        self._what, self._then = "", None
        self.hide()

    def _on_cancel_clicked(self) -> None:
        what = self._what
        self.stop()
        if what:
            self.cancelled.emit(what)
