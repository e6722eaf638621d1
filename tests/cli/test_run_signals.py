"""`kerascanvas run` ended by a real SIGINT or SIGTERM: the model trained so far is kept,
the command says where it stopped and exits with 128 + the signal's number."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import keras
import pytest

from kerascanvas.app.cli import main
from kerascanvas.runtime import events as ev
from kerascanvas.runtime.cli.kept_runs import stopped_model_path
from kerascanvas.runtime.cli.stops import StopOnSignals, exit_code
from tests.runtime.test_run import classifier, project

STARTUP_S = 240  # keras and torch take a while to import on a loaded machine


def start_run(folder: Path, *flags: str) -> tuple[subprocess.Popen, Path]:
    """A long run (1000 epochs of 120 batches) of a tiny project in `folder`."""
    folder.mkdir()
    path = project(folder, classifier(training={"epochs": 1000, "batch_size": 2}))
    log = folder / "events.jsonl"
    env = {**os.environ, "KERAS_BACKEND": "torch", "OMP_NUM_THREADS": "1"}
    child = subprocess.Popen(
        [sys.executable, "-m", "kerascanvas.app", "run", path, "--data", "synthetic:300",
         "--log", str(log), "--no-progress", "--threads", "1", *flags],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    return child, log


def wait_for_an_epoch(child: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline and child.poll() is None:
        if log.exists() and '"epoch_end"' in log.read_text():
            return
        time.sleep(0.05)
    child.kill()
    raise AssertionError(f"no epoch ended: {child.communicate()[1][-2000:]}")


def check_stopped(signum: int, err: str, log: Path, saved: Path) -> None:
    """The command said where it stopped; the log's result and the saved model agree.

    The signal lands in an epoch ("during epoch 2, after 37 of 120 batches") or, when it
    comes while the epoch's end is handled, at that end ("after epoch 1")."""
    stopped = re.search(r"stopped by (SIG\w+)(?: \(Ctrl\+C\))?\. Stopped on request "
                        r"(?:during epoch (\d+), after (\d+) of (\d+) batches|after epoch "
                        r"(\d+)\.|while validating epoch (\d+), after)", err)
    assert stopped and stopped[1] == signal.Signals(signum).name, err[-2000:]
    events = [ev.from_wire(json.loads(line)) for line in log.read_text().splitlines()]
    steps = events[0].steps
    if stopped[2] is not None:
        complete, batches = int(stopped[2]) - 1, int(stopped[3])
        assert int(stopped[4]) == steps
    elif stopped[6] is not None:  # trained in full, validated in part: not counted
        complete, batches = int(stopped[6]) - 1, steps
    else:
        complete, batches = int(stopped[5]), 0
    result = events[-1]
    assert result.status == ev.STOPPED and result.epochs_run == complete >= 1
    # The model kept is scored, unless the stop came during validation; the command says
    # so, and how to skip it.
    assert ("scoring the model kept" in err) == (stopped[6] is None)
    assert bool(result.metrics) == (stopped[6] is None)
    assert Path(result.saved) == saved
    assert f"Saved the model to {saved}" in err and f"--resume {saved}" in err
    # What was trained up to the stop, by Keras' own count of the optimizer's steps.
    model = keras.saving.load_model(saved, safe_mode=True)
    assert int(model.optimizer.iterations) == complete * steps + batches
    record = json.loads(Path(f"{saved}.run.json").read_text())
    assert record["epochs"] == complete and record["data"] == "synthetic:300"


@pytest.mark.slow  # two processes that import keras and torch: 20 s idle, 60-80 s loaded
def test_sigint_and_sigterm_keep_the_model_say_where_and_exit_130_and_143(tmp_path):
    # Both runs at once: each spends most of its time importing keras and torch.
    runs = {signal.SIGINT: start_run(tmp_path / "int"),
            signal.SIGTERM: start_run(tmp_path / "term", "--save", str(tmp_path / "t.keras"))}
    for signum, (child, log) in runs.items():
        wait_for_an_epoch(child, log)
        child.send_signal(signum)
    for signum, (child, log) in runs.items():
        _, err = child.communicate(timeout=STARTUP_S)
        assert child.returncode == exit_code(signum) == 128 + signum, err[-2000:]
        check_stopped(signum, err, log, tmp_path / "t.keras" if signum == signal.SIGTERM
                      else tmp_path / "int" / "model.runs" / "stopped_1.keras")


def signal_after_an_epoch(log: Path, signum: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if log.exists() and '"epoch_end"' in log.read_text():
            os.kill(os.getpid(), signum)
            return
        time.sleep(0.02)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_real_signal_in_the_command_keeps_the_model_and_exits_128_plus_it(
        tmp_path, capsys, signum):
    """The same, with the command run in this process (no second keras import): the
    signal is a real one, sent to this process from another thread."""
    path = project(tmp_path, classifier(training={"epochs": 1000, "batch_size": 2}))
    log = tmp_path / "events.jsonl"
    threading.Thread(target=signal_after_an_epoch, args=(log, signum), daemon=True).start()
    code = main(["run", path, "--data", "synthetic:300", "--log", str(log), "--no-progress",
                 "--threads", "1"])
    assert code == 128 + signum
    check_stopped(signum, capsys.readouterr().err, log,
                  tmp_path / "model.runs" / "stopped_1.keras")
    assert signal.getsignal(signum) is not None  # the command's handler is gone again


def test_a_stopped_run_never_overwrites_an_earlier_stopped_model(tmp_path):
    path = tmp_path / "net.json"
    first = stopped_model_path(path)
    assert first == tmp_path / "net.runs" / "stopped_1.keras"
    first.parent.mkdir()
    first.write_bytes(b"kept")
    assert stopped_model_path(path).name == "stopped_2.keras"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_second_signal_aborts(signum):
    class Target:
        stopped = False

        def request_stop(self):
            self.stopped = True

    target = Target()
    with StopOnSignals(target) as signals:
        os.kill(os.getpid(), signum)
        assert target.stopped and signals.received == signum
        aborted = KeyboardInterrupt if signum == signal.SIGINT else SystemExit
        with pytest.raises(aborted) as raised:
            os.kill(os.getpid(), signum)
            time.sleep(1)  # the handler runs between bytecodes, before this ends
    if aborted is SystemExit:
        assert raised.value.code == 128 + signum
    assert getattr(signal.getsignal(signum), "__self__", None) is not signals  # restored


def test_a_second_signal_during_the_final_evaluation_ends_it_and_a_third_aborts():
    class Bridge:  # training has ended: its final evaluation runs
        stopped, stops_in_training, stops = True, 1, 0

        def request_stop(self):
            self.stops += 1

    target = Bridge()
    with StopOnSignals(target) as signals:
        signals.received = signal.SIGINT  # the signal that stopped training
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.2)
        assert target.stops == 1  # asked again: the evaluation ends after its batch
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)


@pytest.mark.parametrize("launched", [False, True])
def test_a_torchrun_rank_leaves_sigterm_to_torchrun(monkeypatch, launched):
    """torchrun ends the ranks with SIGTERM when one fails; a rank must not wait for a
    batch that a dead peer will never finish."""
    from types import SimpleNamespace

    from kerascanvas.runtime import distributed
    from kerascanvas.runtime import train as train_module
    from kerascanvas.runtime.cli import run_fit

    seen = {}

    def fake_train(*args, **kwargs):
        seen.update({s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)})
        return SimpleNamespace(saved=None, model=None, status="ok")

    monkeypatch.setattr(distributed, "launched", lambda: launched)
    monkeypatch.setattr(train_module, "train", fake_train)
    args = SimpleNamespace(save=None, threads=1, resume=None, initial_epoch=0, file="m.json")
    run_fit.fit(None, {}, None, args, lambda event: None)
    handled = {s for s, h in seen.items() if getattr(h, "__func__", None) is
               StopOnSignals._on_signal}
    assert handled == ({signal.SIGINT} if launched else {signal.SIGINT, signal.SIGTERM})


def test_the_command_leaves_its_objects_to_the_exit_without_a_last_collection():
    """The interpreter's last garbage collection walked every keras and torch object for
    seconds after a run ended, or after the second Ctrl+C that aborts it: objects kept
    alive by a reference cycle are left to the process's exit instead."""
    code = ("import sys\n"
            "from kerascanvas.runtime.cli.run import _quick_exit\n"
            "class Cycle:\n"
            "    def __del__(self):\n"
            "        sys.stdout.write('collected\\n')\n"
            "def leak(quick):\n"
            "    if quick:\n"
            "        _quick_exit()\n"
            "    cycle = Cycle()\n"
            "    cycle.me = cycle\n"
            "leak(sys.argv[1] == 'quick')\n")
    said = {mode: subprocess.run([sys.executable, "-c", code, mode], capture_output=True,
                                 text=True, check=True).stdout for mode in ("plain", "quick")}
    assert said == {"plain": "collected\n", "quick": ""}
