"""A `kerascanvas run`'s progress while it trains: on several processes rank 0's epoch
lines (the progress a one-process run shows), and on one process or several the run's
entry in the runs index, listed again at epoch ends (throttled, nothing per batch), which
holds the epoch and the curves up to it before the run ends, as the window shows it."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from kerascanvas.app.training.history import load_runs
from kerascanvas.app.training.runs_list_text import metrics_text
from kerascanvas.runtime import events as ev
from kerascanvas.runtime import run_record
from kerascanvas.runtime.cli import run_snapshot
from kerascanvas.runtime.cli.kept_runs import CurveTap, runs_folder
from kerascanvas.runtime.run_record import read_index
from kerascanvas.runtime.runs_index import PROCESS, RUNNING, judged
from tests.runtime.test_distributed import ROOT, mlp, wait_for
from tests.runtime.test_run import project


def rank_zero_of_two(monkeypatch) -> None:
    """This process as torchrun's rank 0 of two (its environment names the rank)."""
    for key, value in {"RANK": "0", "LOCAL_RANK": "0", "WORLD_SIZE": "2"}.items():
        monkeypatch.setenv(key, value)


def epoch_end(epoch: int, loss: float) -> ev.EpochEnd:
    return ev.EpochEnd(epoch=epoch, logs={"accuracy": 0.5, "loss": loss}, lr=0.001)


def test_rank_zero_lists_each_epoch_that_ends_with_its_curves(tmp_path, monkeypatch):
    rank_zero_of_two(monkeypatch)
    path = project(tmp_path, mlp({"epochs": 5}))
    args = argparse.Namespace(file=path, save=None, no_keep=False, resume=None,
                              initial_epoch=0)
    tap = CurveTap()
    snap = run_snapshot.start(args, {"epochs": 5, "batch_size": 16}, tap)
    assert snap.processes == 2 and snap.callback(None) is None  # no snapshot to list by
    for sink in (tap, snap.heard):  # as the command's sinks hear it: the tap first
        sink(ev.BatchEnd(epoch=0, batch=3, steps=4, logs={"loss": 0.9}))
        sink(epoch_end(0, 0.8))
    [entry] = read_index(runs_folder(path))
    assert (entry["status"], entry["epoch"], entry["epochs_done"]) == (RUNNING, 1, 1)
    assert entry[PROCESS]["pid"] == os.getppid()  # the launcher, torchrun's agent
    assert entry["message"].startswith("Training in `kerascanvas run` on 2 processes: "
                                       "epoch 1 of 5 has ended.")
    [record], problem = load_runs(runs_folder(path))
    assert problem is None and record.status == RUNNING
    assert metrics_text(record) == "epoch 1/5: accuracy 0.5, loss 0.8"  # the window's row


def started(path, processes=1, epochs=5, save=None, no_keep=False):
    """The run's listing as `kerascanvas run` starts it, and the tap its curves are in."""
    args = argparse.Namespace(file=path, save=save, no_keep=no_keep, resume=None,
                              initial_epoch=0)
    tap = CurveTap()
    return run_snapshot.start(args, {"epochs": epochs}, tap), tap


def heard(snap, tap, event) -> None:
    for sink in (tap, snap.heard):  # as the command's sinks hear it: the tap first
        sink(event)


def writes(monkeypatch) -> list[int]:
    """Counts the runs index's writes (one per listing) from now on."""
    done, real = [], run_record.merge_index
    monkeypatch.setattr(run_record, "merge_index",
                        lambda *args, **kw: done.append(1) or real(*args, **kw))
    return done


@pytest.mark.parametrize("processes", [1, 2])
def test_an_epoch_listed_moments_after_the_last_waits_for_a_later_one(
        tmp_path, monkeypatch, processes):
    if processes > 1:
        rank_zero_of_two(monkeypatch)
    snap, tap = started(project(tmp_path, mlp({"epochs": 5})), processes)
    assert snap.processes == processes
    for epoch, listed in [(0, 1), (1, 1), (2, 3)]:
        if epoch == 2:  # the listing before it is as old as the window's look-ups
            snap.listed_at -= run_snapshot.LIVE_S
        heard(snap, tap, epoch_end(epoch, 1.0 - epoch / 10))
        assert read_index(runs_folder(snap.args.file))[0]["epoch"] == listed


def test_a_listing_waits_ten_times_what_the_last_one_took(tmp_path, monkeypatch):
    snap, tap = started(project(tmp_path, mlp({"epochs": 9})), epochs=9)
    heard(snap, tap, epoch_end(0, 0.9))
    snap.cost = 1.0  # a listing that took a second: the next waits 10 s, not 2
    for epoch, waited, listed in [(1, run_snapshot.LIVE_S, 1), (2, 10.0, 3)]:
        snap.listed_at = time.monotonic() - waited - 0.01
        heard(snap, tap, epoch_end(epoch, 0.8))
        assert read_index(runs_folder(snap.args.file))[0]["epoch"] == listed


@pytest.mark.parametrize("save, no_keep, kept", [
    (None, False, "no epoch-end snapshot yet"), ("net.keras", False, "no epoch-end snapshot yet"),
    (None, True, "it keeps no epoch-end snapshot (--no-keep)")])
def test_one_process_is_listed_at_each_epoch_end_and_never_per_batch(
        tmp_path, monkeypatch, save, no_keep, kept):
    snap, tap = started(project(tmp_path, mlp({"epochs": 5})), save=save and str(
        tmp_path / save), no_keep=no_keep)
    folder, listings = runs_folder(snap.args.file), writes(monkeypatch)
    for batch in range(50):
        heard(snap, tap, ev.BatchEnd(epoch=0, batch=batch, steps=50, logs={"loss": 0.9}))
    assert listings == []
    heard(snap, tap, epoch_end(0, 0.8))
    [entry] = read_index(folder)
    assert (len(listings), entry["status"], entry["epoch"], entry["saved"]) == (
        1, RUNNING, 1, None)
    assert entry[PROCESS]["pid"] == os.getpid()  # this process, not a launcher
    assert entry["message"] == f"Training in `kerascanvas run`: epoch 1 of 5 has ended; {kept}."
    assert entry[PROCESS]["if_ended"].endswith(
        ": nothing of its model was kept. The curves and metrics up to epoch 1 are kept in "
        "the run.")
    [record], problem = load_runs(folder)
    assert problem is None and record.status == RUNNING
    assert metrics_text(record) == "epoch 1/5: accuracy 0.5, loss 0.8"  # the window's row


def test_one_process_listed_after_its_snapshot_names_it_with_the_epoch_it_holds(tmp_path):
    snap, tap = started(project(tmp_path, mlp({"epochs": 9})), epochs=9)
    heard(snap, tap, epoch_end(0, 0.9))
    heard(snap, tap, epoch_end(1, 0.8))
    open(snap.path, "wb").close()  # the snapshot of epoch 2, written whole with its record
    run_record.write(snap.path, "sklearn:iris", {}, 2, 9)
    snap.written(snap.path, 2)
    heard(snap, tap, epoch_end(1, 0.8))  # the same epoch's end, heard after: listed already
    assert read_index(snap.folder)[0]["epoch"] == 2
    snap.listed_at -= run_snapshot.LIVE_S
    heard(snap, tap, epoch_end(2, 0.7))
    [entry] = read_index(snap.folder)
    assert (entry["epoch"], entry["saved"]) == (3, f"run_{snap.number}.last.keras")
    kept = f"A snapshot of the model as trained after epoch 2 is kept at {snap.path}"
    assert entry["message"].startswith(
        f"Training in `kerascanvas run`: epoch 3 of 9 has ended. {kept}")
    entry[PROCESS]["pid"] = 2 ** 22 + 1  # its process gone, as a reader finds it
    gone = judged(entry)
    assert gone["status"] == "interrupted" and kept in gone["message"]
    assert gone["message"].endswith("The curves and metrics up to epoch 3 are kept in the run.")
    assert [len(v) for v in entry["curves"]["epochs"]["loss"]] == [3, 3]


def test_a_window_run_on_two_processes_is_listed_again_when_an_epoch_ended(tmp_path):
    """The window's run on several processes keeps no snapshot: each look (every 2 s)
    lists it again once an epoch has ended since, with its curves up to that epoch."""
    from kerascanvas.app.training.records import RunRecord
    from kerascanvas.app.training.run_listing import RunListing

    record = RunRecord(1, {"epochs": 5}, processes=2, folder=str(tmp_path), status=RUNNING)
    listing = RunListing(record, str(tmp_path / "run_1.last.keras"))
    listing.begin()
    assert not listing.follow()  # no epoch has ended
    record.curves.add_epoch(0, {"accuracy": 0.5, "loss": 0.8})
    record.epoch, record.epochs_done = 1, 1
    assert listing.follow() and not listing.follow()  # once per epoch ended
    [entry] = read_index(tmp_path)
    assert (entry["status"], entry["epoch"], entry["saved"]) == (RUNNING, 1, None)
    assert "no epoch-end snapshot on 2 processes" in entry["message"]
    [listed], _ = load_runs(tmp_path)
    assert metrics_text(listed) == "epoch 1/5: accuracy 0.5, loss 0.8"


class Lines(threading.Thread):
    """Reads a pipe's text as it comes; `text` holds what was read so far."""

    def __init__(self, pipe) -> None:
        super().__init__(daemon=True)
        self.pipe, self.text = pipe, ""

    def run(self) -> None:
        for chunk in iter(lambda: self.pipe.read(1), ""):
            self.text += chunk


@pytest.mark.slow  # a launcher and two ranks, each importing keras and torch: 15-45 s
@pytest.mark.timeout(900)
def test_a_run_on_two_processes_shows_its_epochs_while_it_trains(tmp_path):
    path = project(tmp_path, mlp({"epochs": 1000}))
    child = subprocess.Popen(
        [sys.executable, "-m", "kerascanvas.app", "run", path, "--nproc-per-node", "2",
         "--threads", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        cwd=ROOT, env={**os.environ, "OMP_NUM_THREADS": "1"}, start_new_session=True)
    err = Lines(child.stderr)
    err.start()
    try:
        # An epoch's line, as one process prints it, before the 1000 epochs could end.
        wait_for(lambda: "\nEpoch 2/1000 - " in err.text or child.poll() is not None, 600)
        assert child.poll() is None, err.text[-3000:]
        listed = wait_for(lambda: [e for e in read_index(runs_folder(path))
                                   if e["epoch"] >= 1 or child.poll() is not None], 120)
        assert child.poll() is None, err.text[-3000:]
        [entry] = listed
        assert entry["status"] == RUNNING and entry["processes"] == 2
        assert entry["result"] is None and len(entry["curves"]["epochs"]["loss"][1]) >= 1
        os.kill(child.pid, signal.SIGINT)  # the launcher passes it on: every rank stops
        assert child.wait(timeout=300) == 130, err.text[-3000:]
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait(60)
    err.join(60)
    [entry] = read_index(runs_folder(path))
    assert entry["status"] == "stopped" and entry["epoch"] < 1000
    assert err.text.count("Epoch 1/1000 - ") == 1  # rank 0 alone prints
