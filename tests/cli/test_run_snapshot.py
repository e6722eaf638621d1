"""`kerascanvas run --save` killed or aborted mid-training: its epoch-end snapshot is kept
(and named when the command can still speak: a second Ctrl+C), and `--resume` goes on
from it."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import zipfile

import keras
import pytest
import torch

from kerascanvas.app.cli import main
from kerascanvas.runtime import run_record
from kerascanvas.runtime.cli import run_snapshot
from kerascanvas.runtime.cli.kept_runs import CurveTap, runs_folder
from kerascanvas.runtime.cli.run_continued import CONTINUED_BY
from kerascanvas.runtime.cli.run_fit import say_snapshot, snapshot_identity
from kerascanvas.runtime.run_record import read_index
from kerascanvas.runtime.runs_index import PROCESS, judged
from kerascanvas.runtime.snapshot import MIN_INTERVAL_ENV, snapshot_path
from tests.runtime.test_run import classifier, project


@pytest.mark.parametrize("abort", [KeyboardInterrupt, SystemExit])
def test_an_aborted_run_names_the_snapshot_it_wrote_and_how_to_go_on(tmp_path, capsys, abort):
    args = argparse.Namespace(save=str(tmp_path / "net.keras"), file="model.json")
    snapshot = snapshot_path(args.save)
    before = snapshot_identity(args.save)
    with pytest.raises(abort), say_snapshot(args, before):
        open(snapshot, "wb").close()
        run_record.write(snapshot, "synthetic:300", {}, 3, 10)
        raise abort
    err = capsys.readouterr().err
    assert (f"aborted without saving. A snapshot of the model as trained after epoch 3 is "
            f"kept at {snapshot}") in err
    assert f"kerascanvas run model.json --resume {snapshot}" in err


def test_an_abort_says_nothing_of_a_snapshot_from_before_the_run(tmp_path, capsys):
    args = argparse.Namespace(save=str(tmp_path / "net.keras"), file="model.json")
    open(snapshot_path(args.save), "wb").close()  # an earlier run's, left as it was
    with pytest.raises(KeyboardInterrupt), say_snapshot(args, snapshot_identity(args.save)):
        raise KeyboardInterrupt
    assert "snapshot" not in capsys.readouterr().err


@pytest.mark.slow  # a second process importing keras and torch: 10 s idle, 60 s loaded
@pytest.mark.timeout(600)
def test_a_run_killed_with_sigkill_leaves_a_snapshot_that_resume_goes_on_from(
        tmp_path, capsys):
    path = project(tmp_path, classifier(training={"epochs": 1000, "batch_size": 16}))
    save = tmp_path / "net.keras"
    snapshot = snapshot_path(save)
    env = {**os.environ, "KERAS_BACKEND": "torch", "OMP_NUM_THREADS": "1",
           MIN_INTERVAL_ENV: "0"}
    child = subprocess.Popen(
        [sys.executable, "-m", "kerascanvas.app", "run", path, "--data", "synthetic:300",
         "--save", str(save), "--no-progress", "--threads", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 240
    while not run_record.record_path(snapshot).exists() and time.monotonic() < deadline:
        assert child.poll() is None, child.communicate()[1][-2000:]
        time.sleep(0.05)
    child.kill()
    child.communicate(timeout=60)
    reached, planned = run_record.resume_point(run_record.read(snapshot))
    assert reached >= 1 and planned == 1000 and not save.exists()
    keras.saving.load_model(snapshot, safe_mode=True)
    code = main(["run", path, "--resume", snapshot, "--epochs", str(reached + 1),
                 "--save", str(save), "--no-progress", "--threads", "1"])
    assert code == 0, capsys.readouterr().err[-2000:]
    assert run_record.resume_point(run_record.read(str(save)))[0] == reached + 1
    assert not os.path.exists(snapshot)  # the model kept supersedes it


def _entries(folder):
    try:
        return read_index(folder)
    except ValueError:  # being written (atomic rename): read it again
        return []


@pytest.mark.slow  # a second process importing keras and torch: 10 s idle, 60 s loaded
@pytest.mark.timeout(600)
def test_a_run_without_save_killed_with_sigkill_is_listed_with_its_snapshot(
        tmp_path, capsys):
    path = project(tmp_path, classifier(training={"epochs": 1000, "batch_size": 16}))
    folder = runs_folder(path)
    # One snapshot, then none for 3 s at least: the kill cannot cut the next one short
    # (its model written, its record not yet), which would leave the epoch unrecorded.
    env = {**os.environ, "KERAS_BACKEND": "torch", "OMP_NUM_THREADS": "1",
           MIN_INTERVAL_ENV: "3"}
    child = subprocess.Popen(
        [sys.executable, "-m", "kerascanvas.app", "run", path, "--data", "synthetic:300",
         "--no-progress", "--threads", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 240
    while not any(e["saved"] for e in _entries(folder)) and time.monotonic() < deadline:
        assert child.poll() is None, child.communicate()[1][-2000:]
        time.sleep(0.05)
    [live] = read_index(folder)  # while its process lives, the run reads running
    assert live[PROCESS]["pid"] == child.pid and judged(live)["status"] == "running"
    child.kill()
    child.communicate(timeout=60)
    [listed] = read_index(folder)
    entry = judged(listed)  # its process gone without an end: interrupted, not running
    snapshot = str(folder / entry["saved"])
    assert entry["saved"] == f"run_{entry['number']}.last.keras"
    assert (listed["status"], entry["status"]) == ("running", "interrupted")
    reached, planned = run_record.resume_point(run_record.read(snapshot))
    shown = entry["epoch"]  # the snapshot's, or a later epoch end listed since
    assert reached >= 1 and planned == 1000 and shown >= reached
    assert f"after epoch {reached} is kept at {snapshot}" in entry["message"]
    assert f"kerascanvas run {path} --resume {snapshot}" in entry["message"]
    assert entry["message"].endswith(f"The curves and metrics up to epoch {shown} are kept "
                                     "in the run.")
    assert entry["curves"]["epochs"]["loss"][0] == [float(e + 1) for e in range(shown)]
    assert max(entry["curves"]["batch_loss"][0]) == shown
    keras.saving.load_model(snapshot, safe_mode=True)
    code = main(["run", path, "--resume", snapshot, "--epochs", str(reached + 1),
                 "--no-progress", "--threads", "1"])
    assert code == 0, capsys.readouterr().err[-2000:]
    killed, resumed = read_index(folder)  # the resumed run's listing wrote it interrupted
    assert resumed["resumed_from"] == killed["number"] and resumed["epoch"] == reached + 1
    assert (killed["status"], killed["message"]) == ("interrupted", entry["message"])
    assert resumed["saved"] == "trained_1.keras" and os.path.exists(snapshot)
    assert sorted(p.name for p in folder.glob("*.keras")) == [
        f"run_{killed['number']}.last.keras", "trained_1.keras"]  # the resumed run's is gone


@pytest.mark.slow  # a second process importing keras and torch: 10 s idle, 60 s loaded
@pytest.mark.timeout(600)
def test_a_run_with_save_killed_with_sigkill_is_listed_interrupted_with_its_snapshot(
        tmp_path, capsys):
    path = project(tmp_path, classifier(training={"epochs": 1000, "batch_size": 16}))
    folder, save = runs_folder(path), tmp_path / "net.keras"
    env = {**os.environ, "KERAS_BACKEND": "torch", "OMP_NUM_THREADS": "1",
           MIN_INTERVAL_ENV: "3"}  # no snapshot cut short by the kill (see above)
    child = subprocess.Popen(
        [sys.executable, "-m", "kerascanvas.app", "run", path, "--data", "synthetic:300",
         "--save", str(save), "--no-progress", "--threads", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 240
    while not _entries(folder) and time.monotonic() < deadline:  # listed as it begins
        assert child.poll() is None, child.communicate()[1][-2000:]
        time.sleep(0.05)
    [begun] = read_index(folder)
    assert (judged(begun)["status"], begun[PROCESS]["pid"]) == ("running", child.pid)
    while not any(e["saved"] for e in _entries(folder)) and time.monotonic() < deadline:
        assert child.poll() is None, child.communicate()[1][-2000:]
        time.sleep(0.05)
    child.kill()
    child.communicate(timeout=60)
    [listed] = read_index(folder)
    entry, snapshot = judged(listed), snapshot_path(save)
    assert (entry["status"], entry["saved"]) == ("interrupted", "../net.last.keras")
    reached, planned = run_record.resume_point(run_record.read(snapshot))
    shown = entry["epoch"]  # the snapshot's, or a later epoch end listed since
    assert reached >= 1 and planned == 1000 and shown >= reached
    assert f"after epoch {reached} is kept at {snapshot}" in entry["message"]
    assert f"kerascanvas run {path} --resume {snapshot}" in entry["message"]
    code = main(["run", path, "--resume", snapshot, "--epochs", str(reached + 1),
                 "--save", str(save), "--no-progress", "--threads", "1"])
    assert code == 0, capsys.readouterr().err[-2000:]
    killed, resumed = read_index(folder)
    assert (killed["status"], resumed["resumed_from"], resumed["saved"]) == (
        "interrupted", killed["number"], "../net.keras")
    # The resumed run removed net.last.keras once net.keras was written: the killed run
    # names no model, and says which run continued it and where that run's model is.
    assert not os.path.exists(snapshot)
    assert (killed["saved"], killed[CONTINUED_BY]) == (None, resumed["number"])
    assert f"Continue Run {resumed['number']} to go on from it (its model is {save})" in \
        killed["message"] and "is kept at" not in killed["message"]
    assert killed["message"].startswith("The process of `kerascanvas run` ended during")
    assert killed["message"].endswith(f"The curves and metrics up to epoch {shown} are kept "
                                      "in the run.")


def test_a_run_without_save_snapshots_in_the_runs_folder_and_removes_it_at_its_end(
        tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(MIN_INTERVAL_ENV, "0")
    seen = []
    real = run_snapshot.RunSnapshot.written

    def written(self, path, epochs):  # what the entry says at each snapshot
        real(self, path, epochs)
        seen.append((os.path.basename(path), epochs, read_index(self.folder)[-1]))

    monkeypatch.setattr(run_snapshot.RunSnapshot, "written", written)
    path = project(tmp_path, classifier(training={"epochs": 3}))
    folder = runs_folder(path)
    assert main(["run", path, "--data", "synthetic:96", "--no-progress", "--threads", "1"]) \
        == 0, capsys.readouterr().err[-2000:]
    [entry] = read_index(folder)
    assert [(name, epochs) for name, epochs, _ in seen] == [
        (f"run_{entry['number']}.last.keras", 1), (f"run_{entry['number']}.last.keras", 2)]
    assert all(listed["number"] == entry["number"] and listed["epoch"] == epochs
               for _, epochs, listed in seen)
    # Listed while it trained as running, by this process: not as failed.
    assert all((listed["status"], listed[PROCESS]["pid"], judged(listed)["status"]) ==
               ("running", os.getpid(), "running") for _, _, listed in seen)
    assert entry["status"] == "finished" and entry["saved"] == "trained_1.keras"
    assert sorted(p.name for p in folder.iterdir() if "keras" in p.name) == [
        "trained_1.keras", "trained_1.keras.run.json"]


@pytest.mark.parametrize("save", [None, "net.keras"])
def test_a_run_on_one_process_is_listed_at_each_epoch_end_between_its_snapshots(
        tmp_path, monkeypatch, capsys, save):
    """Snapshots at least a minute apart (none in this run): the window following the
    project still sees each epoch end, with its curves (listings not throttled here)."""
    monkeypatch.delenv(MIN_INTERVAL_ENV, raising=False)
    monkeypatch.setattr(run_snapshot, "LIVE_S", 0.0)
    monkeypatch.setattr(run_snapshot, "COST_FACTOR", 0.0)
    seen = []
    real = run_snapshot.RunSnapshot._listed

    def listed(self, epochs):
        real(self, epochs)
        seen.append(read_index(self.folder)[-1])

    monkeypatch.setattr(run_snapshot.RunSnapshot, "_listed", listed)
    path = project(tmp_path, classifier(training={"epochs": 4}))
    saved = ["--save", str(tmp_path / save)] if save else []
    assert main(["run", path, "--data", "synthetic:96", *saved, "--no-progress",
                 "--threads", "1"]) == 0, capsys.readouterr().err[-2000:]
    [entry] = read_index(runs_folder(path))
    assert [(e["number"], e["status"], e["epoch"], e["saved"]) for e in seen] == [
        (entry["number"], "running", epoch, None) for epoch in (1, 2, 3, 4)]
    assert [len(e["curves"]["epochs"]["loss"][0]) for e in seen] == [1, 2, 3, 4]
    assert all(e[PROCESS]["pid"] == os.getpid() for e in seen)
    assert entry["status"] == "finished" and PROCESS not in entry


def test_no_keep_takes_no_snapshot_and_save_takes_it_beside_its_file(tmp_path):
    """Both are listed as running from their start all the same."""
    file = str(tmp_path / "m.json")
    no_keep = run_snapshot.start(argparse.Namespace(save=None, no_keep=True, file=file,
                                                    initial_epoch=0, resume=None),
                                 {}, CurveTap())
    save = run_snapshot.start(argparse.Namespace(save=str(tmp_path / "net.keras"),
                                                 no_keep=False, file=file, initial_epoch=0,
                                                 resume=None), {}, CurveTap())
    assert no_keep.path is None and no_keep.callback(None) is None
    assert save.path == str(tmp_path / "net.last.keras")
    assert [(e["number"], e["status"], e["saved"]) for e in read_index(runs_folder(file))] \
        == [(1, "running", None), (2, "running", None)]
    assert not list(runs_folder(file).glob("*.keras"))


def test_a_run_with_save_is_listed_running_at_its_start_and_at_each_snapshot(
        tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(MIN_INTERVAL_ENV, "0")
    seen = []
    for name in ("begin", "written"):
        real = getattr(run_snapshot.RunSnapshot, name)

        def listed(self, *args, real=real):
            real(self, *args)
            seen.append(read_index(self.folder)[-1])

        monkeypatch.setattr(run_snapshot.RunSnapshot, name, listed)
    path = project(tmp_path, classifier(training={"epochs": 3}))
    save = tmp_path / "net.keras"
    assert main(["run", path, "--data", "synthetic:96", "--save", str(save), "--no-progress",
                 "--threads", "1"]) == 0, capsys.readouterr().err[-2000:]
    [entry] = read_index(runs_folder(path))
    assert [(e["number"], e["status"], e["saved"], e["epoch"]) for e in seen] == [
        (entry["number"], "running", None, 0), (entry["number"], "running",
                                                "../net.last.keras", 1),
        (entry["number"], "running", "../net.last.keras", 2)]
    assert all(e[PROCESS]["pid"] == os.getpid() for e in seen)
    assert "after epoch 2 is kept at" in seen[-1][PROCESS]["if_ended"]
    assert (entry["status"], entry["saved"], PROCESS in entry) == ("finished", "../net.keras",
                                                                   False)
    assert not os.path.exists(snapshot_path(save))  # the model kept supersedes it


def test_a_run_without_save_that_runs_out_of_memory_keeps_its_snapshot_as_its_model(
        tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(MIN_INTERVAL_ENV, "0")
    real = run_snapshot.RunSnapshot.written

    def written(self, path, epochs):  # memory runs out right after the second snapshot
        real(self, path, epochs)
        if epochs == 2:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    monkeypatch.setattr(run_snapshot.RunSnapshot, "written", written)
    path = project(tmp_path, classifier(training={"epochs": 5}))
    folder = runs_folder(path)
    assert main(["run", path, "--data", "synthetic:96", "--no-progress", "--threads", "1"]) \
        == 3
    [entry] = read_index(folder)
    snapshot = str(folder / entry["saved"])
    assert entry["saved"] == f"run_{entry['number']}.last.keras" and entry["status"] == "failed"
    assert entry["message"].startswith("Out of memory on cpu while training")
    assert f"after epoch 2 is kept at {snapshot}" in entry["message"]
    err = capsys.readouterr().err
    assert f"after epoch 2 is kept at {snapshot}: Continue the run to go on from there, or " \
        f"run `kerascanvas run {path} --resume {snapshot}`." in err
    assert "Saved the model to" not in err  # said once
    assert run_record.resume_point(run_record.read(snapshot)) == (2, 5)


def test_a_run_without_save_is_listed_running_as_it_begins_and_failed_when_refused(
        tmp_path, monkeypatch, capsys):
    """Before its first epoch ends (nothing kept yet) the run is listed as running; a run
    whose resumed model cannot be loaded is then listed as failed, saying why."""
    begun = []
    real = run_snapshot.RunSnapshot.begin

    def begin(self):
        real(self)
        begun.append(read_index(self.folder)[-1])

    monkeypatch.setattr(run_snapshot.RunSnapshot, "begin", begin)
    path = project(tmp_path, classifier())
    # a .keras archive by its look (a zip with a config.json) that Keras cannot load; a file
    # that is no archive at all is refused before the run is listed
    with zipfile.ZipFile(tmp_path / "x.keras", "w") as archive:
        archive.writestr("config.json", "{not a model's config")
    assert main(["run", path, "--data", "synthetic:64", "--resume", str(tmp_path / "x.keras"),
                 "--no-progress", "--threads", "1"]) == 1
    [first] = begun
    assert (first["status"], first["saved"], first["epoch"]) == ("running", None, 0)
    assert judged(first)["status"] == "running" and "nothing of it was kept" in \
        first[PROCESS]["if_ended"]
    [entry] = read_index(runs_folder(path))
    assert (entry["number"], entry["status"]) == (first["number"], "failed")
    assert entry["message"].startswith(f"Could not load the model to continue from "
                                       f"{tmp_path / 'x.keras'}")
    assert PROCESS not in entry
