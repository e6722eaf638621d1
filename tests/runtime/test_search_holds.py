"""A trial's confirmed pauses (`runtime.search.holds`): the study events they become, and
the time held, which the trial's duration leaves out (a real Optuna trial's)."""

from __future__ import annotations

import datetime

import optuna
import pytest

from kerascanvas.runtime.events import (
    EpochEnd,
    Paused,
    Resumed,
    TrainBegin,
    TrialPaused,
    TrialResumed,
)
from kerascanvas.runtime.search.holds import PAUSED_S, TrialHold, worked_s
from kerascanvas.runtime.search.study import trial_summary


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Trial:
    """What `TrialHold` uses of an Optuna trial."""

    def __init__(self, number: int = 3):
        self.number, self.user_attrs = number, {}

    def set_user_attr(self, key, value):
        self.user_attrs[key] = value


def held(steps, held_s=0.0):
    """A hold fed `steps`: events, or a number of seconds that pass."""
    told, clock, trial = [], Clock(), Trial()
    hold = TrialHold(trial, told.append, held_s, clock)
    for step in steps:
        if isinstance(step, int | float):
            clock.now += step
        else:
            hold.on_event(step)
    return hold, told, trial


def test_a_confirmed_pause_is_told_with_where_it_holds_and_its_end_with_the_time_held():
    hold, told, trial = held([TrainBegin(steps=12), 2.0, Paused(2, 5), 40.0, Resumed(2), 3.0,
                              Paused(3, 0), 1.5, Resumed(3)])
    assert told == [TrialPaused(3, 2, 5, 12), TrialResumed(3, 2, 40.0),
                    TrialPaused(3, 3, 0, 12), TrialResumed(3, 3, 41.5)]
    assert trial.user_attrs[PAUSED_S] == hold.held_s == 41.5 and not hold.paused


@pytest.mark.parametrize("steps, told", [
    ([EpochEnd(0), Resumed(0)], []),  # no pause was confirmed: nothing held, nothing told
    ([Paused(0), 1.0, Paused(0), 1.0], [TrialPaused(3, 0, None, None)] * 2),  # held since the 1st
])
def test_only_a_confirmed_pause_holds(steps, told):
    hold, seen, trial = held(steps)
    assert seen == told and hold.paused == bool(told)
    assert hold.close() == (2.0 if told else 0.0)


def test_a_trial_that_ends_while_held_keeps_the_time_held_until_its_end():
    hold, told, trial = held([Paused(1, 4), 7.0])
    assert hold.paused and PAUSED_S not in trial.user_attrs
    assert hold.close() == 7.0 and trial.user_attrs[PAUSED_S] == 7.0 and not hold.paused


def test_a_wait_to_begin_while_the_study_was_paused_is_time_held():
    hold, told, trial = held([Paused(0, 0), 2.0, Resumed(0)], held_s=5.0)
    assert told[-1] == TrialResumed(3, 0, 7.0) and trial.user_attrs[PAUSED_S] == 7.0
    assert PAUSED_S not in held([])[2].user_attrs  # no wait, nothing written


@pytest.mark.parametrize("attrs, duration_s", [({PAUSED_S: 41.5}, 18.5), ({}, 60.0)])
def test_a_trials_duration_in_its_summary_leaves_out_the_time_held(attrs, duration_s):
    began = datetime.datetime(2026, 1, 1, 12, 0, 0)
    trial = optuna.trial.FrozenTrial(
        0, optuna.trial.TrialState.COMPLETE, 0.5, began, began + datetime.timedelta(minutes=1),
        {}, {}, attrs, {}, {}, 0)
    assert trial_summary(trial)["duration_s"] == duration_s


@pytest.mark.parametrize("duration, attrs, worked", [
    (10.0, {PAUSED_S: 4.0}, 6.0), (10.0, {}, 10.0), (None, {PAUSED_S: 4.0}, None),
    (3.0, {PAUSED_S: 4.0}, 0.0),  # clocks of two processes: never a negative duration
    (10.0, {PAUSED_S: "4"}, 10.0),  # a value some other writer left: not ours to read
])
def test_worked_time(duration, attrs, worked):
    assert worked_s(duration, attrs) == worked


@pytest.mark.parametrize("steps, held_s", [
    ([Paused(1, 4), 7.0, Resumed(1)], 37.0),  # a pause, and the suspension after it
    ([Paused(1, 4), 7.0], 37.0),  # suspended while paused: both kept at the trial's end
    ([EpochEnd(0)], 30.0),  # no pause: the suspension alone
])
def test_a_suspension_of_the_command_is_time_held_too(steps, held_s):
    hold, told, trial = held(steps)
    hold.held_outside(30.0)  # Ctrl+Z: nothing written until the trial's hold closes
    assert trial.user_attrs.get(PAUSED_S) == (7.0 if Resumed(1) in steps else None)
    assert hold.close() == held_s and trial.user_attrs[PAUSED_S] == held_s
    assert hold.close() == held_s  # kept once
