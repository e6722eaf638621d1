"""`kerascanvas run --save` killed or aborted mid-training: its epoch-end snapshot is kept
(and named when the command can still speak: a second Ctrl+C), and `--resume` goes on
from it."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import keras
import pytest

from kerascanvas.app.cli import main
from kerascanvas.runtime import run_record
from kerascanvas.runtime.cli.run import _say_snapshot, _snapshot_identity
from kerascanvas.runtime.snapshot import MIN_INTERVAL_ENV, snapshot_path
from tests.runtime.test_run import classifier, project


@pytest.mark.parametrize("abort", [KeyboardInterrupt, SystemExit])
def test_an_aborted_run_names_the_snapshot_it_wrote_and_how_to_go_on(tmp_path, capsys, abort):
    args = argparse.Namespace(save=str(tmp_path / "net.keras"), file="model.json")
    snapshot = snapshot_path(args.save)
    before = _snapshot_identity(args.save)
    with pytest.raises(abort), _say_snapshot(args, before):
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
    with pytest.raises(KeyboardInterrupt), _say_snapshot(args, _snapshot_identity(args.save)):
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
