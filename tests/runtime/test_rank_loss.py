"""A data-parallel run that loses a rank other than 0 keeps rank 0's model: torchrun's
SIGTERM ends rank 0's training between two steps (`rank_end`), and the launcher's message
names the failed rank, where it failed and what it received (`rank_reports`)."""

from __future__ import annotations

import math
import os
import re
import signal
import time
from types import SimpleNamespace

import keras
import numpy as np
import pytest
from torch.distributed.elastic.multiprocessing.errors import ChildFailedError, ProcessFailure

from kerascanvas.runtime import rank_end, rank_join, relay
from kerascanvas.runtime.events import FAILED, Result
from kerascanvas.runtime.launch import Launch, describe_failure
from kerascanvas.runtime.rank_reports import RankReports, write_report
from kerascanvas.runtime.train_messages import TrainResult, rank_lost

SAMPLES, BATCH = 40, 8


@pytest.fixture
def guard():
    installed = rank_end.install()
    try:
        yield installed
    finally:
        rank_end.uninstall()


class Terminate(keras.callbacks.Callback):
    """Sends this process SIGTERM (as torchrun's agent does) before batch `batch` of
    epoch `epoch`."""

    def __init__(self, epoch: int, batch: int):
        super().__init__()
        self.at, self.epoch = (epoch, batch), None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # a long step: the signal ends it


def test_sigterm_ends_fit_between_steps_and_keeps_the_weights_trained(guard):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((SAMPLES, 4), "float32"), np.zeros((SAMPLES, 2), "float32")
    with pytest.raises(rank_end.RankLost), rank_end.training():
        model.fit(x, y, batch_size=BATCH, epochs=3, verbose=0, callbacks=[Terminate(1, 2)])
    # One whole epoch and the two batches of the next one before the signal.
    assert int(model.optimizer.iterations) == math.ceil(SAMPLES / BATCH) + 2
    assert guard.received and guard.raised and not guard.armed


def test_a_sigterm_waits_for_a_held_update_and_is_only_noted_outside_training(guard):
    order = []
    with pytest.raises(rank_end.RankLost), rank_end.training():
        with rank_end.held():
            os.kill(os.getpid(), signal.SIGTERM)
            order.append("update ran whole")
        order.append("not reached")
    assert order == ["update ran whole"]
    rank_end.uninstall()
    later = rank_end.install()
    os.kill(os.getpid(), signal.SIGTERM)  # not training: saving the model goes on
    assert later.received and not later.raised
    with pytest.raises(rank_end.RankLost), rank_end.training():
        pass  # a SIGTERM that came before training began ends it at once


def test_a_lost_peer_is_told_from_a_ranks_own_error():
    assert rank_end.lost_rank(RuntimeError("[../gloo/transport/tcp/pair.cc:553] Connection "
                                           "closed by peer [127.0.0.1]:5778"))
    assert rank_end.lost_rank(rank_end.RankLost("torchrun ended this rank with SIGTERM"))
    assert not rank_end.lost_rank(RuntimeError("injected failure in training"))


@pytest.mark.parametrize("finished, kept", [(True, "to the end of that batch"),
                                            (False, "to the batch before it")])
def test_rank_0s_message_says_where_it_stopped_and_what_it_kept(finished, kept):
    result = TrainResult("ok", failed_in="epoch 2, batch 3")
    rank_lost(result, rank_end.RankLost("torchrun ended this rank with SIGTERM"),
              "m.keras", finished)
    assert result.status == "error"
    assert result.message.startswith("Training stopped in epoch 2, batch 3: another process")
    assert f"The model as trained {kept} is kept and saved." in result.message


def failure(rank: int, code: int) -> ProcessFailure:
    return ProcessFailure(local_rank=rank, pid=100 + rank, exitcode=code, error_file="")


def report_as(monkeypatch, folder, rank: int, failed: str | None) -> None:
    """`write_report` as rank `rank` of two whose session noted `failed`."""
    for key, value in {"RANK": rank, "WORLD_SIZE": 2, "LOCAL_RANK": rank}.items():
        monkeypatch.setenv(key, str(value))
    monkeypatch.setattr(rank_join, "_SESSION", SimpleNamespace(
        rank=rank, world=2, is_main=rank == 0, failure=failed, stop_asker=None, lost=None))
    write_report(folder)


def test_the_launcher_names_the_failed_rank_where_and_what_it_received(tmp_path,
                                                                       monkeypatch):
    report_as(monkeypatch, tmp_path, 1, "epoch 2, batch 3: RuntimeError: injected")
    report_as(monkeypatch, tmp_path, 0, None)  # it lost its peer: no error of its own
    reports = RankReports.read(tmp_path)
    assert reports.ranks == [0, 1] and reports.failures == {
        1: "epoch 2, batch 3: RuntimeError: injected"}
    # Both ended in the same instant: torchrun lists rank 0 first.
    both = ChildFailedError("r", {0: failure(0, 3), 1: failure(1, 3)})
    assert both.get_first_failure()[0] == 0
    outcome = describe_failure(both, Launch(2), reports=reports)
    assert outcome.first_failed == 1 and outcome.code == 3
    assert outcome.cause == "Rank 1 failed in epoch 2, batch 3: RuntimeError: injected."
    assert "ended because rank 1 exited with code 3 after an error in epoch 2, batch 3: " \
           "RuntimeError: injected (rank 0 exited with code 3)" in outcome.message
    killed = ChildFailedError("r", {0: failure(0, -signal.SIGTERM), 1: failure(1, -9)})
    outcome = describe_failure(killed, Launch(2), reports=RankReports([]))
    assert outcome.first_failed == 1 and outcome.cause == "Rank 1 was killed by SIGKILL."


def test_the_window_hears_which_rank_failed_and_keeps_rank_0s_model(tmp_path, monkeypatch):
    """The window's side of a two-process run (`relay.train_on_ranks`), its ranks
    simulated: rank 1 reports its error and exits 3, rank 0 sends the result of a run
    that lost a rank (the model kept) and exits 3 after it."""
    from kerascanvas.runtime import launch as launch_module

    kept = "Training stopped in epoch 2, batch 3: another process ... is kept and saved."

    def ranks(launch, module, arguments, reports):
        folder = os.path.dirname(arguments[0])
        report_as(monkeypatch, folder, 1, "epoch 2, batch 3: OutOfMemoryError: CUDA out "
                                          "of memory (injected fault)")
        send, connection = relay._connect()
        send(Result(FAILED, kept, saved=str(tmp_path / "run_1.keras")))
        connection.close()
        return describe_failure(ChildFailedError("r", {0: failure(0, 3), 1: failure(1, 3)}),
                                launch, reports=RankReports.read(reports))

    monkeypatch.setattr(launch_module, "launch", ranks)
    control = type("C", (), {"attach": lambda self, link: None})()
    result = relay.train_on_ranks({"processes": 2}, lambda event: None, control)
    assert result.status == FAILED and result.processes == 2
    assert result.message == ("Rank 1 failed in epoch 2, batch 3: OutOfMemoryError: CUDA "
                              f"out of memory (injected fault). {kept}")
    assert result.saved == str(tmp_path / "run_1.keras")


# ---- slow: a real rank killed while rank 0 is paused -----------------------------------
@pytest.mark.slow  # the worker's child, torchrun's agent and two ranks importing keras
@pytest.mark.timeout(900)
def test_a_rank_killed_while_rank_0_is_paused_keeps_the_model(tmp_path):
    """Paused, rank 0 waits in no collective: before, torchrun's SIGTERM ended it at once
    and the window lost the model trained so far."""
    from kerascanvas.runtime.events import BatchEnd, Paused
    from kerascanvas.runtime.worker import TrainingRun
    from tests.runtime.test_distributed import rank_pid, wait_for
    from tests.runtime.test_worker import mlp

    saved = tmp_path / "run_1.keras"
    run = TrainingRun(mlp(data="synthetic:400", epochs=50, batch_size=16), save_path=saved,
                      processes=2)
    run.start()
    seen: list = []
    try:
        def second_epoch():
            seen.extend(run.poll_events())
            return any(isinstance(e, BatchEnd) and e.epoch == 1 for e in seen)

        wait_for(second_epoch, 600, 0.05)
        run.pause()
        wait_for(lambda: seen.extend(run.poll_events()) or
                 any(isinstance(e, Paused) for e in seen), 60, 0.05)
        os.kill(wait_for(lambda: rank_pid(run.process.pid, 1), 30), signal.SIGKILL)
        assert run.wait(120) == FAILED
    finally:
        run.kill()
    message = run.result.message
    assert re.match(r"Rank 1 \(node 0, host [^)]+\) was killed by SIGKILL; its last word: "
                    r"[^.]+\. Training stopped in epoch ", message), message
    assert run.result.saved == str(saved)
    restored = keras.saving.load_model(saved, safe_mode=True)
    assert restored.count_params() == 6 * 8 + 8 + 8 * 3 + 3

