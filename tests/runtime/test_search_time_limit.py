"""The study's time limit counts search time: the time it is held paused is not spent
(`runtime.search.time_limit`). The clock is the test's: it moves only when the test moves
it, so nothing here depends on how long anything takes. The driver runs real Optuna
studies with stand-ins for the trials' processes (`trial_stand_in`)."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from kerascanvas.graph.project import Project
from kerascanvas.runtime.cli.search_suspend import HeldWhileSuspended
from kerascanvas.runtime.events import TrialEpoch, TrialPaused, TrialResumed
from kerascanvas.runtime.search import study as studies
from kerascanvas.runtime.search.driver import SearchDriver
from kerascanvas.runtime.search.holds import TrialHold
from kerascanvas.runtime.search.time_limit import TimeLimit
from tests.runtime.test_search import UNITS, mlp_project, options
from tests.runtime.test_search_holds import Trial
from tests.runtime.trial_stand_in import stand_in_trials

WAIT_S = 60.0  # the longest a test waits for the driver's threads (never reached)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("steps, spent", [
    ([600.0], 600.0),
    ([300.0, "hold", 480.0, "go", 100.0], 400.0),  # a pause of 8 minutes is not spent
    (["hold", 50.0, "hold", 10.0, "go", 5.0, "go", 1.0], 6.0),  # held since the first
    ([10.0, "hold", 20.0], 10.0),  # held now
    (["go", 7.0], 7.0),  # nothing held: nothing left out
    (["hold", 90.0, "start", 30.0, "go", 2.0], 2.0),  # paused before the study began
    ([40.0, "start", 3.0], 3.0),  # counted from the start
    (["hold", 9.0, "go", "start", 4.0], 4.0),  # a hold ended before it: nothing to leave out
])
def test_the_time_held_is_left_out_of_the_search_time(steps, spent):
    clock, up = Clock(), []
    limit = TimeLimit(None, lambda: up.append(1), clock)
    if "start" not in steps:
        limit.start()
    for step in steps:
        if isinstance(step, float):
            clock.now += step
        elif step == "start":
            limit.start()
        else:
            limit.held(step == "hold")
    assert limit.spent_s() == spent and limit.left_s() is None
    assert not limit.check() and not up  # no limit: never up


def test_the_limit_is_up_once_the_search_time_reaches_it_and_says_so_once():
    clock, up = Clock(), []
    limit = TimeLimit(600, lambda: up.append(clock.now), clock)
    limit.began = clock()  # as `start` does, without its thread
    clock.now += 599.0
    limit.held(True)
    clock.now += 3600.0
    assert not limit.check() and limit.left_s() == 1.0
    limit.held(False)
    clock.now += 1.0
    assert limit.check() and limit.check() and up == [clock.now]


def run_driver(doc, tmp_path, clock, seen, **kw):
    """The driver of a 600 s study, run in a thread; it and the thread."""
    driver = SearchDriver(doc, options(tmp_path, timeout=600, pruner={"name": "none"}, **kw),
                          on_event=seen.append, clock=clock)
    thread = threading.Thread(target=driver.run, daemon=True)
    return driver, thread


def wait_for(seen, kind, n: int = 1) -> None:
    """Wait (without timing anything) until `n` events of `kind` were seen."""
    done = threading.Event()

    def look():
        while sum(isinstance(e, kind) for e in seen) < n:
            if done.wait(0.02):
                return
    watcher = threading.Thread(target=look, daemon=True)
    watcher.start()
    watcher.join(WAIT_S)
    done.set()
    assert sum(isinstance(e, kind) for e in seen) >= n, f"no {kind.__name__} came"


def test_a_pause_held_for_minutes_is_not_spent_and_the_limit_stops_the_trial_after(
        tmp_path, monkeypatch):
    trials = stand_in_trials(monkeypatch)
    doc = Project.open(mlp_project(tmp_path, [UNITS])).doc
    clock, seen = Clock(), []
    driver, thread = run_driver(doc, tmp_path, clock, seen, trials=3)
    thread.start()
    wait_for(seen, TrialEpoch)  # trial 0 trains
    clock.now += 300.0
    driver.pause()  # the trial works on to its next batch: that time is spent
    clock.now += 10.0
    trials[0].reach_batch.set()
    wait_for(seen, TrialPaused)
    clock.now += 480.0  # held: 8 minutes not spent
    assert driver.limit.spent_s() == 310.0
    driver.resume()
    wait_for(seen, TrialResumed)
    clock.now += 289.0
    assert not driver.limit.check() and not driver.stopped  # 599 s of search
    clock.now += 1.0  # 600 s: the limit's thread stops the trial
    thread.join(WAIT_S)
    assert not thread.is_alive() and driver.timed_out and driver.cut == [0]
    (trial,) = driver.study.trials  # no trial after the limit
    assert trial.user_attrs[studies.MESSAGE] == (
        "Stopped by the study's time limit (600 s) after epoch 1.")


def test_a_study_paused_with_no_trial_running_holds_at_once(tmp_path, monkeypatch):
    trials = stand_in_trials(monkeypatch)
    doc = Project.open(mlp_project(tmp_path, [UNITS])).doc
    clock, seen = Clock(), []
    driver, thread = run_driver(doc, tmp_path, clock, seen, trials=1)
    driver.pause()  # before the first trial: it waits to begin
    thread.start()
    clock.now += 5000.0
    assert driver.limit.spent_s() == 0.0 and not trials
    driver.resume()
    wait_for(seen, TrialEpoch)
    clock.now += 600.0
    thread.join(WAIT_S)
    assert not thread.is_alive() and driver.timed_out and driver.cut == [0]


@pytest.mark.skipif(not hasattr(signal, "SIGTSTP"), reason="no Ctrl+Z (SIGTSTP) here")
def test_the_time_the_command_is_suspended_by_ctrl_z_is_not_search_time(capsys):
    clock = Clock()
    limit = TimeLimit(600, lambda: None, clock)
    limit.start()
    clock.now += 100.0

    def suspended():  # as SIGSTOP then SIGCONT would, an hour later
        assert limit.holding
        clock.now += 3600.0

    previous, spans = signal.getsignal(signal.SIGTSTP), []
    with HeldWhileSuspended(limit, spans.append, suspended):
        os.kill(os.getpid(), signal.SIGTSTP)
        clock.now += 20.0
    assert limit.spent_s() == 120.0 and not limit.holding
    assert spans == [3600.0]  # for the running trials' durations
    assert signal.getsignal(signal.SIGTSTP) == previous
    assert capsys.readouterr().err == ("kerascanvas search: going on after a suspension; it "
                                       "is not counted against --timeout (500 s of search "
                                       "left)\n")


def test_a_suspension_is_left_out_of_the_durations_of_the_trials_it_held(tmp_path):
    driver = SearchDriver(Project.open(mlp_project(tmp_path, [UNITS])).doc, options(tmp_path))
    holds = {n: TrialHold(Trial(n), lambda event: None) for n in (0, 1)}
    for number, hold in holds.items():
        driver._hold_trial(number, hold)
    driver._hold_trial(1, None)  # trial 1 ended before the suspension
    driver.held_outside(30.0)
    assert [hold.close() for hold in holds.values()] == [30.0, 0.0]
