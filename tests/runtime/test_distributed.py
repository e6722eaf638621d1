"""Data-parallel training under torchrun (gloo, on the CPU): sharding, identical ranks,
equality with one process over the same global batches, and the launcher's messages."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import keras
import numpy as np
import pytest
import torch

from kerascanvas.graph.project import Project
from kerascanvas.graph.projectfile import save
from kerascanvas.runtime import distributed
from kerascanvas.runtime.feed import Batches, ShardedBatches
from kerascanvas.runtime.launch import Launch, describe_failure, torchrun_arguments
from kerascanvas.runtime.train import load_checked_data, prepare, train
from tests.runtime.test_build import graph

ROOT = Path(__file__).resolve().parents[2]
# Two ranks and one process compute each global batch's mean gradient in a different
# order of float32 sums; after an epoch of Adam steps the weights differ by this much.
TOLERANCE = 1e-4


def torchrun(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                           *args], capture_output=True, text=True, timeout=timeout, env=env,
                          cwd=ROOT)


def mlp(training=None):
    hidden = {"units": 16, "activation": "relu"}
    doc = graph([("features", "Input", {"shape": [4]}), ("hidden", "Dense", hidden),
                 ("out", "Dense", {"units": 3, "activation": "softmax"})],
                [("features", "hidden"), ("hidden", "out")], ["out"])
    doc.training = {"metrics": ["accuracy"], "epochs": 1, "batch_size": 16, "seed": 3,
                    "data": "sklearn:iris", "validation_split": 0.2, "shuffle": False,
                    "loss": "sparse_categorical_crossentropy", **(training or {})}
    return doc


# ---- sharding, without processes ----------------------------------------------------
@pytest.mark.parametrize("length, batch, world", [(20, 8, 2), (21, 8, 2), (17, 6, 3)])
@pytest.mark.parametrize("shuffle", [False, True])
def test_shards_make_up_each_global_batch(length, batch, world, shuffle):
    shards = [list(ShardedBatches(length, batch, shuffle, "cpu",
                                  SimpleNamespace(rank=r, world=world, seed=5)))
              for r in range(world)]
    assert len({len(s) for s in shards}) == 1  # every rank runs the same number of steps
    assert len(shards[0]) == len(Batches(length, batch, False, "cpu"))
    order = torch.randperm(length, generator=torch.Generator().manual_seed(5)) if shuffle \
        else torch.arange(length)
    for step, parts in enumerate(zip(*shards, strict=True)):
        assert len({len(p) for p in parts}) == 1  # equal shares of the global batch
        together = torch.cat(parts).tolist()
        expected = order[step * batch:(step + 1) * batch].tolist()
        assert together[:len(expected)] == expected
        assert set(together[len(expected):]) <= set(order[:world].tolist())  # padding


def test_problems_name_the_fields():
    doc = mlp({"finetune": {"phases": []}, "callbacks": [{"name": "terminate_on_nan"}]})
    found = distributed.problems(doc, {"batch_size": 10, "callbacks": doc.training["callbacks"]},
                                 3)
    assert [p.split(" ")[0].split(":")[0] for p in found] == [
        "training.batch_size", "training.finetune", "training.callbacks"]
    assert "Received: batch_size=10" in found[0]
    assert distributed.problems(mlp(), {"batch_size": 16}, 2) == []


def test_torchrun_arguments_for_several_machines():
    assert torchrun_arguments(Launch(4, 2, 1, "node0:29400", "job"), "m", []) == [
        "--nnodes", "2", "--nproc-per-node", "4", "--rdzv-endpoint", "node0:29400",
        "--rdzv-id", "job", "--rdzv-backend", "static", "--node-rank", "1",
        "--max-restarts", "0", "--signals-to-handle", "SIGTERM,SIGHUP,SIGQUIT", "-m", "m"]
    assert "--rdzv-backend c10d" in " ".join(torchrun_arguments(Launch(2, 2, None, "h:1"),
                                                                "m", []))
    assert Launch(2, 2).problems()[0].startswith("--nnodes 2 needs --rdzv-endpoint")


class StopAt(keras.callbacks.Callback):
    """Asks `bridge` to stop before evaluation batch `at` (0-based); counts the batches."""

    def __init__(self, bridge, at: int):
        super().__init__()
        self.bridge, self.at, self.batches = bridge, at, 0

    def on_test_batch_begin(self, batch, logs=None):
        if self.batches == self.at:
            self.bridge.request_stop()
        self.batches += 1


@pytest.mark.parametrize("at, cut", [(0, True), (2, True), (3, True), (4, False), (6, False)])
def test_the_final_evaluation_ends_where_the_ranks_agree(at, cut):
    """PassSync cuts where the ranks agree (here one rank, `agree_stop` answering its own)
    before each batch every rank has, less the last: a rank with 5 batches of 8 here."""
    from kerascanvas.runtime.bridge import CutOnStop, FastBridge

    bridge = FastBridge()
    bridge.stop_at_once = False  # as `Session.callbacks` sets it: no rank cuts alone
    bridge.stops_in_training = 0  # training has ended
    session = SimpleNamespace(passes={"evaluation": 5},
                              agree_stop=lambda decision, request, where="": (decision, request))
    guard = CutOnStop(bridge)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile(loss="mse")
    counter = StopAt(bridge, at)
    model.evaluate(np.zeros((64, 4)), np.zeros((64, 2)), batch_size=8, verbose=0,
                   callbacks=[counter, *distributed.evaluation_callbacks(session, guard),
                              guard])
    assert counter.batches == (at + 1 if cut else 8)  # Keras ran the batch, then ended
    assert guard.cut == ((at + 1, 8) if cut else None) and guard.agreed == cut


def test_a_killed_rank_is_named():
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError, ProcessFailure

    failure = ProcessFailure(local_rank=1, pid=4321, exitcode=-9, error_file="")
    outcome = describe_failure(ChildFailedError("rank", {1: failure}), Launch(2))
    assert outcome.code == 3 and outcome.failed_ranks == (1,)
    assert "rank 1 was killed by SIGKILL" in outcome.message
    refused = {r: ProcessFailure(local_rank=r, pid=1 + r, exitcode=1, error_file="")
               for r in (0, 1)}
    assert describe_failure(ChildFailedError("r", refused), Launch(2)).code == 1
    crashed = describe_failure(ChildFailedError("r", {1: refused[1]}), Launch(2))
    assert crashed.code == 3 and "rank 1 exited with code 1" in crashed.message


# ---- two ranks against one process -----------------------------------------------------
def forked_rank(rank: int, port: int, project: str, out: str) -> None:
    """One of two ranks forked from this process (keras already imported: no import of
    its own), in the environment torchrun gives a rank; `rank_probe` trains it."""
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE="2",
                      LOCAL_WORLD_SIZE="2", MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    from tests.runtime import rank_probe

    rank_probe.main(project, out)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def assert_ranks_equal_one_process(doc, out: Path) -> None:
    """Both ranks' weights are identical, and within TOLERANCE of one process's trained
    over the same global batches; the metrics are global."""
    import json

    ranks = [np.load(out / f"rank{r}.npz") for r in (0, 1)]
    for name in ranks[0].files:  # DDP: the same update on every rank, bit for bit
        np.testing.assert_array_equal(ranks[0][name], ranks[1][name])
    resolved_doc, settings = prepare(doc)
    single = train(resolved_doc, load_checked_data(resolved_doc, settings), threads=1)
    for mine, theirs in zip(single.model.get_weights(), [ranks[0][n] for n in ranks[0].files],
                            strict=True):
        np.testing.assert_allclose(theirs, mine, atol=TOLERANCE, rtol=0)
    report = json.loads((out / "rank0.json").read_text())
    assert report["status"] == "ok" and len(report["history"]["loss"]) == 1
    # The metrics are global: each rank evaluated half of the validation set.
    assert report["metrics"]["accuracy"] == pytest.approx(single.metrics["accuracy"], abs=0.04)
    assert report["metrics"]["loss"] == pytest.approx(single.metrics["loss"], rel=1e-3)


def fork_ranks(target, tmp_path: Path) -> None:
    """Fork two ranks, `target(rank, port, project, out)` each, on tmp_path/model.json;
    wait for both to end well."""
    import multiprocessing

    fork = multiprocessing.get_context("fork")
    port = free_port()
    ranks = [fork.Process(target=target, args=(r, port, str(tmp_path / "model.json"),
                                               str(tmp_path)))
             for r in (0, 1)]
    for rank in ranks:
        rank.start()
    try:
        for rank in ranks:
            rank.join(120)
        assert [rank.exitcode for rank in ranks] == [0, 0]
    finally:
        for rank in ranks:  # one stuck (its peer gone) must not outlive the test
            if rank.is_alive():
                rank.kill()


def test_two_ranks_hold_identical_weights_equal_to_one_process(tmp_path):
    """Two ranks forked from this process (so neither imports keras: seconds, where two
    processes importing it take 15-45 s here), joined as torchrun's environment makes
    them join; torchrun itself launches them in the slow test below."""
    doc = mlp()
    save(doc, tmp_path / "model.json")
    fork_ranks(forked_rank, tmp_path)
    assert_ranks_equal_one_process(doc, tmp_path)


@pytest.mark.slow  # torchrun and two ranks, each importing keras and torch: 15-45 s
def test_two_ranks_launched_by_torchrun_equal_one_process(tmp_path):
    doc = mlp()
    save(doc, tmp_path / "model.json")
    done = torchrun("--nproc-per-node", "2", "tests/runtime/rank_probe.py",
                    str(tmp_path / "model.json"), str(tmp_path))
    assert done.returncode == 0, done.stderr[-3000:]
    assert_ranks_equal_one_process(doc, tmp_path)


@pytest.mark.slow
def test_batch_normalization_statistics_agree_across_ranks(tmp_path):
    hidden = {"units": 16, "activation": "relu"}
    doc = graph([("features", "Input", {"shape": [4]}), ("hidden", "Dense", hidden),
                 ("norm", "BatchNormalization", {}), ("drop", "Dropout", {"rate": 0.3}),
                 ("out", "Dense", {"units": 3, "activation": "softmax"})],
                [("features", "hidden"), ("hidden", "norm"), ("norm", "drop"), ("drop", "out")],
                ["out"])
    doc.training = {**mlp().training, "epochs": 2, "shuffle": True}
    save(doc, tmp_path / "model.json")
    done = torchrun("--nproc-per-node", "2", "tests/runtime/rank_probe.py",
                    str(tmp_path / "model.json"), str(tmp_path))
    assert done.returncode == 0, done.stderr[-3000:]
    ranks = [np.load(tmp_path / f"rank{r}.npz") for r in (0, 1)]
    # Moving mean and variance: rank-local during the epoch, averaged at its end.
    for name in ranks[0].files:
        np.testing.assert_allclose(ranks[0][name], ranks[1][name], rtol=0, atol=1e-7)


# ---- slow: a killed rank, the generated script ------------------------------------------
def descendants(root: int) -> list[int]:
    """Processes below `root`, read from /proc."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def rank_pid(root: int, rank: int) -> int | None:
    for pid in descendants(root):
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"RANK={rank}".encode() in environ:
            return pid
    return None


def wait_for(predicate, timeout: float, step: float = 0.2):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"not within {timeout} s")


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_a_killed_rank_ends_the_run_with_exit_3_and_an_intact_checkpoint(tmp_path):
    import signal

    import keras

    checkpoint = tmp_path / "last.keras"
    doc = mlp({"epochs": 1000, "callbacks": [{"name": "model_checkpoint",
                                               "filepath": str(checkpoint)}]})
    save(doc, tmp_path / "model.json")
    process = subprocess.Popen(
        [sys.executable, "-m", "kerascanvas.app.cli", "run", str(tmp_path / "model.json"),
         "--nproc-per-node", "2", "--no-progress", "--threads", "1", "--log",
         str(tmp_path / "events.jsonl")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "OMP_NUM_THREADS": "1"})
    try:
        wait_for(lambda: checkpoint.exists() or process.poll() is not None, 300)
        assert process.poll() is None, process.communicate()[1][-3000:]  # ended too soon
        victim = wait_for(lambda: rank_pid(process.pid, 1), 30)
        os.kill(victim, signal.SIGKILL)
        # The launcher's end, with its exit code and message below, proves that torchrun
        # saw the lost rank and ended the run; the timeout only guards against a hang.
        _out, err = process.communicate(timeout=600)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 3, err[-2000:]
    assert re.search(r"rank 1 \(node 0, host [^)]+\) was killed by SIGKILL", err), err[-2000:]
    assert "last checkpoint" in err
    assert not [p for p in descendants(process.pid)]  # no rank left behind
    restored = keras.saving.load_model(checkpoint, safe_mode=True)  # whole, not half-written
    assert restored.count_params() == 4 * 16 + 16 + 16 * 3 + 3
    assert not list(tmp_path.glob(".partial-*"))
    import json

    from kerascanvas.runtime.events import from_wire

    events = [from_wire(json.loads(line))
              for line in (tmp_path / "events.jsonl").read_text().splitlines()
              if line.endswith("}")]
    assert [e.kind for e in events].count("train_begin") == 1  # rank 0 alone logs
    epochs = [e.epoch for e in events if e.kind == "epoch_end"]
    assert epochs == list(range(len(epochs))) and epochs


@pytest.mark.slow
@pytest.mark.timeout(1800)  # two processes each importing keras, on 2 shared cores
def test_generated_script_trains_digits_under_torchrun(tmp_path):
    from kerascanvas.codegen import generate

    script = tmp_path / "train_digits.py"
    doc = Project.open(ROOT / "resources" / "examples" / "digits_cnn.json").doc
    script.write_text(generate(doc, script=True, distributed=True))
    done = torchrun("--nproc-per-node", "2", str(script), "--epochs", "6", "--save",
                    str(tmp_path / "digits.keras"), timeout=1700)
    assert done.returncode == 0, done.stderr[-3000:]
    report = done.stdout.split("Evaluation on the validation data (2 processes):")[1]
    accuracy = float(report.split("accuracy:")[1].split()[0])
    assert accuracy >= 0.90
    assert (tmp_path / "digits.keras").exists()
    assert done.stdout.count("Epoch 6/6") == 1  # rank 0 alone prints


def test_a_keras_that_may_wrap_ddp_itself_is_refused():
    import keras

    from kerascanvas.runtime.train import TrainingRefused

    distributed.check_keras(keras.__version__)  # the Keras installed here is checked
    with pytest.raises(TrainingRefused, match="Keras 3.16.0"):
        distributed.check_keras("3.16.0")
