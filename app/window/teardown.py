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

A window that closes first asks its training run to stop (`stop_training_first`): the
run ends after its batch and keeps its model, where a kill would lose it; only a run
still going after `STOP_WAIT_S` is killed, and one still starting (no batch trained,
nothing to keep) is ended at once; a killed run is listed in the runs index all the same
(`TrainingController.end_workers`). The search then stops its trials (those
finished stay in the study). A closed window is deleted, and with it its scene and its
project (`forget_when_destroyed` lets go of the windows a window opened).
"""

from __future__ import annotations

import atexit
import logging
import time
import weakref
from collections.abc import Callable
from functools import partial

import shiboken6

log = logging.getLogger("kerascanvas.app")
_PENDING: set[Teardown] = set()  # teardowns not run yet; the exit runs them
STOP_WAIT_S = 10.0  # a closing window's training run: time to end its batch and save


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


def running_work(window) -> list[str]:
    """What closing `window` stops: its active training run and its running search."""
    work = []
    training = getattr(window, "training", None)
    if training is not None and training.controller.is_active:
        record = training.controller.current
        work.append(f"training {record.label.lower()} ({record.status})")
    search = getattr(window, "search", None)
    if search is not None and search.runner.running:
        work.append("a search")
    return work


def stop_consequence(work: list[str]) -> str:
    """What stopping `work` (texts of `running_work`) keeps, of the kinds that run."""
    run = any(w.startswith("training") for w in work)
    search = "a search" in work
    if run and search:
        return "A stopped run keeps its model, and a stopped search the trials it finished."
    return ("A stopped run keeps its model." if run else
            "A stopped search keeps the trials it finished.")


def stop_training_first(window) -> None:
    """Make the window's teardown begin by stopping its training run gently (before the
    steps added later, which kill what still runs). The window is held weakly."""
    ref = weakref.ref(window)
    window.teardown.add(lambda: stop_training(ref()))


def stop_training(window, wait_s: float = STOP_WAIT_S) -> str:
    """Ask the window's active training run to stop after its batch (its worker saves the
    model) and wait for it at most `wait_s`, the window's events flowing; what happened,
    or "" when no run was active (or the window is gone)."""
    if window is None or not shiboken6.isValid(window) or window.training is None:
        return ""
    controller = window.training.controller
    if not controller.is_active:
        return ""
    record = controller.current
    if record.started_at is None:  # training has not begun: nothing to keep, no wait
        controller.kill()
        return f"{record.label} was still starting; it was ended with the window"
    controller.stop()
    window.show_message(f"Stopping {record.label} before the window closes…")
    deadline = time.monotonic() + wait_s
    app = _application()
    while controller.is_active and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    if controller.is_active:
        return f"{record.label} did not stop within {wait_s:.0f} s; it was killed"
    saved = f"; its model is in {record.saved_path}" if record.saved_path else ""
    return f"{record.label} was stopped with the window ({record.status}){saved}"


def forget_when_destroyed(window, holder: list) -> None:
    """Keep `window` in `holder` (so that it stays open) until Qt deletes it."""
    holder.append(window)
    window.destroyed.connect(partial(_forget, holder, id(window)))


def _forget(holder: list, key: int, *_) -> None:
    holder[:] = [w for w in holder if id(w) != key]


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
