"""A stop on a machine that does not hold rank 0 (`kerascanvas run --nnodes N`): the
launcher passes it on to its own ranks, the ranks agree before each batch, and every rank
of the run stops after the same batch; each launcher says what happened there."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import keras
import numpy as np
import pytest
import torch

from kerascanvas.runtime import distributed
from kerascanvas.runtime import events as ev
from kerascanvas.runtime import launch as launch_module
from kerascanvas.runtime.cli import run_launch
from kerascanvas.runtime.launch import Launch, Outcome
from tests.cli.test_run_signals import STARTUP_S, wait_for_an_epoch
from tests.runtime.test_run import classifier, project


# ---- the agreement, with the other ranks' contributions simulated -----------------------
def agreement(monkeypatch, rank: int, others: list[list[int]]):
    """A session of `rank` among len(others) + 1 ranks, whose all-reduce (MAX) also sees
    `others`, the other ranks' contributions."""
    def all_reduce(tensor, op=None, group=None):
        assert op == torch.distributed.ReduceOp.MAX
        for other in others:
            torch.maximum(tensor, torch.tensor(other, dtype=tensor.dtype), out=tensor)

    monkeypatch.setattr(torch.distributed, "all_reduce", all_reduce)
    return distributed.Session(rank, len(others) + 1, 0, "cpu", 0, control=None)


def test_a_stop_asked_of_any_rank_stops_every_rank_and_names_the_lowest(monkeypatch):
    # rank 0 of 4 heard nothing; ranks 2 and 3 (another machine) were asked to stop
    session = agreement(monkeypatch, 0, [[0, 0], [0, 4 - 2], [0, 4 - 3]])
    assert session.agree_stop(False, False) == (True, True)
    assert session.stop_asker == 2
    # rank 1's own decision (a NaN it saw) does not count: rank 0's does
    session = agreement(monkeypatch, 1, [[0, 0], [0, 0], [0, 0]])
    assert session.agree_stop(True, False) == (False, False)
    assert session.stop_asker is None
    session = agreement(monkeypatch, 0, [[0, 0]])
    assert session.agree_stop(True, False) == (True, False)


def test_rank_sync_takes_another_machines_stop_as_its_own():
    from kerascanvas.runtime.bridge import FastBridge
    from kerascanvas.runtime.rank_sync import RankSync

    asked = []
    session = SimpleNamespace(ddp_steps=1, is_main=True,
                              agree_stop=lambda decision, request, where="": asked.append(
                                  (decision, request)) or (True, True))
    bridge = FastBridge()
    bridge.stop_at_once = False
    sync = RankSync(session, bridge)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.stop_training = False  # as `fit` starts
    sync.set_model(model)
    sync.on_train_batch_begin(3)
    assert asked == [(False, False)]  # this rank heard nothing
    assert model.stop_training and bridge.stopped  # rank 0 reports the stop as its own


# ---- the launcher, torchrun replaced -------------------------------------------------------
def launcher(monkeypatch, launch, ranks, asker, signals=()):
    """Run the launcher's logic: the fake torchrun leaves the reports of `ranks` (what
    `runtime.cli.rank` writes) and sends the launcher `signals`."""
    passed = []

    def ranks_run(launch, module, arguments, *args, **options):
        folder = Path(arguments[0]).parent
        for rank in ranks:
            (folder / f"rank-{rank}.json").write_text(
                json.dumps({"rank": rank, "stop_asker": asker}))
        for signum in signals:
            os.kill(os.getpid(), signum)
        return Outcome(0)

    monkeypatch.setattr(launch_module, "launch", ranks_run)
    monkeypatch.setattr(launch_module, "interrupt_ranks", lambda: passed.append(1) or 2)
    args = SimpleNamespace(threads=1, file="model.json")
    return run_launch.start_ranks(args, launch, 1, 3), len(passed)


def test_a_launcher_without_rank_0_says_where_the_stop_went(monkeypatch, capsys):
    two = Launch(2, nnodes=2, node_rank=1, rdzv_endpoint="node0:29400")
    code, passed = launcher(monkeypatch, two, [2, 3], 2, (signal.SIGINT,))
    err = capsys.readouterr().err
    assert (code, passed) == (130, 1)
    assert ("stopped by SIGINT (Ctrl+C) (passed on to ranks 2, 3, on this machine): all 4 "
            "ranks ended after the same batch; rank 0, on another machine, said there where "
            "it stopped and where it kept the model") in err


def test_a_launcher_whose_run_another_machine_stopped_says_so(monkeypatch, capsys):
    first = Launch(2, nnodes=2, node_rank=0, rdzv_endpoint="node0:29400")
    code, passed = launcher(monkeypatch, first, [0, 1], 2)
    err = capsys.readouterr().err
    assert (code, passed) == (130, 0)
    assert ("stopped: rank 2, on another machine, was asked to stop (its launcher passed a "
            "Ctrl+C or SIGTERM on): all 4 ranks ended after the same batch; rank 0 said above "
            "where, and where it kept the model") in err
    code, _ = launcher(monkeypatch, first, [0, 1], None)  # nobody stopped it
    assert code == 0 and "stopped" not in capsys.readouterr().err


# ---- two machines on this one: two launchers on a localhost rendezvous -------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_node(folder: Path, path: str, node: int, port: int) -> subprocess.Popen:
    env = {**os.environ, "KERAS_BACKEND": "torch", "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "kerascanvas.app", "run", path, "--data", "synthetic:300",
         "--log", str(folder / "events.jsonl"), "--no-progress", "--threads", "1",
         "--nnodes", "2", "--nproc-per-node", "1", "--node-rank", str(node),
         "--rdzv-endpoint", f"127.0.0.1:{port}", "--rdzv-id", "nodes-test"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


@pytest.mark.slow  # two launchers and two ranks, each importing keras and torch
@pytest.mark.timeout(1200)
def test_ctrl_c_on_the_second_node_stops_every_rank_after_the_same_batch(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    path = project(folder, classifier(training={"epochs": 1000, "batch_size": 2}))
    port = free_port()
    log = folder / "events.jsonl"  # rank 0's (only rank 0 writes)
    nodes = [start_node(folder, path, node, port) for node in (0, 1)]
    try:
        wait_for_an_epoch(nodes[0], log)
        time.sleep(0.5)
        nodes[1].send_signal(signal.SIGINT)  # the node without rank 0
        began = time.monotonic()
        errs = [node.communicate(timeout=2 * STARTUP_S)[1] for node in nodes]
        took = time.monotonic() - began
    finally:
        for node in nodes:
            if node.poll() is None:
                node.kill()
    print(f"\nSIGINT on node 1 to both launchers' end: {took:.1f} s")
    assert [node.returncode for node in nodes] == [130, 130], errs[0][-3000:] + errs[1][-3000:]
    assert ("stopped by SIGINT (Ctrl+C) (passed on to rank 1, on this machine): all 2 ranks "
            "ended after the same batch; rank 0, on another machine") in errs[1]
    assert ("stopped: rank 1, on another machine, was asked to stop (its launcher passed a "
            "Ctrl+C or SIGTERM on): all 2 ranks ended after the same batch") in errs[0]
    assert "Stopped on request" in errs[0] and "Stopped on request" not in errs[1]
    events = [ev.from_wire(json.loads(line)) for line in log.read_text().splitlines()]
    result, steps = events[-1], events[0].steps
    assert result.status == ev.STOPPED and result.processes == 2
    saved = folder / "model.runs" / "stopped_1.keras"
    assert Path(result.saved) == saved and f"Saved the model to {saved}" in errs[0]
    # Both ranks took the same steps (DDP would hang otherwise); Keras counts them.
    model = keras.saving.load_model(saved, safe_mode=True)
    iterations = int(model.optimizer.iterations)
    assert result.epochs_run * steps <= iterations < (result.epochs_run + 1) * steps + 1
    assert np.isfinite(model.get_weights()[0]).all()


@pytest.mark.parametrize("node_rank, says", [
    (1, "machine 1 of 2 (--node-rank 1): waiting at 127.0.0.1:29400 until the launchers of "
        "all 2 machines have joined, then starting 2 rank(s) here; Ctrl+C stops"),
    (None, "one of 2 machines: waiting at 127.0.0.1:29400 until")])
def test_a_machine_of_several_says_it_waits_for_the_others_before_it_waits(
        monkeypatch, capsys, node_rank, says):
    """torchrun says nothing while the rendezvous waits (up to 10 minutes on the static
    one): the launcher said nothing either, and looked hung."""
    from kerascanvas.runtime import launch as launching
    from kerascanvas.runtime.cli import run_launch

    def started(*args, **kwargs):
        assert says in capsys.readouterr().err  # said before torchrun starts
        return launching.Outcome(0)

    monkeypatch.setattr(launching, "launch", started)
    chosen = launching.Launch(2, 2, node_rank, "127.0.0.1:29400")
    assert run_launch.start_ranks(SimpleNamespace(threads=1, file="m.json"), chosen, 1, 3) == 0
