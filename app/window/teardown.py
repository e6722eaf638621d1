"""A window's background work ends with the window, however the window goes.

A window that is closed stops its work in `closeEvent`; one deleted without a close
(`deleteLater`, its parent deleted, the interpreter or the application ending, as
tests and embedding applications do) used to leave its training worker and its
search trials running. `Teardown` holds what must end (the training controller, the
search runner, the custom-layer shape worker), never the window itself, and runs once
at whichever comes first: the accepted close, the window's `destroyed` signal, the
application's `aboutToQuit`, the window's garbage collection, or the interpreter's
exit. Its steps touch Qt objects only while they still exist, so it is safe while
the window is half deleted.
"""

from __future__ import annotations

import atexit
import logging
import weakref
from collections.abc import Callable

import shiboken6

log = logging.getLogger("kerascanvas.app")
_PENDING: set[Teardown] = set()  # teardowns not run yet; the exit runs them


class Teardown:
    """The steps that end one window's background work; `run` them once."""

    def __init__(self, window):
        self.steps: list[tuple] = []
        self.done = False
        # Weakly: the teardown must not keep the window alive (nor its collection away).
        self._say = weakref.WeakMethod(window.show_message)
        _PENDING.add(self)
        window.destroyed.connect(self.run)
        weakref.finalize(window, self.run)
        self._app = _application()
        if self._app is not None:
            self._app.aboutToQuit.connect(self.run)

    def add(self, step: Callable[[], object], qt_object=None,
            otherwise: Callable[[], object] | None = None) -> None:
        """Run `step` at the end; with `qt_object`, only while that object still exists,
        and `otherwise` (Qt-free) when it is gone or the step fails. A step may return a
        text to say."""
        self.steps.append((qt_object, step, otherwise))

    def run(self, *_) -> None:
        """End the work: each step once, in order; one step's failure stops no other."""
        if self.done:
            return
        self.done = True
        _PENDING.discard(self)
        steps, self.steps = self.steps, []  # what they hold is let go once they ran
        for qt_object, step, otherwise in steps:
            if qt_object is None or shiboken6.isValid(qt_object):
                if self._attempt(step, quiet=otherwise is not None):
                    continue
            if otherwise is not None:  # gone, or half deleted: its Qt-free part
                self._attempt(otherwise)
        if self._app is not None and shiboken6.isValid(self._app):
            self._app.aboutToQuit.disconnect(self.run)

    def _attempt(self, step, quiet: bool = False) -> bool:
        """Run one step and say its text; False when it failed (logged unless `quiet`:
        a step with a Qt-free fallback fails when the window is half deleted)."""
        try:
            text = step()
        except Exception:  # noqa: BLE001  the window goes anyway; one step stops no other
            if not quiet:
                log.exception("ending the window's work: %s failed", _name(step))
            return False
        if text:
            self._tell(text)
        return True

    def _tell(self, text: str) -> None:
        log.warning(text)
        say = self._say()
        if say is not None:
            try:
                say(text)
            except RuntimeError:  # the window's status line is already gone
                pass


def _name(step) -> str:
    return getattr(step, "__qualname__", repr(step))


def _application():
    from PySide6 import QtWidgets

    return QtWidgets.QApplication.instance()


@atexit.register
def _run_pending() -> None:
    """Windows still alive at the interpreter's exit: their workers end first (this runs
    before multiprocessing's own exit handler, registered earlier)."""
    for teardown in list(_PENDING):
        teardown.run()
