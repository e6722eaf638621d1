"""Two machines, played on this one: `kerascanvas run --nnodes 2` on each "node" meets on
a localhost rendezvous (gloo, CPU), and the model it saves equals one process trained by
Keras' own `fit` over the same global batches, within `TOLERANCE` (two ranks sum each
batch's mean gradient in another float32 order). The fast test forks the two ranks with
the environment torchrun gives one rank per node; the slow ones start two launchers."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from kerascanvas.graph.projectfile import save
from kerascanvas.runtime import events as ev
from kerascanvas.runtime.train import load_checked_data, prepare, train
from tests.cli.test_run_signals import STARTUP_S
from tests.runtime.test_distributed import (
    TOLERANCE,
    assert_ranks_equal_one_process,
    fork_ranks,
    free_port,
    mlp,
)

ROOT = Path(__file__).resolve().parents[2]


def node_rank(node: int, port: int, project: str, out: str) -> None:
    """Rank `node` of two, alone on its "node": torchrun's environment for one rank per
    node (local rank 0 on both, node rank in GROUP_RANK); `rank_probe` trains it."""
    os.environ.update(RANK=str(node), GROUP_RANK=str(node), LOCAL_RANK="0",
                      LOCAL_WORLD_SIZE="1", WORLD_SIZE="2", MASTER_ADDR="127.0.0.1",
                      MASTER_PORT=str(port))
    from tests.runtime import rank_probe

    rank_probe.main(project, out)


def test_one_rank_on_each_of_two_nodes_equals_one_process(tmp_path):
    doc = mlp()
    save(doc, tmp_path / "model.json")
    fork_ranks(node_rank, tmp_path)
    assert_ranks_equal_one_process(doc, tmp_path)


def start_node(folder: Path, node: int, port: int, rendezvous: str,
               *flags: str) -> subprocess.Popen:
    """One "machine": `kerascanvas run` with our options for several machines."""
    numbered = ["--node-rank", str(node)] if rendezvous == "static" else []
    env = {**os.environ, "KERAS_BACKEND": "torch", "OMP_NUM_THREADS": "1",
           "KERASCANVAS_DATA_DIR": str(folder / f"data{node}")}
    return subprocess.Popen(
        [sys.executable, "-m", "kerascanvas.app", "run", str(folder / "model.json"),
         "--log", str(folder / f"events{node}.jsonl"), "--no-progress", "--threads", "1",
         "--nnodes", "2", "--nproc-per-node", "1", "--rdzv-endpoint", f"127.0.0.1:{port}",
         "--rdzv-id", f"nodes-{port}", *numbered, *flags],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)


@pytest.mark.slow  # two launchers and two ranks, each importing keras and torch: 1-2 min
@pytest.mark.timeout(1200)
@pytest.mark.parametrize("rendezvous", ["c10d", "static"])  # static: with --node-rank
def test_two_nodes_through_the_cli_equal_one_process(tmp_path, rendezvous):
    doc = mlp()
    save(doc, tmp_path / "model.json")
    port = free_port()
    nodes = [start_node(tmp_path, node, port, rendezvous, "--save",
                        str(tmp_path / "model.keras")) for node in (0, 1)]
    try:
        said = [node.communicate(timeout=3 * STARTUP_S) for node in nodes]
    finally:
        for node in nodes:
            if node.poll() is None:
                node.kill()
    said = [out + err for out, err in said]
    assert [node.returncode for node in nodes] == [0, 0], said[0][-3000:] + said[1][-3000:]
    # Rank 0 alone writes and says so; c10d may give it to either node.
    assert sum(f"Saved the model to {tmp_path / 'model.keras'}" in text for text in said) == 1
    logs = [path.read_text() for path in tmp_path.glob("events*.jsonl")]
    (log,) = [text for text in logs if text.strip()]  # rank 0's
    result = ev.from_wire(json.loads(log.splitlines()[-1]))
    assert result.status == ev.FINISHED and result.processes == 2
    resolved, settings = prepare(doc)
    single = train(resolved, load_checked_data(resolved, settings), threads=1)
    model = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    assert model.count_params() == single.model.count_params()
    pairs = list(zip(model.get_weights(), single.model.get_weights(), strict=True))
    print(f"\n{rendezvous}: largest weight difference to one process "
          f"{max(float(np.abs(a - b).max()) for a, b in pairs):.2e}")
    for theirs, mine in pairs:
        np.testing.assert_allclose(theirs, mine, atol=TOLERANCE, rtol=0)
    assert result.metrics["loss"] == pytest.approx(single.metrics["loss"], rel=1e-3)


@pytest.mark.slow  # two launchers and two ranks, each importing keras and torch: 1-2 min
@pytest.mark.timeout(1200)
def test_a_machine_lost_in_training_is_named_and_rank_0_keeps_the_model(tmp_path):
    """SIGKILL to the second node's launcher (its torchrun agent, which cannot stop its
    rank): the first node's launcher used to blame its own rank 0 ("rank 0 exited with
    code 3"); it names rank 1, its node and its last word, and rank 0 keeps the model."""
    import time

    from kerascanvas.runtime.cli.kept_runs import runs_folder
    from tests.cli.test_run_signals import wait_for_an_epoch
    from tests.runtime.test_run import classifier

    save(classifier(training={"epochs": 1000, "batch_size": 2}), tmp_path / "model.json")
    before = (tmp_path / "model.json").read_bytes()
    port = free_port()
    nodes = [start_node(tmp_path, node, port, "static", "--data", "synthetic:300")
             for node in (0, 1)]
    try:
        wait_for_an_epoch(nodes[0], tmp_path / "events0.jsonl")  # node 0 holds rank 0
        nodes[1].kill()
        began = time.monotonic()
        err = nodes[0].communicate(timeout=2 * STARTUP_S)[1]
        took = time.monotonic() - began
    finally:
        for node in nodes:
            if node.poll() is None:
                node.kill()
    print(f"\nnode 1 killed to node 0's launcher's end: {took:.1f} s")
    assert nodes[0].returncode == 3, err[-3000:]
    # Its last word is where training was: an epoch's batch, or the validation pass's.
    assert re.search(r"ended because rank 1 \(node 1, host [^)]+\) ended without a word "
                     r"\(killed, or exited at once, or its machine or its torchrun agent was "
                     r"lost\); its last word: (epoch \d|batch \d+ of the validation pass)",
                     err), err[-3000:]
    assert "ended because rank 0" not in err
    kept = runs_folder(str(tmp_path / "model.json")) / "stopped_1.keras"
    assert f"Saved the model to {kept}" in err
    assert keras.saving.load_model(kept, safe_mode=True).count_params() == \
        4 * 8 + 8 + 8 * 3 + 3
    assert (tmp_path / "model.json").read_bytes() == before


# ---- a machine waiting for the others -----------------------------------------------------
def test_ctrl_c_while_waiting_for_the_other_machines_ends_the_launcher(monkeypatch, capsys,
                                                                       tmp_path):
    """torchrun's agent waits at the rendezvous (here: a fake that waits) and no rank has
    started: the launcher's Ctrl+C used to say it could not reach the ranks and leave the
    agent waiting for up to 10 minutes; now it ends the agent and exits with 130."""
    import signal
    import time
    from types import SimpleNamespace

    from kerascanvas.runtime.cli import run_launch
    from kerascanvas.runtime.launch import Launch

    waited = []

    def waiting_at_the_rendezvous(config):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(5)  # the handler raises here, long before
        waited.append(True)

    monkeypatch.setattr("torch.distributed.run.run", waiting_at_the_rendezvous)
    # No rank has started: a child the test process keeps from earlier tests (a
    # multiprocessing fork server preloading kerascanvas.runtime) is no rank of this launch.
    monkeypatch.setattr("kerascanvas.runtime.launch.rank_processes", lambda *a, **k: [])
    launch = Launch(1, nnodes=2, node_rank=0, rdzv_endpoint="127.0.0.1:1")
    args = SimpleNamespace(threads=1, file=str(tmp_path / "model.json"))
    assert run_launch.start_ranks(args, launch, 1, 3) == 130 and not waited
    err = capsys.readouterr().err
    assert ("SIGINT (Ctrl+C): ended before any rank started (torchrun was still starting "
            "them, or waiting at the rendezvous for the other machines); nothing was "
            "trained") in err
    assert "cannot reach the ranks" not in err


HELD_AT_THE_RENDEZVOUS = """
import sys, datetime
from types import SimpleNamespace
import torch.distributed.run
from torch.distributed import TCPStore
from kerascanvas.runtime.cli import run_launch
from kerascanvas.runtime.launch import Launch

def static_rendezvous(config):  # what torchrun's static rendezvous does: wait in C++
    print("waiting", file=sys.stderr, flush=True)
    TCPStore("127.0.0.1", int(sys.argv[1]), 2, True, datetime.timedelta(seconds=90))

torch.distributed.run.run = static_rendezvous
launch = Launch(1, nnodes=2, node_rank=0, rdzv_endpoint="127.0.0.1:" + sys.argv[1])
sys.exit(run_launch.start_ranks(SimpleNamespace(threads=1, file="m.json"), launch, 1, 3))
"""


@pytest.mark.parametrize("signum, code", [("SIGINT", 130), ("SIGTERM", 143)])
def test_a_signal_reaches_a_machine_held_in_the_static_rendezvous(signum, code):
    """The wait of torchrun's static rendezvous (`--node-rank`) runs in torch's C++ store,
    where the launcher's handler does not run: the signal used to go unheard for up to
    10 minutes. The launcher ends at once, saying that nothing was trained."""
    import signal
    import time

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT),
                                                        os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen([sys.executable, "-c", HELD_AT_THE_RENDEZVOUS,
                                str(free_port())], stderr=subprocess.PIPE, text=True,
                               env=env, cwd=ROOT)
    try:
        said = process.stderr.readline()  # the launcher says where it waits, then waits
        assert "waiting at 127.0.0.1:" in said and said.endswith("Ctrl+C stops\n")
        assert process.stderr.readline().strip() == "waiting"
        time.sleep(0.5)  # inside the store's wait
        process.send_signal(getattr(signal, signum))
        err = process.communicate(timeout=60)[1]
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == code, err[-2000:]
    assert "ended before any rank started (torchrun was still waiting at the rendezvous " \
        "for the other machines); nothing was trained" in err
