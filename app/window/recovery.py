"""Autosave, and unsaved work from a session that ended without saving.

Each window autosaves its unsaved work into its own recovery file (see `files`). At
start-up, a recovery file left by a crashed session is set aside at once, and the file
asked for on the command line opens as asked. The kept work is then offered in a bar
above the canvas, which blocks nothing:

- Restore (into this window, when it holds nothing else: an empty untitled project, or
  the same file unchanged) or Open in New Window (a window of its own, beside the file
  that was asked for). That window goes on autosaving into the kept file, so the work
  stays safe until it is saved;
- Keep for Later: the bar goes, the work stays kept and is offered at the next start;
- Discard…: only after a confirmation; the one way kept work is removed unsaved.

Closing the window with the bar still up keeps the work too: it is never lost silently.
A window locks its recovery file while it runs, so a second app started beside it
neither offers that live file as a crash nor writes over it.
"""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from ..future_watch import FutureWatcher
from . import files
from .teardown import forget_when_destroyed


class RecoveryBar(QtWidgets.QFrame):
    """'Unsaved work of X was kept': one bar above the canvas, one kept file at a time."""

    restore_requested = QtCore.Signal(str)
    discard_requested = QtCore.Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("RecoveryBar")
        self.setFrameShape(QtWidgets.QFrame.StyledPanel)
        self.setStyleSheet("#RecoveryBar { background: #3b3421; border: 1px solid #8a6d1f; }")
        self.kept: list[Path] = []
        self.message = QtWidgets.QLabel()
        self.message.setWordWrap(True)
        self.restore_button = QtWidgets.QPushButton("Open in New Window")
        self.later_button = QtWidgets.QPushButton("Keep for Later")
        self.discard_button = QtWidgets.QPushButton("Discard…")
        row = QtWidgets.QHBoxLayout(self)
        row.setContentsMargins(8, 4, 8, 4)
        row.addWidget(self.message, 1)
        for button in (self.restore_button, self.later_button, self.discard_button):
            row.addWidget(button)
        self.restore_button.clicked.connect(lambda: self._emit(self.restore_requested))
        self.discard_button.clicked.connect(lambda: self._emit(self.discard_requested))
        self.later_button.clicked.connect(self.keep_for_later)
        self.hide()

    def offer(self, kept: list[Path], here: bool) -> None:
        """Show the first of `kept` (the newest); `here`: restoring replaces this window's
        empty or unchanged project instead of opening a window."""
        self.kept = list(kept)
        if not self.kept:
            self.hide()
            return
        self.restore_here(here)
        self.message.setText(describe(self.kept[0], len(self.kept) - 1))
        self.show()

    def restore_here(self, here: bool) -> None:
        self.restore_button.setText("Restore" if here else "Open in New Window")

    def keep_for_later(self) -> None:
        self.kept = []
        self.hide()

    def _emit(self, signal) -> None:
        if self.kept:
            signal.emit(str(self.kept[0]))


def describe(path: Path, more: int) -> str:
    """'Keras Canvas did not close cleanly: unsaved work of model.json (12 layers,
    autosaved 14:03) was kept.' with a count of further kept work."""
    found = files.read_recovery(path)
    what = work_name(found)
    if found is not None:
        what = f"{what} ({len(found[0].nodes)} layers"
        try:
            saved = time.localtime(path.stat().st_mtime)
            what += f", autosaved {time.strftime('%Y-%m-%d %H:%M', saved)})"
        except OSError:
            what += ")"
    others = f" ({more} more kept)" if more else ""
    return (f"<b>Keras Canvas did not close cleanly.</b> The unsaved work of {what} "
            f"was kept{others}.")


def work_name(found) -> str:
    """What kept work is called: its file's name, else what it is."""
    if found is None:
        return "an unreadable project"
    return Path(found[1]).name if found[1] else "an untitled project"


class RecoveryMixin:
    """Mixed into `MainWindow` (through `FileMixin`): autosave into `recovery_file`, and
    the kept work of crashed sessions offered in `recovery_bar`."""

    # Tests replace these to answer at once, without the bar or a dialog. ask_restore:
    # True restores the newest kept work (here or in a new window), False keeps it.
    ask_restore = None
    ask_discard = None

    def init_recovery(self, recovery_file: Path | None) -> None:
        self._autosave = QtCore.QTimer(self, singleShot=True, interval=files.AUTOSAVE_DELAY_MS)
        self._autosave.timeout.connect(self.autosave)
        self._unsaved_since: float | None = None
        # Recovery files are made into JSON, written (and removed) in order on one thread: a
        # slow disk or a large model never stalls the window, and a removal after a save is
        # never overtaken. Their outcome reaches the window through a FutureWatcher.
        self._recovery_io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="autosave")
        self._recovery_written = FutureWatcher(self)
        self._recovery_closed = False
        self.recovered_windows: list = []
        self._recovery_lock: QtCore.QLockFile | None = None
        self._own_recovery_file(recovery_file)
        self.stack.listeners.append(self.schedule_autosave)
        self.recovery_bar.restore_requested.connect(self.restore_kept)
        self.recovery_bar.discard_requested.connect(self.discard_kept)
        self.recovery_bar.later_button.clicked.connect(self._on_recovery_kept_for_later)
        self.project.events.connect(self._on_project_changed_for_recovery)

    # ---- autosave ------------------------------------------------------------
    def schedule_autosave(self) -> None:
        """After each edit: write the recovery file once edits pause (debounced), or at once
        when the first unsaved edit is already `AUTOSAVE_MAX_WAIT_MS` old."""
        now = time.monotonic()
        if self._unsaved_since is None:
            self._unsaved_since = now
        if (now - self._unsaved_since) * 1000 >= files.AUTOSAVE_MAX_WAIT_MS:
            self.autosave()
        else:
            self._autosave.start()

    def autosave(self) -> None:
        """Write the recovery file if there is unsaved work. Only a snapshot of the document
        is taken here; its JSON text is made and written on the autosave thread."""
        self._autosave.stop()
        self._unsaved_since = None
        if not self.stack.is_clean and not self._recovery_closed:
            snapshot = files.recovery_snapshot(self.doc, self.path)
            written = self._recovery_io.submit(files.write_recovery_snapshot, snapshot,
                                               self.recovery_file)
            self._recovery_written.watch(written, self._on_autosave_written)

    def wait_for_autosave(self) -> None:
        """Block until every queued recovery write has finished."""
        if not self._recovery_closed:
            self._recovery_io.submit(int).result()

    def _on_autosave_written(self, written: Future) -> None:
        if written.exception() is not None:
            self.show_message(f"Autosave failed: {written.exception()}")

    def clear_recovery(self) -> None:
        """Remove this window's recovery file after anything already queued is written."""
        self._autosave.stop()
        self._unsaved_since = None
        if self._recovery_closed:
            files.clear_recovery(self.recovery_file)
        else:
            self._recovery_io.submit(files.clear_recovery, self.recovery_file).result()

    def close_recovery(self) -> None:
        """On a clean close: this window's work is saved or discarded."""
        self.clear_recovery()
        self._recovery_closed = True
        self._recovery_io.shutdown(wait=True)
        self._recovery_written.clear()
        self._claim(None)

    def _own_recovery_file(self, adopted: str | None) -> None:
        """The file this window autosaves into, claimed while it runs: `recovery.json`
        (a crashed session's file there set aside first), or a file of its own while
        another running window writes `recovery.json`, or kept work it `adopted`."""
        main = files.recovery_path()
        if adopted:
            own = Path(adopted)
        elif files.in_use(main):
            own = main.with_name(f"recovery-{time.time_ns()}.json")
        else:
            files.keep_aside()  # a crashed session's work: never overwritten by this one
            own = main
        self._claim(own)

    def _claim(self, path: Path | None) -> None:
        """Autosave into `path`, locked while this window runs (a crash leaves the lock
        stale), so other sessions take it for kept work only once this one is gone."""
        if self._recovery_lock is not None:
            self._recovery_lock.unlock()
            self._recovery_lock = None
        if path is not None:
            self.recovery_file = path
            self._recovery_lock = files.claim_lock(path)

    # ---- kept work of crashed sessions -----------------------------------------
    def offer_recovery(self) -> None:
        """Offer the kept work, newest first: in the bar, or through `ask_restore`."""
        files.sweep_stale_locks()
        kept = [path for path in files.kept_recoveries() if not files.in_use(path)]
        if kept and self.ask_restore is not None:
            found = files.read_recovery(kept[0])
            if found is not None and self.ask_restore(found[1]):
                self.restore_kept(str(kept[0]))
            return
        self.recovery_bar.offer(kept, self._restores_here())

    def _restores_here(self) -> bool:
        """Kept work replaces this window's project only when that loses nothing and asks
        for no window of its own: an empty untitled project, unchanged."""
        return self.stack.is_clean and not self.doc.nodes and self.path is None

    def restore_kept(self, kept: str) -> None:
        """Open the kept work, unsaved, here or in a new window that autosaves into it."""
        found = files.read_recovery(Path(kept))
        if found is None:
            self.show_error("Cannot restore the unsaved work",
                            f"{kept} cannot be read as a project; it is left where it is.")
            return
        doc, source = found
        if self._restores_here():
            self._adopt_recovery(Path(kept), doc, source)
        else:
            window = type(self)(None, recover=False, recovery_file=kept)
            window.resize(self.size())
            window._adopt_recovery(Path(kept), doc, source)
            window.show()
            forget_when_destroyed(window, self.recovered_windows)
        self._offer_rest(kept)

    def _adopt_recovery(self, kept: Path, doc, source: str | None) -> None:
        if kept != self.recovery_file:  # this window's own file: empty and unchanged
            self._recovery_io.submit(files.clear_recovery, self.recovery_file)
            self._claim(kept)
        self._set_document(doc, source, clean=False)
        self.show_message(f"Restored the unsaved work of {work_name((doc, source))}; "
                          "it is kept until you save it")

    def discard_kept(self, kept: str) -> None:
        """Remove kept work, once the user confirmed that it goes for good."""
        if not (self.ask_discard or self._ask_discard_dialog)(kept):
            return
        files.clear_recovery(Path(kept))
        self.show_message("Discarded the unsaved work of the last session")
        self._offer_rest(kept)

    def _ask_discard_dialog(self, kept: str) -> bool:
        answer = QtWidgets.QMessageBox.warning(
            self, "Discard unsaved work",
            f"Discard the unsaved work of {work_name(files.read_recovery(Path(kept)))} for "
            "good? It cannot be recovered afterwards.",
            QtWidgets.QMessageBox.Discard | QtWidgets.QMessageBox.Cancel,
            QtWidgets.QMessageBox.Cancel)
        return answer == QtWidgets.QMessageBox.Discard

    def _offer_rest(self, done: str) -> None:
        rest = [p for p in self.recovery_bar.kept if str(p) != done]
        self.recovery_bar.offer(rest, self._restores_here())

    def _on_project_changed_for_recovery(self, _event) -> None:
        if self.recovery_bar.kept:  # a project opened or edited: restoring opens a window
            self.recovery_bar.restore_here(self._restores_here())

    def _on_recovery_kept_for_later(self) -> None:
        self.show_message("The unsaved work stays kept in "
                          f"{self.recovery_file.parent}; it is offered again at the next start")
