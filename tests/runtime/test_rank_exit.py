"""A launcher ends the ranks that outlive their report (`rank_exit.ExitWatch`), and goes
by their reports for how the run ended; ranks still training are never ended."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from torch.distributed.elastic.multiprocessing.errors import ChildFailedError, ProcessFailure

from kerascanvas.runtime.launch import Launch
from kerascanvas.runtime.rank_exit import ExitWatch, outcome_after, rank_of
from kerascanvas.runtime.rank_reports import RankReports

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the ranks are found in /proc")


@pytest.fixture
def ranks():
    """Starts stand-ins for ranks: children of this process whose command line names
    `kerascanvas.runtime` and whose environment holds their RANK."""
    started = []

    def start(rank: int) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "-c", "import time; time.sleep(600)", "kerascanvas.runtime.x"],
            env={**os.environ, "RANK": str(rank)})
        started.append(process)
        # a rank's process runs long before it reports: wait until this one has its own
        # command line and environment (a loaded machine may take a moment to exec it)
        deadline = time.monotonic() + 30
        while rank_of(process.pid) != rank and time.monotonic() < deadline:
            time.sleep(0.01)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def report(folder, rank: int, code: int | None = 0, failure: str | None = None) -> None:
    (folder / f"rank-{rank}.json").write_text(json.dumps(
        {"rank": rank, "stop_asker": None, "failure": failure, "lost_peer": None,
         "lost": [], "code": code}))


def watched(folder, expected: int, exit_s: float = 0.3) -> ExitWatch:
    watch = ExitWatch(folder, expected, exit_s=exit_s, interval=0.05)
    watch.start()
    return watch


def test_ranks_still_running_after_every_rank_reported_are_ended(tmp_path, ranks):
    hung = [ranks(0), ranks(1)]
    report(tmp_path, 0)
    report(tmp_path, 1)
    watch = watched(tmp_path, 2)
    watch.join(30)
    assert not watch.is_alive()
    assert [p.wait(10) for p in hung] == [-9, -9]
    assert sorted(watch.ended.values()) == [0, 1]
    assert sorted(watch.ended) == sorted(p.pid for p in hung)


def test_no_rank_is_ended_while_one_of_them_has_not_reported(tmp_path, ranks):
    training = [ranks(0), ranks(1)]
    report(tmp_path, 0)  # rank 1 still trains (or rank 0 waits for it)
    watch = watched(tmp_path, 2, exit_s=0.1)
    time.sleep(1.0)
    watch.stop()
    watch.join(5)
    assert [p.poll() for p in training] == [None, None] and watch.ended == {}


def test_a_rank_is_given_exit_s_after_the_last_report(tmp_path, ranks):
    ending = ranks(0)
    report(tmp_path, 0)
    watch = watched(tmp_path, 1, exit_s=60)
    time.sleep(1.0)
    watch.stop()  # torchrun returned: its ranks ended by themselves
    watch.join(5)
    assert ending.poll() is None and watch.ended == {}


def test_rank_of_reads_the_rank_of_a_process(ranks):
    assert rank_of(ranks(3).pid) == 3
    assert rank_of(os.getpid()) == (int(os.environ["RANK"]) if "RANK" in os.environ
                                    else None)


def _killed(ranks_killed: list[int]) -> ChildFailedError:
    return ChildFailedError("kerascanvas.runtime.cli.rank", {
        r: ProcessFailure(local_rank=r, pid=100 + r, exitcode=-9, error_file="")
        for r in ranks_killed})


def test_ranks_ended_after_reporting_a_good_end_make_a_good_outcome(tmp_path):
    report(tmp_path, 0)
    report(tmp_path, 1)
    watch = ExitWatch(tmp_path, 2, exit_s=60)
    watch.ended = {101: 1}
    outcome = outcome_after(watch, _killed([1]), Launch(2), RankReports.read(tmp_path), 1, 3)
    assert outcome.code == 0
    assert outcome.message.startswith("rank 1 had not ended 60 s after every rank here had "
                                      "finished its run and reported")
    assert "the launcher ended it with SIGKILL" in outcome.message


def test_a_failure_a_rank_reported_before_it_hung_is_the_runs_failure(tmp_path):
    report(tmp_path, 0, code=0)
    report(tmp_path, 1, code=3, failure="epoch 1, batch 3: RuntimeError: boom")
    watch = ExitWatch(tmp_path, 2, exit_s=60)
    watch.ended = {101: 1}
    outcome = outcome_after(watch, _killed([1]), Launch(2), RankReports.read(tmp_path), 1, 3)
    assert outcome.code == 3 and outcome.first_failed == 1
    assert "rank 1 was killed by SIGKILL after an error in epoch 1, batch 3: RuntimeError: " \
           "boom" in outcome.message
    assert outcome.message.endswith("the files it wrote are whole.")


def _joining(block: str) -> subprocess.CompletedProcess:
    code = ("import time; from kerascanvas.runtime.rank_join import join_deadline\n"
            f"with join_deadline(1.0):\n    {block}\nprint('joined')")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "RANK": "1", "WORLD_SIZE": "2"})


def test_a_rank_that_cannot_meet_the_others_ends_with_a_message_after_the_deadline():
    done = _joining("time.sleep(60)")  # as init_process_group waiting for a rank
    assert done.returncode == 3 and "joined" not in done.stdout
    assert "rank 1 of 2: the ranks of the run did not all meet within 1 s" in done.stderr


def test_a_rank_that_joined_in_time_goes_on():
    done = _joining("pass")
    assert done.returncode == 0 and done.stdout == "joined\n", done.stderr


def test_a_child_that_is_no_rank_is_left_alone(tmp_path, ranks):
    """A child whose command line names the module but that has no RANK (a multiprocessing
    server started by an earlier search, in the same process) is not a rank: the watcher
    ended it too, and noted its rank as None."""
    hung = [ranks(0)]
    env = {k: v for k, v in os.environ.items() if k != "RANK"}
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)",
                              "kerascanvas.runtime.server"], env=env)
    try:
        report(tmp_path, 0)
        watch = watched(tmp_path, 1)
        watch.join(30)
        assert hung[0].wait(10) == -9
        assert other.poll() is None and list(watch.ended.values()) == [0]
    finally:
        other.kill()
        other.wait(10)
