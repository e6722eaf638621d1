"""Pause in the Search tab says what the trials confirmed: "pausing…" until a trial's
process says it holds, then "paused" and where, "resuming…" until it says it goes on; the
time held is not the trial's duration. The trial's process is a stand-in that speaks its
wire protocol (`runtime.search.child`), and reaches its next batch when the test says so;
the driver, its trial processes' reader and the tab are the real ones."""

from __future__ import annotations

import queue
import threading

import pytest

from kerascanvas.app.search.pause_state import cells, pause_text
from kerascanvas.app.search.views import TrialRecord
from kerascanvas.runtime.events import (
    STOPPED,
    EpochEnd,
    Paused,
    Result,
    Resumed,
    TrainBegin,
    to_wire,
)
from kerascanvas.runtime.search import study as studies
from kerascanvas.runtime.search.holds import PAUSED_S
from kerascanvas.runtime.search.options import default_storage
from tests.runtime.test_search import UNITS, mlp_project

from .test_search_panel import click, show_tab
from .test_search_states import note, states

WAIT_MS = 30_000


class StandInTrial:
    """A trial's process as the driver sees it: its events and commands queues, and a
    process that ends with its result. It trains epoch 0 (12 batches an epoch), then
    answers the commands; a pause holds before batch 5 of epoch 1 once `reach_batch` is
    set, and a stop releases a pause (a `Resumed`) as the real bridge's does."""

    def __init__(self):
        self.events, self.commands = queue.Queue(), queue.Queue()
        self.reach_batch = threading.Event()
        self.ended = threading.Event()
        self.pid, self.exitcode = 0, None
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        self._send(TrainBegin(epochs=3, steps=12))
        self._send(EpochEnd(0, {"val_accuracy": 0.5, "loss": 1.0}))
        held = False
        while (command := self.commands.get()) not in ("stop", None):
            if command == "pause" and not held:
                self.reach_batch.wait()
                held = self._send(Paused(1, 5))
            elif command == "resume" and held:
                held = not self._send(Resumed(1))
        if held:
            self._send(Resumed(1))
        self._send(Result(STOPPED, epochs_run=1))
        self.exitcode = 0
        self.ended.set()

    def _send(self, event) -> bool:
        self.events.put(to_wire(event))
        return True

    def is_alive(self) -> bool:
        return not self.ended.is_set()

    def join(self, timeout=None) -> None:
        self.ended.wait(timeout)

    def kill(self) -> None:
        self.commands.put("stop")


@pytest.fixture
def stand_in(monkeypatch):
    from kerascanvas.app.search.runner import SearchRunner
    from kerascanvas.runtime.search import driver

    trials: list[StandInTrial] = []

    def start_trial(payload):
        trials.append(trial := StandInTrial())
        return trial, trial.events, trial.commands

    monkeypatch.setattr(SearchRunner, "_check", lambda self, run, payload: [])
    monkeypatch.setattr(driver, "start_trial", start_trial)
    return trials


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
