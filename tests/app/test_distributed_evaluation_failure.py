"""The window's side of a two-process run whose final evaluation failed in rank 1, of
one whose rank 1 hangs, and of a run that goes silent while it trains.

The processes are simulated: the events are those rank 0 sends through the worker
(`runtime.relay`) after two epochs, and the result is made by the runtime's own code, as
the worker's relay makes it (`relay.result_of_run`, on torchrun's failure as
`launch.describe_failure` says it, with the ranks' reports), from rank 0's result of a
final evaluation whose peer was gone (`train_fit.evaluation_failed`). A real run of this
(`tests/cli/failing_rank.py` through the relay) sends the same kinds of events.
"""

from __future__ import annotations

import pytest
from PySide6 import QtCore
from torch.distributed.elastic.multiprocessing.errors import ChildFailedError, ProcessFailure

from kerascanvas.runtime import events as ev
from kerascanvas.runtime.launch import Launch, describe_failure
from kerascanvas.runtime.rank_reports import RankReports
from kerascanvas.runtime.relay import result_of_run
from kerascanvas.runtime.train_fit import evaluation_failed
from kerascanvas.runtime.train_messages import TrainResult
from tests.app.training_fakes import epoch, started, training_panel

RANK_1_SAID = "the final evaluation: RuntimeError: injected failure in the final evaluation"
GLOO = ("[/pytorch/third_party/gloo/gloo/transport/tcp/pair.cc:553] Connection closed by "
        "peer [127.0.0.1]:58572. This is typically caused by a remote worker crashing.")


@pytest.fixture
def panel(qtbot, tmp_path):
    yield from training_panel(qtbot, tmp_path)


def window_result(save_path: str) -> dict:
    """The worker's result, as plain data: rank 0 kept and saved the model trained for
    two epochs; rank 1 failed in the final evaluation and exited with 3, then rank 0
    (torchrun saw both end at once, and lists rank 0 first)."""
    kept = TrainResult("ok", epochs_run=2, saved=save_path,
                       history={"loss": [0.6, 0.6], "accuracy": [0.5, 0.5]})
    evaluation_failed(kept, RuntimeError(GLOO), "validation", save_path, lost=True)
    failures = {r: ProcessFailure(local_rank=r, pid=10 + r, exitcode=3, error_file="")
                for r in (0, 1)}
    outcome = describe_failure(ChildFailedError("relay", failures), Launch(2),
                               reports=RankReports([{"rank": 0}, {"rank": 1,
                                                                  "failure": RANK_1_SAID}]))
    return ev.to_wire(result_of_run(ev.Result.of(kept), outcome, 2))


def test_a_failed_final_evaluation_on_rank_1_keeps_the_run_and_says_which_rank(panel,
                                                                                 qtbot):
    run, record = started(panel, qtbot)
    open(run.save_path, "wb").close()  # rank 0 saved the model there
    with qtbot.waitSignal(panel.status_message, timeout=3000) as said:
        run.push(*epoch(0), *epoch(1),
                 {"event": "train_end", "epochs_run": 2, "stopped": False, "logs": {}},
                 window_result(run.save_path))
    assert record.status == "failed" and record.epochs_done == 2
    first_line = said.args[0]
    assert first_line.startswith("Run 1 failed: Rank 1 failed in the final evaluation: "
                                 "RuntimeError: injected failure in the final evaluation. "
                                 "The final evaluation on the validation data failed after "
                                 "training: another process of this run failed or was ended "
                                 "(RuntimeError: Connection closed by peer)."), first_line
    assert "GLHF" not in first_line and "Details" not in record.message
    assert record.saved_path == run.save_path  # kept: it can be saved and continued
    assert panel.results.save_button.isEnabled() and panel.continue_button.isEnabled()
    assert panel.runs.topLevelItem(0).text(1) == "failed"
    title = panel.results.title.text()
    assert "Rank 1 failed in the final evaluation" in title and "without a final score" in title
    assert list(record.curves.epochs["loss"].x) == [1.0, 2.0]  # the epochs trained stay


def test_a_rank_that_hangs_is_named_in_the_log_with_its_silence(panel, qtbot):
    run, record = started(panel, qtbot)
    said = []
    panel.controller.log_message.connect(said.append)
    run.push(ev.to_wire(ev.RankSilent(1, 125.4, "epoch 2, batch 5")))
    qtbot.waitUntil(lambda: any("silent" in line for line in said), timeout=3000)
    (line,) = [line for line in said if "silent" in line]
    assert line.startswith("Run 1: Rank 1 has been silent for 125 s (its last word: epoch 2, "
                           "batch 5); the other ranks wait for it")
    assert record.status == "running"


def silent_run(panel, qtbot, now: list[float]):
    """A run two batches into epoch 1, on the clock `now`, told after 60 s of silence;
    `told()` gives the lines that told it."""
    controller = panel.controller
    controller.clock = lambda: now[0]
    controller.silent_after_s = 60.0
    run, record = started(panel, qtbot)
    said = []
    controller.log_message.connect(said.append)
    run.push(*epoch(0)[:3])  # epoch 1 begins, two batches
    qtbot.waitUntil(lambda: record.batch == 1, timeout=3000)

    def told() -> list[str]:
        ticks = []
        QtCore.QTimer.singleShot(50, lambda: ticks.append(1))
        qtbot.waitUntil(lambda: ticks == [1], timeout=1000)  # the drain timer ran
        return [line for line in said if "no word" in line]

    return run, record, told


def test_a_run_silent_while_it_trains_is_told_once_and_not_while_paused(panel, qtbot):
    now = [100.0]
    run, record, told = silent_run(panel, qtbot, now)

    now[0] += 59.0
    assert told() == []
    now[0] += 2.0
    assert told() == ["Run 1: no word from its training process for 61 s (last: training, "
                      "epoch 1, batch 2); it may be in a long step, or hung. Stop cannot "
                      "reach a process that hangs: Kill ends it."]
    now[0] += 100.0
    assert len(told()) == 1  # once
    run.push({"event": "paused", "epoch": 0})
    qtbot.waitUntil(lambda: record.status == "paused", timeout=3000)
    now[0] += 500.0
    assert len(told()) == 1  # a pause is no silence


def test_a_long_validation_pass_is_no_silence_and_a_silent_one_is_told_as_such(panel, qtbot):
    now = [100.0]
    run, record, told = silent_run(panel, qtbot, now)
    for batch in range(0, 400, 20):  # a pass of 400 batches, a word every 5 s: 100 s
        now[0] += 5.0
        run.push({"event": "validating", "epoch": 0, "batch": batch, "batches": 400})
        qtbot.waitUntil(lambda b=batch: record.validating == (b, 400), timeout=3000)
    assert told() == []
    now[0] += 61.0
    assert told() == ["Run 1: no word from its training process for 61 s (last: validating, "
                      "epoch 1, batch 381 of 400); it may be in a long step, or hung. Stop "
                      "cannot reach a process that hangs: Kill ends it."]
