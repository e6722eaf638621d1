"""The Search tab's time limit counts search time: a study paused for 9 of its 10 minutes
still searches 10. The limit's clock is the test's (it moves only when the test moves
it); the trial's process is a stand-in (`tests.runtime.trial_stand_in`) that reaches its
next batch when the test says so; the driver, its time limit and the tab are the real
ones."""

from __future__ import annotations

import pytest

from kerascanvas.app.search.study_run import end_text
from kerascanvas.runtime.search.time_limit import TimeLimit
from tests.runtime.test_search import UNITS, mlp_project
from tests.runtime.test_search_time_limit import Clock
from tests.runtime.trial_stand_in import stand_in_trials

from .test_search_panel import click, show_tab
from .test_search_states import note, states

WAIT_MS = 30_000


@pytest.fixture
def driven(monkeypatch):
    """The stand-in trials, and the clock every study's time limit reads."""
    from kerascanvas.app.search.runner import SearchRunner
    from kerascanvas.runtime.search import driver

    clock = Clock()
    monkeypatch.setattr(SearchRunner, "_check", lambda self, run, payload: [])
    monkeypatch.setattr(driver, "TimeLimit",
                        lambda seconds, on_up, _clock: TimeLimit(seconds, on_up, clock))
    return stand_in_trials(monkeypatch), clock


@pytest.mark.parametrize("minutes, timeout", [(0, None), (10, 600.0), (1, 60.0)])
def test_the_time_limit_box_sets_the_studys_limit_in_seconds(make_window, qtbot, tmp_path,
                                                              minutes, timeout):
    panel = show_tab(make_window(str(mlp_project(tmp_path, [UNITS]))), qtbot)
    assert panel.limit_box.text() == "none"  # no limit unless asked
    panel.limit_box.setValue(minutes)
    assert panel.options().timeout == timeout


def test_a_study_paused_most_of_its_time_limit_still_searches_it_all(make_window, qtbot,
                                                                     tmp_path, driven):
    trials, clock = driven
    panel = show_tab(make_window(str(mlp_project(tmp_path, [UNITS]))), qtbot)
    panel.trials_box.setValue(1)
    panel.limit_box.setValue(10)
    click(panel.start_button)
    qtbot.waitUntil(lambda: states(panel) == ["running"] and bool(panel.records[0].curve),
                    timeout=WAIT_MS)
    click(panel.pause_button)
    trials[0].reach_batch.set()
    qtbot.waitUntil(lambda: states(panel) == ["paused"], timeout=WAIT_MS)
    clock.now += 540.0  # 9 minutes held: not spent
    click(panel.pause_button)
    qtbot.waitUntil(lambda: states(panel) == ["running"], timeout=WAIT_MS)
    clock.now += 599.0
    assert not panel.runner.driver.limit.check() and panel.runner.running
    clock.now += 1.0  # 10 minutes of search: the limit stops the trial after its batch
    qtbot.waitUntil(lambda: not panel.runner.running, timeout=WAIT_MS)
    assert states(panel) == ["failed"]
    assert note(panel, 0) == "Stopped by the study's time limit (600 s) after epoch 1."
    assert panel.status.text() == ("The study ended: its time limit, 10 min of search (the "
                                   "time paused not counted), was reached (1 failed).")


@pytest.mark.parametrize("counts, limit_s, text", [
    ({"complete": 2, "failed": 1}, None, "The study ended (2 complete, 1 failed)."),
    ({}, None, "The study ended (no trial)."),
    ({"failed": 1}, 90.0, "The study ended: its time limit, 1.5 min of search (the time "
                          "paused not counted), was reached (1 failed)."),
    ({"complete": 3}, 30.0, "The study ended: its time limit, 30 s of search (the time "
                            "paused not counted), was reached (3 complete)."),
])
def test_what_the_status_line_says_when_the_study_ends(counts, limit_s, text):
    assert end_text(counts, limit_s) == text
