"""Continue asks before it goes on with data that changed since the run it continues.

The run record beside a run's model keeps a stamp of its data's files taken as the run
started (`runtime.data_stamp`): the same file name with rows added, a label edited or an
image class grown would otherwise be trained on silently. Continue compares it with the
files as they are now (a bounded read: no data is loaded, but an image folder of a
million files is listed for seconds, so on a worker thread: `ChangeCheck`) and, when they
differ, says which file and what changed and asks: Continue anyway, or Cancel.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from PySide6 import QtCore, QtWidgets

from ...runtime.data_stamp import changed_since
from ..future_watch import FutureWatcher
from .continue_plan import saved_record

CONTINUE_ANYWAY = "Continue anyway"


def data_changes(record, spec: str) -> list[str]:
    """What changed in data `spec` since `record`'s run read it, one line per file and
    field; none when its model has no record, or one without a stamp, or of other data."""
    return changed_since(saved_record(record), spec)


class ChangeCheck(QtCore.QObject):
    """`data_changes` on a worker thread, its answer handed to the GUI thread."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="data-stamp")
        self._results = FutureWatcher(self)

    @property
    def results(self) -> FutureWatcher:
        """What hands the comparisons over to the GUI thread."""
        return self._results

    def compare(self, record, spec: str, done: Callable[[Future], None]) -> Future:
        """The future of `data_changes(record, spec)`, `done(future)` called with it on the
        GUI thread; a later call drops the answer of this one."""
        self._results.clear()
        future = self._executor.submit(data_changes, record, spec)
        self._results.watch(future, done)
        return future

    def shutdown(self) -> None:
        self._results.clear()
        self._executor.shutdown(wait=False, cancel_futures=True)


def changed_text(label: str, spec: str, changes: list[str]) -> str:
    """The question's text: the data, what changed in it, and what Continue would do."""
    return (f"The data {label} was trained on changed since it started:\n\n  {spec}\n\n"
            + "\n".join(f"  • {line}" for line in changes)
            + f"\n\nContinue {label} on the data as it is now?")


def ask_continue_changed(parent, label: str, spec: str, changes: list[str]) -> bool:
    """Ask whether to continue `label` on data that changed (`changes`); Cancel is the
    default, and closing the box cancels."""
    box = QtWidgets.QMessageBox(parent)
    box.setIcon(QtWidgets.QMessageBox.Warning)
    box.setWindowTitle("Data changed since the run")
    box.setText(changed_text(label, spec, changes))
    anyway = box.addButton(CONTINUE_ANYWAY, QtWidgets.QMessageBox.AcceptRole)
    cancel = box.addButton(QtWidgets.QMessageBox.Cancel)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    box.exec()
    return box.clickedButton() is anyway
