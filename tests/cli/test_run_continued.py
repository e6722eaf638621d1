"""A killed `kerascanvas run --save` continued by `--resume` back to the same --save file:
the killed run's entry stops naming the snapshot the continuing run writes over, and says
which run continued it."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from kerascanvas.runtime.cli.kept_runs import runs_folder
from kerascanvas.runtime.cli.run_continued import CONTINUED_BY, superseded
from kerascanvas.runtime.run_record import read_index
from kerascanvas.runtime.runs_index import PROCESS, judged
from kerascanvas.runtime.snapshot import MIN_INTERVAL_ENV, snapshot_path
from tests.cli.test_run_snapshot import _entries
from tests.runtime.test_run import classifier, project

ENV = {**os.environ, "KERAS_BACKEND": "torch", "OMP_NUM_THREADS": "1",
       MIN_INTERVAL_ENV: "3"}  # no snapshot cut short by a kill (test_run_snapshot)


def _child(path, save, *extra):
    return subprocess.Popen(
        [sys.executable, "-m", "kerascanvas.app", "run", path, "--data", "synthetic:300",
         "--save", str(save), "--no-progress", "--threads", "1", *extra],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=ENV)


def _until(child, done, deadline):
    while not done() and time.monotonic() < deadline:
        assert child.poll() is None, child.communicate()[1][-2000:]
        time.sleep(0.05)
    assert done(), "timed out"


@pytest.mark.slow  # two processes training one after the other: 30 s idle, more loaded
@pytest.mark.timeout(600)
def test_a_killed_run_continued_to_its_save_file_says_which_run_holds_its_model(tmp_path):
    path = project(tmp_path, classifier(training={"epochs": 1000, "batch_size": 16}))
    folder, save = runs_folder(path), tmp_path / "net.keras"
    snapshot, deadline = snapshot_path(save), time.monotonic() + 400
    first = _child(path, save)
    _until(first, lambda: any(e["saved"] for e in _entries(folder)), deadline)
    first.kill()
    first.communicate(timeout=60)
    [killed] = read_index(folder)
    assert judged(killed)["saved"] == "../net.last.keras"  # its snapshot, before the resume
    second = _child(path, save, "--resume", snapshot)  # writes net.last.keras in its turn
    _until(second, lambda: any(e["number"] != killed["number"] and e["saved"]
                               for e in _entries(folder)), deadline)
    second.kill()
    second.communicate(timeout=60)
    old, new = read_index(folder)
    assert (old["saved"], old[CONTINUED_BY], old["status"]) == (
        None, new["number"], "interrupted")
    assert f"which writes its own model to that file: no model of this run is kept. " \
           f"Continue Run {new['number']} to go on from it." in old["message"]
    # The continuing run continues the killed one (not itself: it lists the same file).
    assert (new["resumed_from"], new["saved"]) == (old["number"], "../net.last.keras")
    assert new[PROCESS]["pid"] == second.pid and judged(new)["status"] == "interrupted"
    assert "kept at" in judged(new)["message"] and os.path.isfile(snapshot)


@pytest.mark.parametrize(("theirs", "ours", "file", "gone"), [
    ("../net.last.keras", "../net.keras", False, True),  # removed once --save was written
    ("../net.last.keras", "../net.last.keras", True, True),  # its snapshot over the file
    ("../net.last.keras", None, True, False),  # not trained yet: the file is still its
    ("run_1.last.keras", "trained_1.keras", True, False),  # without --save: left as is
])
def test_a_listed_run_is_superseded_only_once_its_model_file_is_no_longer_its(
        tmp_path, theirs, ours, file, gone):
    folder = tmp_path / "model.runs"
    folder.mkdir()
    if file:
        (folder / theirs).write_bytes(b"model")
    previous = {"number": 1, "uid": "a", "status": "interrupted", "saved": theirs,
                "message": "Killed. A snapshot of the model as trained after epoch 2 is kept "
                           "at X: Continue the run. The curves and metrics up to epoch 2 "
                           "are kept in the run."}
    entry = {"number": 2, "uid": "b", "saved": ours}
    found = superseded(previous, entry, folder, str(folder / theirs))
    assert (found is not None) == gone
    if gone:
        assert (found["saved"], found[CONTINUED_BY], found["uid"]) == (None, 2, "a")
        assert found["message"].startswith("Killed. Its model, ")
        assert found["message"].endswith(". The curves and metrics up to epoch 2 are kept "
                                         "in the run.")
        assert "kept at X" not in found["message"]


def test_a_run_still_training_is_not_superseded(tmp_path):
    previous = {"number": 1, "uid": "a", "status": "running", "saved": "gone.keras",
                "message": "Training.", PROCESS: {"pid": os.getpid(), "host": os.uname()[1]}}
    assert superseded(previous, {"number": 2, "saved": None}, tmp_path, "x.keras") is None
