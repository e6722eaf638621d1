"""A run that loses a rank names that rank, not the one that noticed: rank 0 reads what
every rank left in the run's store (`rank_census`) and its launcher names the lost rank,
its node and host and its last word (`launch.describe_failure`). The store here is torch's
own in-process `HashStore`; the slow test runs a launcher and two real ranks."""

from __future__ import annotations

import socket
from pathlib import Path
from types import SimpleNamespace

import pytest
from torch.distributed import HashStore
from torch.distributed.elastic.multiprocessing.errors import ChildFailedError, ProcessFailure

from kerascanvas.runtime import rank_census
from kerascanvas.runtime.launch import Launch, describe_failure
from kerascanvas.runtime.rank_reports import RankReports
from kerascanvas.runtime.rank_watch import note

HOST = socket.gethostname()


def session(rank: int, world: int = 3, **fields) -> SimpleNamespace:
    return SimpleNamespace(rank=rank, world=world, is_main=rank == 0, failure=None,
                           lost=None, agreements=0, **fields)


def run_of(world: int, monkeypatch, node: str = "0"):
    """A store in which `world` ranks introduced themselves and began one batch."""
    monkeypatch.setenv("GROUP_RANK", node)
    store = HashStore()
    ranks = [session(rank, world) for rank in range(world)]
    for rank in ranks:
        rank_census.introduce(rank, store)
        note(rank, "epoch 1, batch 2", store)
    return store, ranks


def test_a_rank_gone_without_a_word_is_the_one_rank_0_lost(monkeypatch):
    store, (zero, one, two) = run_of(3, monkeypatch)
    one.lost = "RuntimeError: Connection reset by peer"  # it lost its peer too
    rank_census.sign_off(one, store)
    assert rank_census.lost_ranks(zero, store) == []  # rank 0 lost none: nothing to name
    zero.lost = "RuntimeError: Connection reset by peer"
    (lost,) = rank_census.lost_ranks(zero, store)
    assert (lost["rank"], lost["host"], lost["node"], lost["last"]) == \
        (2, HOST, "0", "epoch 1, batch 2")
    assert rank_census.describe(lost) == (
        f"rank 2 (node 0, host {HOST}) ended without a word (killed, or exited at once, or "
        "its machine or its torchrun agent was lost); its last word: epoch 1, batch 2")


@pytest.mark.parametrize("ended, named", [
    ({"failure": "epoch 1, batch 3: ValueError: bad"}, "failed in epoch 1, batch 3: "
                                                       "ValueError: bad"),
    ({}, "ended before the run did (its program returned)")])
def test_a_rank_that_failed_or_ended_early_comes_before_silent_ones(monkeypatch, ended,
                                                                    named):
    store, (zero, one, two) = run_of(3, monkeypatch)
    rank_census.sign_off(SimpleNamespace(**{"rank": 1, "failure": None, "lost": None,
                                            **ended}), store)
    zero.lost = "RuntimeError: Connection reset by peer"
    (lost,) = rank_census.lost_ranks(zero, store)  # rank 2 (silent) comes after
    assert lost["rank"] == 1 and lost["how"] == named


def failed(rank: int, code: int) -> ProcessFailure:
    return ProcessFailure(local_rank=rank, pid=100 + rank, exitcode=code, error_file="")


def reports_of(lost: list[dict]) -> RankReports:
    return RankReports([{"rank": 0, "stop_asker": None, "failure": None, "lost": lost,
                         "lost_peer": "RuntimeError: Connection reset by peer"}])


LOST = {"rank": 1, "host": "n1", "node": "1", "last": "epoch 1, batch 2",
        "how": "ended without a word (killed, or exited at once, or its machine or its "
               "torchrun agent was lost)"}


def test_a_rank_that_exited_early_with_code_0_is_named_not_rank_0():
    """torchrun counts only rank 0 (exit code 3 after losing its peer) as failed."""
    outcome = describe_failure(ChildFailedError("r", {0: failed(0, 3)}), Launch(2),
                               reports=reports_of([LOST]))
    assert outcome.first_failed == 1 and outcome.code == 3
    assert ("the run on 2 processes ended because rank 1 (node 1, host n1) ended without a "
            "word (killed, or exited at once, or its machine or its torchrun agent was "
            "lost); its last word: epoch 1, batch 2 (rank 0 exited with code 3)") in \
        outcome.message
    assert outcome.cause.startswith("Rank 1 (node 1, host n1) ended without a word")


def test_a_killed_rank_is_named_with_its_host_and_last_word():
    both = ChildFailedError("r", {0: failed(0, -15), 1: failed(1, -9)})
    outcome = describe_failure(both, Launch(2), reports=reports_of([LOST]))
    assert outcome.cause == ("Rank 1 (node 1, host n1) was killed by SIGKILL; its last "
                             "word: epoch 1, batch 2.")


def test_without_the_store_rank_0_says_it_lost_a_peer_elsewhere():
    """Two machines, the store gone with its agent: rank 0 cannot tell which rank."""
    outcome = describe_failure(ChildFailedError("r", {0: failed(0, 3)}),
                               Launch(1, nnodes=2, rdzv_endpoint="n0:1"),
                               reports=reports_of([]))
    assert outcome.first_failed == 0
    assert ("rank 0 exited with code 3 after it lost a peer (RuntimeError: Connection reset "
            "by peer); the rank it lost left no word here: the launcher of that rank's "
            "machine says how it ended") in outcome.message


# ---- a launcher and two real ranks ------------------------------------------------------
@pytest.mark.slow  # a launcher and two ranks, each importing keras and torch: 30-90 s
@pytest.mark.timeout(1200)
@pytest.mark.parametrize("at, how", [
    ("exit", "ended without a word"),  # exit code 0: torchrun sees no failure in it
    ("kill", "was killed by SIGKILL")])
def test_a_rank_lost_in_the_first_epoch_is_named_and_the_model_kept(tmp_path, at, how):
    import keras

    from kerascanvas.runtime.cli.kept_runs import runs_folder
    from kerascanvas.runtime.run_record import read_index
    from tests.cli.test_launcher_exit_codes import failing_run
    from tests.runtime.test_run import classifier, project

    path = project(tmp_path, classifier(training={"epochs": 3, "batch_size": 16}))
    before = Path(path).read_bytes()
    done = failing_run(tmp_path, path, at, "1")
    assert done.returncode == 3, done.stderr[-3000:]
    assert (f"ended because rank 1 (node 0, host {HOST}) {how}") in done.stderr, \
        done.stderr[-3000:]
    assert "its last word: epoch 1, batch 2" in done.stderr
    assert "ended because rank 0" not in done.stderr
    kept = runs_folder(path) / "stopped_1.keras"
    assert f"Saved the model to {kept}" in done.stderr
    assert keras.saving.load_model(kept, safe_mode=True).count_params() == \
        4 * 8 + 8 + 8 * 3 + 3
    assert Path(path).read_bytes() == before  # the project file is untouched
    (entry,) = read_index(runs_folder(path))
    assert entry["status"] == "failed" and entry["saved"] == "stopped_1.keras"

