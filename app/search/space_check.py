"""The search section's live check (`graph.search_check`), off the GUI thread.

The check validates the graph once for every value a range may take (up to 17
per integer range, and the ends together), which takes a quarter of a second on
the small examples and grows with the graph: at every edit on the GUI thread it
stalled the window. Here an edit asks for a check of a snapshot of the document;
the latest request runs in one worker thread after a short pause (bursts of
edits are checked once), and its problems come back to the GUI thread through
a future that `FutureWatcher` polls (the thread touches no Qt object). A result for
an older snapshot is dropped. The check is pure
graph code: custom layers' shapes it would need anew are never computed here.

A document without searched parameters has no problem to find: it is answered at once,
with no snapshot (copying the document took 0.12-0.18 s of a paste of an imported
ResNet50). While the Search tab is behind another (`follow`), a request waits until the
tab is shown.
"""

from __future__ import annotations

import copy
import dataclasses
from concurrent.futures import ThreadPoolExecutor

from PySide6 import QtCore

from ...graph.layers import custom
from ...graph.projectfile import from_dict, to_dict
from ...graph.search_check import check_search
from ..future_watch import FutureWatcher
from ..panels.shown import WhenShown

DELAY_MS = 150


def snapshot(doc):
    """A copy of `doc` that a thread may analyse while the GUI edits `doc`: its own
    custom-code context, with the shapes Keras computed so far."""
    copied = from_dict(copy.deepcopy(to_dict(doc)))
    ctx = custom.context(doc)
    custom.set_context(copied, dataclasses.replace(ctx, results=dict(ctx.results),
                                                   pending={}))
    return copied


class SpaceChecker(QtCore.QObject):
    """`request(doc)` after each edit; `checked` gives the latest problems' messages."""

    checked = QtCore.Signal(list)

    def __init__(self, parent=None, delay_ms: int = DELAY_MS):
        super().__init__(parent)
        self.pending = False  # a request whose answer has not come yet
        self._doc = None
        self._shown = WhenShown()  # a request waits while the tab is behind (`follow`)
        self._latest = [0]  # the latest request's number, read by the worker thread too
        self._executor = ThreadPoolExecutor(max_workers=1,
                                            thread_name_prefix="kerascanvas-search-space")
        self._results = FutureWatcher(self)
        self._timer = QtCore.QTimer(self, singleShot=True, interval=delay_ms)
        self._timer.timeout.connect(self._on_timer_timeout)

    def follow(self, dock) -> None:
        """Check only while `dock` can be seen; a request made behind it runs when shown."""
        self._shown.follow(dock)

    def request(self, doc) -> None:
        self._doc, self.pending = doc, True
        self._latest[0] += 1  # an answer under way is out of date now
        self._timer.stop()
        self._shown.cancel()
        if not (doc.search or {}).get("params"):  # nothing searched: no problem to find
            self._on_done(self._latest[0], [])
        else:
            self._shown.run(self._timer.start)

    def _on_timer_timeout(self) -> None:
        number = self._latest[0]
        future = self._executor.submit(_check, number, snapshot(self._doc), self._latest)
        self._results.watch(future, lambda done: self._on_done(number, done.result()))

    def _on_done(self, number: int, messages: list | None) -> None:
        if number == self._latest[0] and messages is not None:
            self.pending = False
            self.checked.emit(messages)

    def shutdown(self) -> None:
        self._timer.stop()
        self._shown.cancel()
        self._latest[0] += 1
        self._results.clear()
        self._executor.shutdown(wait=False, cancel_futures=True)


def _check(number: int, doc, latest: list[int]) -> list[str] | None:
    """In the worker thread: the problems' messages, or None when a newer edit came
    while this one waited."""
    if number != latest[0]:
        return None
    try:
        return [issue.message for issue in check_search(doc)]
    except Exception as exc:  # noqa: BLE001  a bug here must not end the worker
        return [f"the search section could not be checked: {type(exc).__name__}: {exc}"]
