"""After a NaN loss the Results table shows the epoch whose weights were kept."""

from __future__ import annotations

import math

from kerascanvas.app.training.records import RunRecord
from kerascanvas.app.training.results import ResultsView
from kerascanvas.runtime import events as ev
from kerascanvas.runtime.data import load_data
from kerascanvas.runtime.train import train
from tests.runtime.test_bridge import one_thread  # noqa: F401  (autouse fixture)
from tests.runtime.test_cut_epochs import PoisonAt
from tests.runtime.test_run import classifier


def cells(view: ResultsView) -> dict[str, list[str]]:
    table = view.metrics
    return {table.item(r, 0).text(): [table.item(r, c).text()
                                      for c in range(1, table.columnCount())]
            for r in range(table.rowCount())}


def test_the_last_epoch_columns_are_the_kept_epochs_not_the_nan_one(qtbot):
    doc = classifier(training={"epochs": 10, "batch_size": 16})
    events: list = []
    result = train(doc, load_data("synthetic:64", doc), sink=events.append,
                   callbacks=[PoisonAt(2)])
    record = RunRecord(1, {}, status=ev.FAILED, result=ev.Result.of(result),
                       message=result.message)
    for event in events:  # the live curves, as the controller fills them
        if isinstance(event, ev.EpochEnd):
            record.curves.add_epoch(event.epoch, event.logs)
    assert not math.isfinite(record.curves.last_epoch_logs()["loss"])  # ends on the NaN
    # the runs list and the table read the epoch whose weights were kept
    assert record.final_metrics["loss"] == result.history["loss"][-1]
    view = ResultsView()
    qtbot.addWidget(view)
    view.show_run(record)
    shown = cells(view)
    for name in ("loss", "accuracy"):
        training, validation, final = shown[name]
        assert training == f"{result.history[name][-1]:.4g}"
        assert validation == f"{result.history['val_' + name][-1]:.4g}"
        assert final == f"{result.metrics[name]:.4g}"
    assert "epoch 3 was dropped" in view.title.text()
