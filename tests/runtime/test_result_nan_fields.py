"""A NaN run's dropped epoch and non-finite losses travel as fields of the Result event,
and event logs written before those fields still load."""

from __future__ import annotations

import json

import pytest

from kerascanvas.runtime import events as ev
from kerascanvas.runtime.train import NAN, TrainResult

# A line of a `--log` written before the fields existed (the NaN facts only in the text).
OLD_LINE = ('{"event": "result", "status": "failed", "message": "The loss became NaN or '
            'infinite at epoch 3 (loss not finite; learning rate 0.001). Training stopped '
            'and epoch 3 was dropped: ...", "history": {"loss": [0.5, 0.25]}, "metrics": {}, '
            '"evaluated_on": "", "epochs_run": 2, "initial_epoch": 0, "saved": null, '
            '"device": "cpu", "nan": true, "oom": false, "evaluation": null, '
            '"evaluation_error": "", "issues": [], "traceback": "", "processes": 1}')


def test_the_result_of_a_nan_run_carries_the_dropped_epoch_and_losses():
    trained = TrainResult(NAN, "The loss became NaN...", history={"loss": [0.5, 0.25]},
                          epochs_run=2, dropped_epoch=3, nan_losses=("loss", "out_loss"))
    event = ev.Result.of(trained)
    assert event.nan and event.dropped_epoch == 3
    assert event.nan_losses == ("loss", "out_loss")
    wire = json.loads(json.dumps(ev.to_wire(event), allow_nan=False))
    assert wire["dropped_epoch"] == 3 and wire["nan_losses"] == ["loss", "out_loss"]
    assert ev.from_wire(wire) == event


def test_an_old_result_line_without_the_fields_still_loads():
    event = ev.from_wire(json.loads(OLD_LINE))
    assert event.nan and event.epochs_run == 2
    assert event.dropped_epoch is None and event.nan_losses == ()


def test_a_finished_run_has_no_dropped_epoch():
    event = ev.Result.of(TrainResult("ok", epochs_run=4))
    assert event.dropped_epoch is None and event.nan_losses == ()


@pytest.mark.parametrize("field, value", [("dropped_epoch", "3"), ("dropped_epoch", 0),
                                          ("nan_losses", "loss"), ("nan_losses", [1])])
def test_malformed_fields_are_refused_naming_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        ev.from_wire({"event": "result", field: value})
