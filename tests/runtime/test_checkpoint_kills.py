"""A training run killed with SIGKILL while ModelCheckpoint saves never loses the checkpoint.

Keras' ModelCheckpoint rewrote its `.keras` file in place: a kill during the save left
a 0-byte file and the previous checkpoint was gone. The runtime's checkpoint goes
through `save_atomic` (a partial file beside the target, fsync, rename). Here a real
`kerascanvas run` trains one-batch epochs on a model large enough that it is saving
most of the time, and is killed at random points; the checkpoint on disk must always
load in safe mode and hold the model Keras builds from the project.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import numpy as np
import pytest

from kerascanvas.graph.projectfile import save
from kerascanvas.runtime import callbacks
from kerascanvas.runtime.build import build_model
from tests.runtime.test_build import graph

ROOT = Path(__file__).parents[2]


def big_classifier():
    doc = graph([("x", "Input", {"shape": [64]}), ("a", "Dense", {"units": 512}),
                 ("b", "Dense", {"units": 512}),
                 ("out", "Dense", {"units": 10, "activation": "softmax"})],
                [("x", "a"), ("a", "b"), ("b", "out")], ["out"])
    doc.training = {"epochs": 100_000, "batch_size": 16, "validation_split": 0.0}
    return doc


def start_training(project: Path, checkpoint: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
    return subprocess.Popen(
        [sys.executable, "-m", "kerascanvas.app", "run", str(project), "--data", "synthetic:16",
         "--callback", f"model_checkpoint:filepath={checkpoint},monitor=loss",
         "--no-progress", "--threads", "1"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_for_a_new_checkpoint(child: subprocess.Popen, checkpoint: Path, before: float):
    deadline = time.monotonic() + 240
    while not checkpoint.exists() or checkpoint.stat().st_mtime_ns == before:
        assert child.poll() is None, "training ended before its first checkpoint"
        assert time.monotonic() < deadline, "no checkpoint within 240 s"
        time.sleep(0.02)


def kill_while_checkpointing(tmp_path: Path, tries: int, seed: int) -> None:
    import keras

    doc = big_classifier()
    project, checkpoint = tmp_path / "p.json", tmp_path / "ck" / "model.keras"
    save(doc, project)
    expected = build_model(doc).count_params()
    rng = random.Random(seed)
    for _ in range(tries):
        before = checkpoint.stat().st_mtime_ns if checkpoint.exists() else -1
        child = start_training(project, checkpoint)
        try:
            wait_for_a_new_checkpoint(child, checkpoint, before)
            time.sleep(rng.uniform(0.0, 0.5))  # the child saves most of this time
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
        model = keras.saving.load_model(checkpoint, safe_mode=True)
        assert model.count_params() == expected
        names = {p.name for p in checkpoint.parent.iterdir()}
        assert names - {"model.keras"} <= {f".partial-{child.pid}-model.keras"}, names


def test_the_runtime_checkpoint_saves_atomically(tmp_path):
    (made,) = callbacks.make_callbacks({"callbacks": [
        {"name": "model_checkpoint", "filepath": str(tmp_path / "m.keras"), "monitor": "loss"}]})
    assert isinstance(made, callbacks.AtomicCheckpoint)
    import keras

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    with mock.patch.object(callbacks, "save_atomic", wraps=callbacks.save_atomic) as spy:
        model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, callbacks=[made], verbose=0)
    assert [c.args[1] for c in spy.call_args_list] == [str(tmp_path / "m.keras")] * 2


@pytest.mark.slow  # 6-8 s of the default run (13.6 min of 15): run with -m slow
def test_one_kill_during_checkpointing_keeps_a_loadable_checkpoint(tmp_path):
    kill_while_checkpointing(tmp_path, tries=1, seed=16)


@pytest.mark.slow
def test_kills_at_random_points_never_lose_the_checkpoint(tmp_path):
    kill_while_checkpointing(tmp_path, tries=8, seed=2026)
