"""An epoch a NaN loss dropped (its weights not kept) is not drawn, but for its NaN cross:
its huge losses and metrics, from before the NaN, set the plots' axes (a loss axis to
1e20 over kept losses below 1.2) though the run kept none of it. While the run trains
they are drawn as they come; its result names the dropped epoch."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from kerascanvas.app.training.curves import RunCurves
from kerascanvas.app.training.history import record_from_dict, record_to_dict
from kerascanvas.app.training.nan_marks import finite_values

from .training_fakes import started, training_panel

KEPT = [(1.0, 1.1, 0.9, 1.0), (0.8, 0.9, 0.7, 0.8), (0.6, 0.7, 0.5, 0.6)]  # loss, val, mae
DROPPED = {"loss": math.nan, "val_loss": 1e30, "mae": 1e15, "val_mae": math.inf}


@pytest.fixture
def panel(qtbot, tmp_path):
    yield from training_panel(qtbot, tmp_path)


def events(kept=KEPT, dropped_batches=(0.5, 1e6, 1e20, math.nan)) -> list[dict]:
    """Three epochs with small losses, then a fourth that diverges to a NaN."""
    out = []
    for e, row in enumerate([*kept, None]):
        batches = dropped_batches if row is None else (row[0],) * 4
        out += [{"event": "batch_end", "epoch": e, "batch": b, "steps": 4,
                 "logs": {"loss": v}} for b, v in enumerate(batches)]
        logs = DROPPED if row is None else dict(zip(
            ("loss", "val_loss", "mae", "val_mae"), row, strict=True))
        out.append({"event": "epoch_end", "epoch": e, "logs": logs, "lr": 0.1})
    return out


def drawn_range(panel, plot: str) -> tuple[float, float]:
    values = finite_values(panel.plots.plots[plot])
    return float(values.min()), float(values.max())


def test_the_dropped_epoch_leaves_the_axes_to_the_kept_ones(panel, qtbot):
    run, record = started(panel, qtbot)
    run.push({"event": "train_begin", "epochs": 10, "steps": 4, "samples": 64}, *events())
    qtbot.waitUntil(lambda: record.epochs_done == 4, timeout=3000)
    panel.plots.redraw()
    assert drawn_range(panel, "loss")[1] == 1e30  # live: drawn as it came (val_loss)
    assert drawn_range(panel, "mae")[1] == 1e15
    run.push({"event": "result", "status": "failed", "nan": True, "epochs_run": 3,
              "dropped_epoch": 4, "nan_losses": ["loss"]})
    qtbot.waitUntil(lambda: record.status == "failed", timeout=3000)
    panel.plots.redraw()
    kept = np.array(KEPT)
    assert drawn_range(panel, "loss") == (kept[:, :2].min(), kept[:, :2].max())
    assert drawn_range(panel, "mae") == (kept[:, 2:].min(), kept[:, 2:].max())
    for name in ("loss", "mae"):
        panel.plots.plots[name].getViewBox().updateAutoRange()
        low, high = panel.plots.plots[name].viewRange()[1]
        assert 0 < high < 2 and low > -1
    marks = panel.plots.items[("", "nan")]  # the cross stays, by the last kept loss
    np.testing.assert_allclose(marks.xData, [4.0])  # its batch 4
    np.testing.assert_allclose(marks.yData, [KEPT[-1][0]])
    assert panel.plots.nan_notes == ["NaN loss at epoch 4, batch 4"]
    assert panel.plots.plots["loss"].viewRange()[0][1] >= 4  # the axis still reaches it


def test_a_dropped_first_epoch_leaves_the_cross_alone(panel, qtbot):
    run, record = started(panel, qtbot)
    run.push({"event": "train_begin", "epochs": 5, "steps": 4, "samples": 64},
             *events(kept=[]))
    run.push({"event": "result", "status": "failed", "nan": True, "epochs_run": 0,
              "dropped_epoch": 1, "nan_losses": ["loss"]})
    qtbot.waitUntil(lambda: record.status == "failed", timeout=3000)
    panel.plots.redraw()
    assert len(finite_values(panel.plots.plots["mae"])) == 0
    assert drawn_range(panel, "loss") == (0.0, 0.0)  # the cross alone, at 0
    assert panel.plots.plots["loss"].viewRange()[1] == pytest.approx([-1.0, 1.0])


def nan_curves() -> RunCurves:
    curves = RunCurves()
    for e in events():
        if e["event"] == "batch_end":
            curves.add_batch(e["epoch"], e["batch"], e["steps"], e["logs"]["loss"])
        else:
            curves.add_epoch(e["epoch"], e["logs"], e["lr"])
    curves.dropped = 4
    return curves


def test_a_continuation_starts_without_the_dropped_epoch():
    """It trains epoch 4 again: its curves go on from epoch 3, the NaN note left out."""
    copy = nan_curves().copy(until=3)
    assert copy.dropped is None and copy.nan_notes == []
    assert max(copy.batch_loss.x) == 3.0 and max(copy.lr.x) == 3.0
    assert {name: list(s.x) for name, s in copy.epochs.items()} == \
        {name: [1.0, 2.0, 3.0] for name in ("loss", "val_loss", "mae", "val_mae")}


def test_a_run_read_back_from_the_runs_list_still_leaves_it_out(panel, qtbot):
    run, record = started(panel, qtbot)
    run.push(*events(), {"event": "result", "status": "failed", "nan": True,
                         "epochs_run": 3, "dropped_epoch": 4})
    qtbot.waitUntil(lambda: record.status == "failed", timeout=3000)
    back = record_from_dict(record_to_dict(record, Path(".")), Path("."))
    assert back.curves.dropped == 4 and back.epochs_done == 3
    assert list(back.curves.drawn(back.curves.epochs["mae"]).y) == [0.9, 0.7, 0.5]
