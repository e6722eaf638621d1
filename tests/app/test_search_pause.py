"""Pause in the Search tab says what the trials confirmed: "pausing…" until a trial's
process says it holds, then "paused" and where, "resuming…" until it says it goes on; the
time held is not the trial's duration. The trial's process is a stand-in that speaks its
wire protocol (`tests.runtime.trial_stand_in`), and reaches its next batch when the test says so;
the driver, its trial processes' reader and the tab are the real ones."""

from __future__ import annotations

import pytest

from kerascanvas.app.search.pause_state import cells, pause_text
from kerascanvas.app.search.views import TrialRecord
from kerascanvas.runtime.search import study as studies
from kerascanvas.runtime.search.holds import PAUSED_S
from kerascanvas.runtime.search.options import default_storage
from tests.runtime.test_search import UNITS, mlp_project
from tests.runtime.trial_stand_in import stand_in_trials

from .test_search_panel import click, show_tab
from .test_search_states import note, states

WAIT_MS = 30_000


@pytest.fixture
def stand_in(monkeypatch):
    from kerascanvas.app.search.runner import SearchRunner

    monkeypatch.setattr(SearchRunner, "_check", lambda self, run, payload: [])
    return stand_in_trials(monkeypatch)


def test_pause_says_pausing_until_the_trial_holds_then_where_and_resume_likewise(
        make_window, qtbot, tmp_path, stand_in):
    project = mlp_project(tmp_path, [UNITS])
    panel = show_tab(make_window(str(project)), qtbot)
    said: list[str] = []
    panel.status_message.connect(said.append)
    panel.trials_box.setValue(1)
    click(panel.start_button)
    qtbot.waitUntil(lambda: states(panel) == ["running"] and bool(panel.records[0].curve),
                    timeout=WAIT_MS)
    click(panel.pause_button)  # the trial is in a batch: it holds only at its next one
    assert states(panel) == ["pausing…"] and panel.pause_button.text() == "Resume"
    assert panel.status.text() == "Pausing: trial 0 holds before its next training batch…"
    stand_in[0].reach_batch.set()
    qtbot.waitUntil(lambda: states(panel) == ["paused"], timeout=WAIT_MS)
    assert note(panel, 0) == "in epoch 2 after batch 5 of 12"
    assert panel.status.text() == ("Paused: trial 0 in epoch 2 after batch 5 of 12. "
                                   "No trial starts until Resume.")
    click(panel.pause_button)  # what the tab knows: the trial has not said it goes on yet
    assert states(panel) == ["resuming…"] and panel.pause_button.text() == "Pause"
    assert panel.status.text() == "Resuming: trial 0 goes on at the next batch…"
    qtbot.waitUntil(lambda: states(panel) == ["running"], timeout=WAIT_MS)
    assert panel.status.text() == "Resumed: the trials go on."
    click(panel.pause_button)  # paused again, then stopped while it holds
    qtbot.waitUntil(lambda: states(panel) == ["paused"], timeout=WAIT_MS)
    click(panel.stop_button)
    qtbot.waitUntil(lambda: not panel.runner.running, timeout=WAIT_MS)
    assert states(panel) == ["failed"] and note(panel, 0) == "Stopped by the user after epoch 1."
    assert said.count("Resumed: the trials go on.") == 1  # a stop says its own word
    assert panel.status.text() == "The study ended (1 failed)."
    (trial,) = studies.load_study(project.stem, default_storage(project)).trials
    assert trial.user_attrs[PAUSED_S] > 0  # two pauses, each from its word to the next
    assert panel.records[0].duration_s == pytest.approx(
        trial.duration.total_seconds() - trial.user_attrs[PAUSED_S])


def record(number: int, held=None, state="running") -> TrialRecord:
    return TrialRecord(number, state=state, held=held, message="")


@pytest.mark.parametrize("records, pausing, text", [
    ([], True, "Paused: no trial runs now, and none starts until Resume."),
    ([record(0), record(1)], True, "Pausing: trials 0, 1 hold before their next training "
                                   "batch…"),
    ([record(0, (0, 0, 9)), record(1)], True, "Pausing: trial 1 holds before its next "
     "training batch… Paused: trial 0 at the start of epoch 1."),
    ([record(0, (2, None, None)), record(1, (1, 3, 9))], True,
     "Paused: trial 0 in epoch 3; trial 1 in epoch 2 after batch 3 of 9. No trial starts "
     "until Resume."),
    ([record(0, (2, 4, 9)), record(1, (1, 3, None))], False,
     "Resuming: trials 0, 1 go on at the next batch…"),
    ([record(0), record(1, state="complete")], False, None),  # nothing held, nothing said
    ([record(0, state="failed"), record(7)], True,  # 7 is another process's: not ours
     "Paused: no trial runs now, and none starts until Resume."),
])
def test_what_the_status_line_says_of_a_pause(records, pausing, text):
    shown = {r.number: r for r in records}
    assert pause_text(shown, {0, 1}, pausing) == text


@pytest.mark.parametrize("held, state, pausing, cell", [
    (None, "running", True, ("pausing…", "")),
    ((1, 5, 12), "running", True, ("paused", "in epoch 2 after batch 5 of 12")),
    ((1, 5, 12), "running", False, ("resuming…", "")),
    (None, "running", False, ("running", "")),
    (None, "complete", True, ("complete", "")),
    (None, "running", None, ("running", "")),  # no study of this window runs
])
def test_the_state_a_trial_shows(held, state, pausing, cell):
    assert cells(record(0, held, state), {0}, pausing) == cell
    assert cells(record(5, held, state), {0}, pausing) == (state, "")  # not ours
