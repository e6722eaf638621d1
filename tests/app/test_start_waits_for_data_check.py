"""Start never trains on data it has not checked, and never blocks the window for it (it
blocked for up to 5 s). A preview still being read is waited for GRACE_MS with the
window's events going on; one that takes longer (a large CSV file; here a read held back
until the test lets it go) leaves Start waiting, with "Checking data before Start…" and a
Cancel under the preview: once the read is done, Start refuses data the run's own check
refuses (the same issues, naming the file's column) or starts the run; Cancel starts
nothing. A read done within GRACE_MS is checked at once, with no waiting row shown."""

from __future__ import annotations

import pytest
from PySide6 import QtCore

from kerascanvas.app.training import data_preview, data_wait

from .test_data_preview_start import (  # noqa: F401  (make_panel: a fixture)
    SPECIES,
    _runtime_issues,
    make_panel,
    model,
    type_spec,
    write_csv,
)
from .training_fakes import FakeRun, held


@pytest.fixture
def panel(make_panel):  # noqa: F811
    return make_panel(model((4,)))


@pytest.fixture
def held_read(monkeypatch):
    """Reads of the preview wait for the returned event."""
    release = held(monkeypatch, data_preview, "_read_preview")
    yield release
    release.set()


def click_start(panel, qtbot) -> list:
    """Click Start as the user does; what Issues hears from then on."""
    heard: list = []
    panel.controller.data_issues_found.connect(heard.append)
    qtbot.mouseClick(panel.start_button, QtCore.Qt.LeftButton)
    return heard


def test_a_fast_read_is_checked_at_once(panel, qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(data_wait, "GRACE_MS", 30_000)  # any read here is fast enough
    type_spec(panel, f"csv:{write_csv(tmp_path / 't.csv', SPECIES)}")
    heard = click_start(panel, qtbot)
    assert heard and not panel.data.start_waiting and not panel.data.waiting.isVisible()
    assert "Start waits" not in panel.log.toPlainText()
    assert FakeRun.made == [] and panel.controller.runs == []
    assert [i.message for i in heard[-1]] == [i.message for i in _runtime_issues(panel.doc)]


@pytest.mark.parametrize("classes, starts", [(SPECIES, False), (SPECIES[:3], True)])
def test_a_slow_read_leaves_start_waiting_for_its_check(panel, qtbot, tmp_path, held_read,
                                                        classes, starts):
    type_spec(panel, f"csv:{write_csv(tmp_path / 't.csv', classes)}")
    ticks = []
    probe = QtCore.QTimer(interval=10, timeout=lambda: ticks.append(1))
    probe.start()
    heard = click_start(panel, qtbot)
    assert ticks  # the window's events went on while Start waited for the read
    assert panel.data.start_waiting and panel.data.waiting.isVisible()
    assert "Checking data before Start" in panel.data.waiting_text.text()
    assert "Start waits for the data check" in panel.log.toPlainText()
    assert FakeRun.made == [] and panel.controller.runs == []  # not on unchecked data
    held_read.set()
    qtbot.waitUntil(lambda: not panel.data.start_waiting, timeout=30_000)
    assert not panel.data.waiting.isVisible()
    if starts:
        assert len(FakeRun.made) == 1 and panel.controller.current.label == "Run 1"
        FakeRun.made[-1].push({"event": "result", "status": "finished"})
        return
    assert FakeRun.made == [] and panel.controller.runs == []
    (issue,) = heard[-1]
    assert issue.message == _runtime_issues(panel.doc)[0].message
    assert "column 'species' of" in issue.message and "t.csv" in issue.message
    assert issue.message in panel.log.toPlainText()


def test_cancel_while_the_data_is_read_starts_nothing(panel, qtbot, tmp_path, held_read):
    type_spec(panel, f"csv:{write_csv(tmp_path / 't.csv', SPECIES[:3])}")
    click_start(panel, qtbot)
    (cancel,) = [b for b in panel.data.waiting.findChildren(type(panel.start_button))
                 if b.text() == "Cancel"]
    qtbot.mouseClick(cancel, QtCore.Qt.LeftButton)
    assert not panel.data.start_waiting and not panel.data.waiting.isVisible()
    held_read.set()
    qtbot.waitUntil(lambda: panel.data._data is not None, timeout=30_000)
    qtbot.wait(50)  # the read handed over: nothing starts
    assert FakeRun.made == [] and panel.controller.runs == []
    assert "Start cancelled while the data was being read" in panel.log.toPlainText()
