"""`kerascanvas run` and the project's `training.test_data`: refused before training when
it cannot be read or does not fit the model, naming the field; scored after training.
The command ignored the setting without a word."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kerascanvas.app.cli import main
from tests.runtime.test_run import classifier, project


def _arrays(path, features: int = 4, n: int = 24, seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    np.savez(path, x=rng.normal(size=(n, features)).astype("float32"),
             y=rng.integers(0, 3, n))
    return str(path)


@pytest.mark.parametrize("case, expected", [
    ("missing", "Could not read"),
    ("unfitting", "expects samples of shape (4,), but the test array"),  # not "training"
])
def test_test_data_that_cannot_be_used_is_refused_before_training(tmp_path, capsys, case,
                                                                   expected):
    test = str(tmp_path / "nope.npz") if case == "missing" else \
        _arrays(tmp_path / "narrow.npz", features=3)
    path = project(tmp_path, classifier(training={"test_data": test}))
    assert main(["run", path, "--data", _arrays(tmp_path / "train.npz"), "--no-progress",
                 "--threads", "1"]) == 1
    err = capsys.readouterr().err
    assert f"the project's training.test_data {test!r}: " in err and expected in err
    assert not (tmp_path / "model.runs").exists()  # nothing was trained


def test_the_trained_model_is_scored_on_the_test_data(tmp_path, capsys):
    test = _arrays(tmp_path / "test.npz", seed=1)
    path = project(tmp_path, classifier(training={"test_data": test, "epochs": 1}))
    saved = tmp_path / "trained.keras"
    assert main(["run", path, "--data", _arrays(tmp_path / "train.npz"), "--no-progress",
                 "--threads", "1", "--save", str(saved)]) == 0
    assert_scored_as_keras(capsys.readouterr().out, test, saved)


def assert_scored_as_keras(out: str, test: str, saved) -> None:
    """The test metrics `run` printed equal Keras' evaluation of the saved model."""
    head, _, table = out.partition(f"Test metrics (training.test_data {test!r})\n")
    assert head and table, out
    printed = dict(line.split() for line in table.strip().splitlines())
    with np.load(test) as arrays:
        expected = keras.saving.load_model(saved, safe_mode=True).evaluate(
            arrays["x"], arrays["y"], verbose=0, return_dict=True)
    assert set(printed) == set(expected)
    for name, value in expected.items():
        assert float(printed[name]) == pytest.approx(float(value), abs=1e-4)


def test_a_launcher_refuses_unfitting_test_data_before_any_rank_starts(tmp_path, capsys,
                                                                       monkeypatch):
    from kerascanvas.runtime.cli import run_launch

    test = _arrays(tmp_path / "narrow.npz", features=3)
    path = project(tmp_path, classifier(training={"test_data": test}))
    monkeypatch.setattr(run_launch, "start_ranks",
                        lambda *a: pytest.fail("ranks started with unfitting test data"))
    assert main(["run", path, "--data", _arrays(tmp_path / "train.npz"), "--no-progress",
                 "--threads", "1", "--nproc-per-node", "2"]) == 1
    err = capsys.readouterr().err
    assert f"the project's training.test_data {test!r}: " in err and "test array" in err


@pytest.mark.slow  # a launcher and two ranks, each importing keras and torch
@pytest.mark.timeout(900)
def test_a_run_on_two_processes_scores_the_trained_model_on_the_test_data(tmp_path):
    import os
    import subprocess
    import sys

    test = _arrays(tmp_path / "test.npz", seed=1)
    path = project(tmp_path, classifier(training={"test_data": test, "epochs": 1,
                                                  "batch_size": 8}))
    saved = tmp_path / "trained.keras"
    env = {**os.environ, "KERAS_BACKEND": "torch", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "kerascanvas.app", "run", path, "--data",
         _arrays(tmp_path / "train.npz"), "--no-progress", "--threads", "1",
         "--nproc-per-node", "2", "--save", str(saved)],
        capture_output=True, text=True, env=env, timeout=800)
    assert done.returncode == 0, done.stderr[-3000:]
    assert_scored_as_keras(done.stdout, test, saved)
