"""The exit codes of `kerascanvas run --nproc-per-node N` mean what the README says
without any signal too: a rank's error is a failure (3), never a stop (130) or a
refusal (1); a signal torchrun's agent handles gives the shell's code for it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from torch.distributed.elastic.multiprocessing.api import SignalException
from torch.distributed.elastic.multiprocessing.errors import ChildFailedError, ProcessFailure

from kerascanvas.runtime.cli import rank as rank_module
from kerascanvas.runtime.cli import run_launch
from kerascanvas.runtime.cli.crash import EXIT_INTERNAL
from kerascanvas.runtime.launch import Launch, describe_failure
from tests.cli.test_run_signals import STARTUP_S
from tests.runtime.test_run import classifier, project
from tests.runtime.test_run import run as run_command

ROOT = Path(__file__).resolve().parents[2]


def run_launch_args(tmp_path) -> SimpleNamespace:
    return SimpleNamespace(threads=1, file=str(tmp_path / "model.json"))


def test_a_signal_the_agent_handles_exits_with_its_shell_code(monkeypatch, capsys, tmp_path):
    def agent_signalled(config):
        raise SignalException("Process 1 got signal: 1", sigval=signal.SIGHUP)

    monkeypatch.setattr("torch.distributed.run.run", agent_signalled)
    args = run_launch_args(tmp_path)
    assert run_launch.start_ranks(args, Launch(2), 1, 3) == 128 + signal.SIGHUP
    err = capsys.readouterr().err
    assert "SIGHUP: torchrun ended every rank; rank 0 kept the model" in err


def test_a_ranks_unexpected_error_is_a_crash_report_not_a_refusal(monkeypatch, capsys,
                                                                   tmp_path):
    def broken_run(args):
        raise RuntimeError("a bug of ours")

    monkeypatch.setattr("kerascanvas.runtime.cli.run.run", broken_run)
    monkeypatch.setenv("KERASCANVAS_DATA_DIR", str(tmp_path / "data"))
    arguments = tmp_path / "args.json"
    arguments.write_text(json.dumps({"file": "model.json"}))
    assert rank_module.main([str(arguments)]) == EXIT_INTERNAL
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: a bug of ours" in err and "Traceback" not in err
    assert json.loads((tmp_path / "rank-0.json").read_text())["rank"] == 0


def failure(rank: int, code: int) -> ProcessFailure:
    return ProcessFailure(local_rank=rank, pid=100 + rank, exitcode=code, error_file="")


def test_ranks_that_crashed_are_a_failure_naming_the_internal_error():
    both = ChildFailedError("r", {0: failure(0, EXIT_INTERNAL), 1: failure(1, EXIT_INTERNAL)})
    outcome = describe_failure(both, Launch(2))
    assert outcome.code == 3 and "failed with an internal error" in outcome.message
    one = describe_failure(ChildFailedError("r", {1: failure(1, 3), 0: failure(0, -15)}),
                           Launch(2))
    assert outcome.code == one.code == 3 and "stopped by" not in one.message


def failing_run(tmp_path, path: str, at: str, rank: str,
                **more: str) -> subprocess.CompletedProcess:
    """`kerascanvas run --nproc-per-node 2` whose rank `rank` fails `at` (`failing_rank`,
    which `more` sets further)."""
    code = ("import sys; from kerascanvas.runtime.cli import run_launch; "
            "run_launch.RANK_MODULE = 'tests.cli.failing_rank'; "
            "from kerascanvas.app.cli import main; sys.exit(main(sys.argv[1:]))")
    env = {**os.environ, "KERAS_BACKEND": "torch", "OMP_NUM_THREADS": "1", "FAIL_AT": at,
           "FAIL_RANK": rank, "KERASCANVAS_DATA_DIR": str(tmp_path / "data"), **more,
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, "-c", code, "run", path, "--data", "synthetic:400", "--threads",
         "1", "--no-progress", "--nproc-per-node", "2"], capture_output=True, text=True,
        env=env, cwd=ROOT, timeout=3 * STARTUP_S)


@pytest.mark.slow  # a launcher and two ranks, each importing keras and torch
@pytest.mark.timeout(1200)
def test_an_error_in_rank_0s_final_evaluation_keeps_the_trained_model(tmp_path):
    from kerascanvas.runtime.cli.kept_runs import runs_folder
    from kerascanvas.runtime.run_record import read_index

    path = project(tmp_path, classifier(training={"epochs": 2, "batch_size": 16}))
    done = failing_run(tmp_path, path, "evaluation", "0")
    assert done.returncode == 3, done.stderr[-3000:]
    assert "final evaluation on the validation data failed after training" in done.stderr
    assert "RuntimeError: injected failure in the final evaluation" in done.stderr
    kept = runs_folder(path) / "stopped_1.keras"
    assert kept.exists() and f"Saved the model to {kept}" in done.stderr
    (entry,) = read_index(runs_folder(path))
    assert entry["status"] == "failed" and entry["saved"] == "stopped_1.keras"
    assert entry["epoch"] == 2 and "final evaluation" in entry["message"]


@pytest.mark.slow  # a launcher and two ranks, each importing keras and torch
@pytest.mark.timeout(1200)
@pytest.mark.parametrize("at", ["batch", "evaluation"])
def test_an_error_in_one_rank_ends_the_launcher_with_3_naming_the_rank(tmp_path, at):
    path = project(tmp_path, classifier(training={"epochs": 2, "batch_size": 16}))
    done = failing_run(tmp_path, path, at, "1")
    assert done.returncode == 3, done.stderr[-3000:]
    assert "ended because rank 1 " in done.stderr
    assert "stopped by" not in done.stderr and "interrupted" not in done.stderr
    if at == "evaluation":  # after `fit`: a failed run that keeps the model, no traceback
        assert "rank 1 exited with code 3" in done.stderr
        assert "[rank1]: Traceback" not in done.stderr


@pytest.mark.slow  # a launcher and two ranks, each importing keras and torch
@pytest.mark.timeout(1200)
def test_rank_0_keeps_the_model_when_rank_1_fails_while_it_is_busy(tmp_path):
    """Rank 1 fails in epoch 2 while rank 0 is in a long step: torchrun's SIGTERM reaches
    rank 0 before any collective tells it, and used to end it with the model unsaved."""
    import keras

    from kerascanvas.runtime.cli.kept_runs import runs_folder
    from kerascanvas.runtime.run_record import read_index

    path = project(tmp_path, classifier(training={"epochs": 3, "batch_size": 16}))
    done = failing_run(tmp_path, path, "batch", "1", FAIL_EPOCH="1", BUSY_S="60")
    assert done.returncode == 3, done.stderr[-3000:]
    assert "Training stopped in epoch 2, batch 3: another process of this run failed" in \
        done.stderr
    assert "ended because rank 1 exited with code 3 after an error in epoch 2, batch 3: " \
        "RuntimeError: injected failure in training" in done.stderr
    kept = runs_folder(path) / "stopped_1.keras"
    assert f"Saved the model to {kept}" in done.stderr
    assert keras.saving.load_model(kept, safe_mode=True).count_params() == \
        4 * 8 + 8 + 8 * 3 + 3
    (entry,) = read_index(runs_folder(path))
    assert entry["status"] == "failed" and entry["epoch"] == 1


@pytest.mark.slow  # a launcher and two ranks, each importing keras and torch
@pytest.mark.timeout(1200)
def test_a_rank_that_hangs_is_named_and_sigquit_ends_the_run_keeping_the_model(tmp_path):
    """A real hung rank (asleep in a callback): rank 0 names it once it has waited 3 s,
    and SIGQUIT to the launcher ends the run with rank 0's model kept."""
    import threading
    import time

    from kerascanvas.runtime.cli.kept_runs import runs_folder

    path = project(tmp_path, classifier(training={"epochs": 3, "batch_size": 16}))
    code = ("import sys; from kerascanvas.runtime.cli import run_launch; "
            "run_launch.RANK_MODULE = 'tests.cli.failing_rank'; "
            "from kerascanvas.app.cli import main; sys.exit(main(sys.argv[1:]))")
    env = {**os.environ, "KERAS_BACKEND": "torch", "OMP_NUM_THREADS": "1", "FAIL_AT": "hang",
           "FAIL_RANK": "1", "FAIL_EPOCH": "1", "KERASCANVAS_RANK_SILENT_S": "3",
           "KERASCANVAS_DATA_DIR": str(tmp_path / "data"),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen(
        [sys.executable, "-c", code, "run", path, "--data", "synthetic:400", "--threads", "1",
         "--no-progress", "--nproc-per-node", "2"], stderr=subprocess.PIPE, text=True,
        env=env, cwd=ROOT)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stderr), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 3 * STARTUP_S
        while not any("has been silent" in line for line in lines) and \
                process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        process.send_signal(signal.SIGQUIT)
        process.wait(120)
    finally:
        if process.poll() is None:
            process.kill()
    reader.join(10)
    err = "".join(lines)
    (told,) = [line for line in lines if "has been silent" in line]
    assert told.startswith("kerascanvas run: rank 1 has been silent for "), err[-3000:]
    assert "(its last word: epoch 2, batch 2); the other ranks wait for it" in told
    assert process.returncode == 128 + signal.SIGQUIT, err[-3000:]
    assert "Training stopped in epoch 2, batch 3: another process of this run failed" in err
    assert (runs_folder(path) / "stopped_1.keras").exists()


@pytest.mark.slow  # a launcher and two ranks, each importing keras and torch
@pytest.mark.timeout(1200)
def test_a_nan_on_rank_1_ends_the_run_with_rank_0_keeping_the_last_finite_epoch(tmp_path):
    """Rank 1's NaN weights reach every rank through the averaged gradients; every rank
    stops. Rank 1 used to exit with 3 at once, so torchrun blamed it and ended rank 0
    while it was keeping the model."""
    import keras
    import numpy as np

    from kerascanvas.runtime.cli.kept_runs import runs_folder

    path = project(tmp_path, classifier(training={"epochs": 3, "batch_size": 16}))
    done = failing_run(tmp_path, path, "nan", "1", FAIL_EPOCH="1")
    assert done.returncode == 3, done.stderr[-3000:]
    assert "The loss became NaN or infinite at epoch 2" in done.stderr
    assert "ended because rank 0 exited with code 3" in done.stderr, done.stderr[-3000:]
    kept = keras.saving.load_model(runs_folder(path) / "stopped_1.keras", safe_mode=True)
    assert all(np.isfinite(w).all() for w in kept.get_weights())


def test_a_rank_runs_with_the_arguments_its_launcher_wrote(monkeypatch, tmp_path):
    """The launcher's arguments hold what its own checks added (the graph's key, which the
    runs index keeps); a rank's run takes them as they are. It added the key again and
    every rank ended on a TypeError (exit 70) before training."""
    written = {}

    def torchrun(launch, module, argv, *rest, **options):
        written.update(json.loads(Path(argv[0]).read_text()))
        return SimpleNamespace(code=0, message="")

    monkeypatch.setattr("kerascanvas.runtime.launch.launch", torchrun)
    monkeypatch.setenv("KERASCANVAS_DATA_DIR", str(tmp_path / "data"))
    path = project(tmp_path, classifier(training={"epochs": 1}))
    assert run_command(path, "--nproc-per-node", "2") == 0
    assert written["trained_graph"] and written["file"] == path
    arguments = tmp_path / "args.json"  # what a rank reads, here as the only rank
    arguments.write_text(json.dumps({**written, "nproc_per_node": 1}))
    assert rank_module.main([str(arguments)]) == 0
