"""A run whose validation metric ended NaN (its training loss finite, so no NaN stop) is
kept in the runs index, which is strict JSON, and comes back with the NaN."""

from __future__ import annotations

import math

from kerascanvas.app.training.history import load_runs, save_runs
from kerascanvas.app.training.records import RunRecord
from kerascanvas.runtime import events as ev


def test_a_nan_validation_metric_is_kept_and_read_back(tmp_path):
    nan = float("nan")
    result = ev.Result(status=ev.FINISHED, message="done", metrics={"loss": 0.5, "val_loss": nan},
                       history={"loss": [0.7, 0.5], "val_loss": [0.9, nan]})
    record = RunRecord(1, {"epochs": 2}, status=ev.FINISHED, result=result)
    for epoch, logs in enumerate(({"loss": 0.7, "val_loss": 0.9},
                                  {"loss": 0.5, "val_loss": nan})):
        record.curves.add_epoch(epoch, logs)
    save_runs(tmp_path, [record])  # raised: Out of range float values are not JSON compliant
    (back,), problem = load_runs(tmp_path)
    assert problem is None
    assert back.result.history["loss"] == [0.7, 0.5]
    assert back.result.history["val_loss"][0] == 0.9
    assert math.isnan(back.result.history["val_loss"][1])
    assert math.isnan(back.result.metrics["val_loss"]) and back.result.metrics["loss"] == 0.5
    assert math.isnan(back.final_metrics["val_loss"])
