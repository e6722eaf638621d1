"""Unsaved work of a crashed session: the file asked for opens at once, and the kept work
is offered in a bar that blocks nothing (new window, restore, keep, discard), clicked."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from kerascanvas.app.window import files
from kerascanvas.graph import projectfile
from tests.app.gestures import EXAMPLES, drag, node_point, show


@pytest.fixture
def open_window(qtbot, data_dir, monkeypatch):
    """`open_window(path, recover=True)`: a window as `kerascanvas open [path]` makes it."""
    from kerascanvas.app.window.main import MainWindow

    monkeypatch.setattr(MainWindow, "ask_restore", None)  # the bar, not a test's answer
    made = []

    def make(path=None, recover=True):
        window = MainWindow(str(path) if path else None, recover=recover)
        window.ask_save = lambda: QtWidgets.QMessageBox.Discard  # at the end of the test
        made.append(window)
        qtbot.addWidget(window)
        window.resize(1300, 800)
        return show(window, qtbot)

    yield make
    for window in [w for m in made for w in m.recovered_windows]:
        window.ask_save = lambda: QtWidgets.QMessageBox.Discard
        window.close()


@pytest.fixture
def crashed(data_dir, tmp_path):
    """The recovery file a killed session left: mnist_mlp.json with an extra node."""
    source = tmp_path / "mlp.json"
    shutil.copy(EXAMPLES / "mnist_mlp.json", source)
    doc = projectfile.load(source)
    first = next(iter(doc.nodes))
    doc.set_position(first, (300.0, 0.0))  # the example holds no positions: one is work
    files.write_recovery(doc, str(source))
    return source, projectfile.dumps(doc)


def click(button: QtWidgets.QAbstractButton) -> None:
    QTest.mouseClick(button, QtCore.Qt.LeftButton)
    QtWidgets.QApplication.processEvents()


def test_the_asked_file_opens_and_the_kept_work_opens_in_its_own_window(
        open_window, crashed, tmp_path, qtbot):
    source, recovered = crashed
    asked = EXAMPLES / "digits_cnn.json"
    window = open_window(asked)
    assert window.path == str(asked) and window.doc.nodes  # not blocked by a question
    bar = window.recovery_bar
    assert bar.isVisible() and "mlp.json" in bar.message.text()
    assert bar.restore_button.text() == "Open in New Window"
    kept = files.kept_recoveries()
    assert len(kept) == 1 and not files.recovery_path().exists()
    # editing the asked file autosaves beside the kept work, never over it
    first = next(iter(window.doc.nodes))
    start = node_point(window, first)
    drag(window, start, start + QtCore.QPoint(40, 0))
    window.autosave()
    window.wait_for_autosave()
    assert files.recovery_path().exists()
    assert projectfile.dumps(files.read_recovery(kept[0])[0]) == recovered
    click(bar.restore_button)
    assert not bar.isVisible()
    other = window.recovered_windows[0]
    qtbot.waitExposed(other)
    assert projectfile.dumps(other.doc) == recovered
    assert other.path == str(source) and other.isWindowModified()
    assert window.path == str(asked)  # the asked file stays open in its window
    assert other.recovery_file == kept[0]  # the new window keeps the work safe
    assert other.save_to(str(tmp_path / "saved.json"))
    assert not kept[0].exists()  # saved: nothing left to recover


def test_keep_for_later_keeps_the_work_for_the_next_start(open_window, crashed):
    source, recovered = crashed
    window = open_window(EXAMPLES / "digits_cnn.json")
    kept = files.kept_recoveries()
    click(window.recovery_bar.later_button)
    assert not window.recovery_bar.isVisible()
    window.stack.set_clean()
    window.close()  # a clean exit of this window removes its own file only
    assert files.kept_recoveries() == kept
    assert projectfile.dumps(files.read_recovery(kept[0])[0]) == recovered
    empty = open_window(None)  # the next start, with no file asked: restore here
    bar = empty.recovery_bar
    assert bar.isVisible() and bar.restore_button.text() == "Restore"
    click(bar.restore_button)
    assert projectfile.dumps(empty.doc) == recovered
    assert empty.path == str(source) and empty.isWindowModified()
    assert not empty.recovered_windows and empty.recovery_file == kept[0]


def test_discard_asks_first_and_closing_with_the_bar_up_keeps_the_work(open_window,
                                                                         crashed):
    window = open_window(EXAMPLES / "digits_cnn.json")
    kept = files.kept_recoveries()
    answers = iter([False, True])
    window.ask_discard = lambda path: next(answers)
    click(window.recovery_bar.discard_button)  # cancelled: nothing goes
    assert kept[0].exists() and window.recovery_bar.isVisible()
    window.stack.set_clean()
    window.close()  # the bar unanswered: the work stays kept
    assert kept[0].exists()
    again = open_window(EXAMPLES / "digits_cnn.json")
    again.ask_discard = lambda path: next(answers)
    click(again.recovery_bar.discard_button)  # confirmed
    assert not kept[0].exists() and not again.recovery_bar.isVisible()


def test_the_file_of_a_window_still_running_elsewhere_is_not_taken_for_a_crash(
        open_window, crashed):
    """A second app started while the first runs: the first one's recovery file is its
    live autosave, not kept work; the second autosaves into a file of its own."""
    lock = str(files.recovery_path()) + ".lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom PySide6 import QtCore\n"
         f"lock = QtCore.QLockFile({lock!r}); lock.setStaleLockTime(0)\n"
         "print(lock.tryLock(0), flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "True"
        before = files.recovery_path().read_bytes()
        window = open_window(EXAMPLES / "digits_cnn.json")
        assert not window.recovery_bar.isVisible()
        assert window.recovery_file != files.recovery_path()
        first = next(iter(window.doc.nodes))
        start = node_point(window, first)
        drag(window, start, start + QtCore.QPoint(40, 0))
        window.autosave()
        window.wait_for_autosave()
        assert window.recovery_file.exists()
        assert files.recovery_path().read_bytes() == before  # the other's, untouched
    finally:
        holder.kill()
        holder.wait()
    # once that process is gone without a clean exit, its file is kept work like any
    window.stack.set_clean()
    window.close()
    again = open_window(None)
    assert again.recovery_bar.isVisible() and "mlp.json" in again.recovery_bar.message.text()
