"""A window's run killed together with the window (the app killed with SIGKILL, a power
cut) is not lost: it is listed as running from its start and at each snapshot the window
sees (`run_listing`), its worker ends with the window, and the next open of the project
lists it "interrupted", naming the snapshot it kept, which Continue goes on from."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from kerascanvas.app.training.controller import TrainingController
from kerascanvas.app.training.history import load_runs
from kerascanvas.app.training.panel import TrainingPanel
from kerascanvas.app.training.records import progress_text
from kerascanvas.app.training.run_listing import IF_ENDED
from kerascanvas.graph.project import Project
from kerascanvas.runtime import run_record, runs_index
from kerascanvas.runtime.snapshot import MIN_INTERVAL_ENV
from kerascanvas.runtime.worker import TrainingRun
from tests.runtime.test_run import classifier, project

from .training_fakes import epoch, started, training_panel

# The window's side of a run, without its widgets: the run is numbered and its worker (a
# real child process training) started as the controller does, and listed as the panel
# does (at the start, then at each snapshot seen; its curves, fed by the window's event
# reader, are left out here). It prints the worker's pid, then each epoch a listing holds.
WINDOW = textwrap.dedent("""
    import json, os, sys, time
    from pathlib import Path
    from kerascanvas.app.training.records import RunRecord
    from kerascanvas.app.training.run_listing import RunListing
    from kerascanvas.runtime import runs_index
    from kerascanvas.runtime.worker import TrainingRun

    if __name__ == "__main__":
        path, folder = sys.argv[1], Path(sys.argv[2])
        number = runs_index.reserve_number(folder)
        document = json.loads(Path(path).read_text())
        record = RunRecord(number, document["training"], folder=str(folder),
                           status="running", epochs=1000)
        run = TrainingRun(document, {}, save_path=str(folder / f"run_{number}.keras"))
        run.start()
        listing = RunListing(record, str(folder / f"run_{number}.last.keras"))
        listing.begin()
        print("worker", run.process.pid, flush=True)
        while True:
            if listing.follow():
                print("listed", runs_index.read_index(folder)[-1]["epoch"], flush=True)
            time.sleep(0.1)
""")


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


@pytest.fixture
def panel(qtbot, tmp_path):
    yield from training_panel(qtbot, tmp_path)


def test_a_window_run_is_listed_running_from_its_start_then_at_each_snapshot(
        panel, qtbot, tmp_path):
    run, record = started(panel, qtbot)
    qtbot.waitUntil(lambda: not panel.index_writes.busy, timeout=10_000)  # off the GUI thread
    [begun] = runs_index.read_index(tmp_path)
    assert (begun["uid"], begun["number"], begun["status"], begun["saved"]) == (
        record.uid, record.number, "running", None)
    assert begun[runs_index.PROCESS]["pid"] == os.getpid()
    assert runs_index.judged(begun, tmp_path)["status"] == "running"  # this process lives
    [as_another_sees_it], _ = load_runs(tmp_path)  # another window reading the index
    assert progress_text(as_another_sees_it) == (f"Run {record.number} running in another "
                                                 "window · 0 of 3 epochs ended")
    run.push(*epoch(0), *epoch(1), *epoch(2)[:2])
    snapshot = tmp_path / f"run_{record.number}.last.keras"
    snapshot.write_bytes(b"a model")  # as the worker writes it, then its record
    run_record.write(str(snapshot), "sklearn:iris", {}, 2, 3)
    qtbot.waitUntil(lambda: bool(runs_index.read_index(tmp_path)[0]["saved"]), timeout=10_000)
    [listed] = runs_index.read_index(tmp_path)
    assert (listed["status"], listed["saved"], listed["epoch"]) == (
        "running", snapshot.name, 2)
    assert listed["curves"]["epochs"]["loss"][0] == [1.0, 2.0]  # up to the snapshot
    # Found gone (here: the process's start time made another's), it reads interrupted
    # with the snapshot as its model; the panel's own run is not judged so.
    gone = {**listed, runs_index.PROCESS: {**listed[runs_index.PROCESS], "started": -1}}
    judged = runs_index.judged(gone, tmp_path)
    assert (judged["status"], judged["saved"], judged["epoch"]) == (
        "interrupted", snapshot.name, 2)
    assert f"after epoch 2 is kept at {snapshot}" in judged["message"]
    assert judged["message"].endswith("The curves and metrics up to epoch 2 are kept in "
                                      "the run.")
    assert record.status == "running" and panel.controller.current is record
    run.push({"event": "result", "status": "finished", "saved": run.save_path})
    qtbot.waitUntil(lambda: not record.active and not panel.index_writes.busy,
                    timeout=10_000)  # its end is written off the GUI thread
    [ended] = runs_index.read_index(tmp_path)  # its end replaced it
    assert (ended["uid"], ended["status"], runs_index.PROCESS in ended) == (
        record.uid, "finished", False)


def test_the_window_reading_its_own_run_back_keeps_it_as_its_own(panel, qtbot, tmp_path):
    """Its project opened again while its run trains: the index lists that run as
    running by this very process; the row is the run in training, not another's."""
    path = project(tmp_path, classifier())
    panel.follow_project(path)
    qtbot.waitUntil(lambda: not panel.reader.busy, timeout=10_000)
    run, record = started(panel, qtbot)
    panel.follow_project(project(tmp_path, classifier(), name="other.json"))
    panel.follow_project(path)
    qtbot.waitUntil(lambda: not panel.reader.busy, timeout=10_000)
    assert panel.controller.runs == [record] and record.process is None
    assert panel.runs.topLevelItem(0).text(1) == "running"
    run.push({"event": "result", "status": "stopped", "saved": run.save_path})
    qtbot.waitUntil(lambda: not record.active and not panel.index_writes.busy,
                    timeout=10_000)  # its end is written off the GUI thread
    [ended] = runs_index.read_index(tmp_path / "model.runs")
    assert (ended["status"], runs_index.PROCESS in ended) == ("stopped", False)


@pytest.fixture
def killed_window(tmp_path):
    """A project whose window was killed with SIGKILL while its run trained, after the
    window listed a snapshot: (project path, runs folder, the epoch listed)."""
    path = project(tmp_path, classifier(training={"epochs": 1000, "batch_size": 16,
                                                    "data": "synthetic:300"}))
    folder = tmp_path / "model.runs"
    env = {**os.environ, "KERAS_BACKEND": "torch", "OMP_NUM_THREADS": "1",
           MIN_INTERVAL_ENV: "3"}  # no snapshot cut short by the kill
    script = tmp_path / "window.py"  # a file: the worker's spawn re-imports its main
    script.write_text(WINDOW)
    window = subprocess.Popen([sys.executable, str(script), path, str(folder)],
                              stdout=subprocess.PIPE, text=True, env=env)
    worker = None
    try:
        worker = int(window.stdout.readline().split()[1])
        [begun] = runs_index.read_index(folder)
        assert (begun["status"], begun["saved"]) == ("running", None)
        assert runs_index.judged(begun, folder)["status"] == "running"
        line = window.stdout.readline()  # within 240 s, or the test's timeout ends it
        assert line.startswith("listed"), line
        window.send_signal(signal.SIGKILL)
        window.wait(timeout=30)
        deadline = time.monotonic() + 30  # the worker ends with its window
        while not _gone(worker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _gone(worker)
    finally:
        window.kill()
        window.wait(timeout=30)
        if worker is not None and not _gone(worker):
            os.kill(worker, signal.SIGKILL)
    return path, folder, int(line.split()[1])


@pytest.mark.slow  # two processes importing keras and torch: 20 s idle, 90 s loaded
@pytest.mark.timeout(600)
def test_a_run_killed_with_its_window_is_listed_interrupted_with_its_snapshot(
        killed_window, qtbot):
    path, folder, listed = killed_window
    [entry] = runs_index.read_index(folder)
    number, snapshot = entry["number"], folder / f"run_{entry['number']}.last.keras"
    held, planned = run_record.resume_point(run_record.read(str(snapshot)))
    assert held >= listed >= 1 and planned == 1000
    [record], problem = load_runs(folder)  # as the next open of the project reads it
    assert problem is None and record.status == "interrupted"
    assert record.saved_path == str(snapshot) and record.epoch == held
    assert record.message.startswith(IF_ENDED)
    assert f"after epoch {held} is kept at {snapshot}: Continue the run" in record.message
    assert f"kerascanvas run {path} --resume {snapshot}" in record.message
    panel = TrainingPanel(Project.open(path), TrainingController(TrainingRun))
    qtbot.addWidget(panel)
    try:
        panel.follow_project(str(path))
        qtbot.waitUntil(lambda: not panel.reader.busy, timeout=10_000)
        item = panel.runs.topLevelItem(0)
        assert (item.text(0), item.text(1)) == (f"Run {number}", "interrupted")
        panel.runs.setCurrentItem(item)
        assert panel.continue_button.isEnabled()
        panel.continue_to.setValue(held + 1)
        panel.continue_button.click()
        qtbot.waitUntil(lambda: not panel.controller.is_active, timeout=240_000)
        resumed = panel.controller.runs[-1]
        assert (resumed.status, resumed.resumed_from, resumed.initial_epoch) == (
            "finished", number, held)
    finally:
        panel.shutdown()
    # The index now holds the killed run as interrupted, and its continuation.
    killed, continued = runs_index.read_index(folder)
    assert (killed["status"], killed["saved"], continued["resumed_from"]) == (
        "interrupted", snapshot.name, number)
    assert Path(folder / continued["saved"]).exists()
