"""Continue never goes on silently with data that changed since the run: the run record
beside the model keeps a stamp of the data's files taken as the run started
(`runtime.data_stamp`), and Continue compares it with the CSV file as it is now. A change
is named (file, what changed) in a question: Continue anyway starts the continuation,
Cancel (the default) starts nothing; both are said in the log. Unchanged data asks nothing.

The comparison reads the files (a million-file image folder is listed for seconds), so it
runs off the GUI thread: the window's events go on, and a comparison that takes a moment
shows "Checking data before Continue…" with a Cancel under the data preview, as Start's
data check does; Cancel starts nothing.

The first run is real: trained by the worker's engine in this process and fed to the
window through a scripted run, as its child process would send it."""

from __future__ import annotations

import os

import pytest
from PySide6 import QtCore, QtWidgets

from kerascanvas.app.training import data_changed
from kerascanvas.app.training.data_changed import CONTINUE_ANYWAY
from kerascanvas.runtime import run_record
from tests.runtime.test_bridge import one_thread  # noqa: F401  (autouse fixture)
from tests.runtime.test_run import classifier, project

from .test_continue_records import open_panel, train_as_the_worker  # noqa: F401
from .training_fakes import FakeRun, continue_checked, held, start_checked

ROWS = "".join(f"{i % 5},{i / 7:.3f},{i % 3},{i / 11:.3f},{i % 3}\n" for i in range(48))


@pytest.fixture
def trained(open_panel, qtbot, tmp_path):  # noqa: F811
    """A Training panel on a project training on `t.csv` beside it, its first run
    finished and kept with its run record."""
    (tmp_path / "t.csv").write_text("a,b,c,d,y\n" + ROWS)
    doc = classifier(training={"epochs": 1, "data": "csv:t.csv?target=y", "seed": 0})
    panel = open_panel(project(tmp_path, doc), doc)
    assert start_checked(panel, qtbot)
    record = panel.controller.current
    train_as_the_worker(FakeRun.made[-1], qtbot, record)
    assert record.status == "finished", record.message
    source = run_record.read(record.saved_path)["source"]
    assert list(source["files"]) == [str(tmp_path / "t.csv")]
    return panel


def answer(button: str, seen: list) -> None:
    """Click `button` of the question once it is shown, keeping its text in `seen`."""
    def click() -> None:
        box = QtWidgets.QApplication.activeModalWidget()
        if not isinstance(box, QtWidgets.QMessageBox):
            QtCore.QTimer.singleShot(20, click)
            return
        seen.append(box.text())
        (found,) = [b for b in box.buttons() if b.text() == button]
        found.click()

    QtCore.QTimer.singleShot(0, click)


def edit(path, text: str) -> None:
    """Save `text` to `path` a second later than its last modification."""
    before = os.stat(path).st_mtime_ns
    path.write_text(text)
    os.utime(path, ns=(before + 10**9, before + 10**9))


EDITS = {  # what the user did to t.csv, and what the question says of it
    "rows added": (lambda t: t + "1,0.5,2,0.25,1\n" * 3, "size"),
    "a label changed": (lambda t: t[:-2] + ("0" if t[-2] != "0" else "1") + "\n",
                        "content differs"),
}


@pytest.mark.parametrize("what", EDITS)
def test_continue_on_changed_data_asks_and_cancel_starts_nothing(trained, qtbot, tmp_path,
                                                                   what):
    change, said = EDITS[what]
    path = tmp_path / "t.csv"
    edit(path, change(path.read_text()))
    made, seen = len(FakeRun.made), []
    answer("Cancel", seen)
    assert not continue_checked(trained, qtbot)
    assert len(FakeRun.made) == made and len(trained.controller.runs) == 1
    (text,) = seen
    assert str(path) in text and f"{path}: {said}" in text
    assert "Continue cancelled" in trained.log.toPlainText()


def test_continue_anyway_continues_on_the_data_as_it_is(trained, qtbot, tmp_path):
    path = tmp_path / "t.csv"
    edit(path, path.read_text() + "1,0.5,2,0.25,1\n")
    seen: list = []
    answer(CONTINUE_ANYWAY, seen)
    first = trained.controller.runs[0]
    trained.continue_button.click()  # the button, as the user clicks it
    qtbot.waitUntil(lambda: len(trained.controller.runs) == 2, timeout=30_000)
    assert len(seen) == 1
    fake = FakeRun.made[-1]
    assert fake.extra["initial_model"] == first.saved_path
    assert "on data changed since it started" in trained.log.toPlainText()


def test_unchanged_data_continues_without_asking(trained, qtbot, tmp_path):
    path = tmp_path / "t.csv"
    edit(path, path.read_text())  # saved again, the same rows
    made = len(FakeRun.made)
    assert continue_checked(trained, qtbot)  # a question would block here
    assert len(FakeRun.made) == made + 1


@pytest.fixture
def held_compare(monkeypatch):
    """Comparisons of the data with the run's wait for the returned event (a large
    image folder being listed)."""
    release = held(monkeypatch, data_changed, "data_changes")
    yield release
    release.set()


def test_a_slow_comparison_waits_without_blocking_and_then_asks(trained, qtbot, tmp_path,
                                                                 held_compare):
    path = tmp_path / "t.csv"
    edit(path, path.read_text() + "1,0.5,2,0.25,1\n")
    ticks: list = []
    probe = QtCore.QTimer(interval=10, timeout=lambda: ticks.append(1))
    probe.start()
    assert not trained.continue_selected()  # returns, the files being compared
    assert ticks and trained.data.waiting.isVisible()  # the window's events went on
    assert "Checking data before Continue" in trained.data.waiting_text.text()
    assert "Continue waits for the data check" in trained.log.toPlainText()
    assert len(trained.controller.runs) == 1
    seen: list = []
    answer(CONTINUE_ANYWAY, seen)
    held_compare.set()
    qtbot.waitUntil(lambda: len(trained.controller.runs) == 2, timeout=30_000)
    assert not trained.data.waiting.isVisible() and f"{path}: size" in seen[0]


def test_cancel_while_the_data_is_compared_starts_nothing(trained, qtbot, held_compare):
    made = len(FakeRun.made)
    assert not trained.continue_selected()
    assert trained.data.waiting.isVisible()
    (cancel,) = [b for b in trained.data.waiting.findChildren(QtWidgets.QPushButton)
                 if b.text() == "Cancel"]
    qtbot.mouseClick(cancel, QtCore.Qt.LeftButton)
    assert not trained.data.waiting.isVisible()
    held_compare.set()
    qtbot.wait(300)  # the comparison done: nothing starts, nothing is asked
    assert len(FakeRun.made) == made and len(trained.controller.runs) == 1
    assert QtWidgets.QApplication.activeModalWidget() is None
    assert "Continue cancelled while the data was being compared" in \
        trained.log.toPlainText()
