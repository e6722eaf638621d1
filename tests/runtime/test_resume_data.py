"""`run --resume` continues on the data the saved run was trained on, recorded beside it.

Before, a resumed run silently trained on the project's data (here synthetic), not the
file the first run used. Now `--save` writes MODEL.keras.run.json, and a resume uses
that data, refuses other or changed data naming both, and `--data-changed` allows it.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from tests.runtime.test_bridge import one_thread  # noqa: F401  (autouse fixture)
from tests.runtime.test_run import classifier, project, run


def write_npz(path, seed: int, n: int = 40) -> str:
    rng = np.random.default_rng(seed)
    np.savez(path, x=rng.normal(size=(n, 4)).astype("float32"),
             y=rng.integers(0, 3, size=n))
    return str(path)


@pytest.fixture
def first_run(tmp_path, capsys):
    """A project whose own data is synthetic, trained one epoch on a file and saved."""
    path = project(tmp_path, classifier(training={"data": "synthetic:64"}))
    data = write_npz(tmp_path / "d.npz", seed=0)
    model = tmp_path / "m.keras"
    assert run(path, "--data", data, "--epochs", "1", "--save", model) == 0
    capsys.readouterr()
    return path, data, model


def resume(path, model, *flags) -> int:
    return run(path, "--resume", model, "--initial-epoch", "1", "--epochs", "2", *flags)


def test_save_records_the_data_and_resume_uses_it(first_run, capsys):
    path, data, model = first_run
    record = json.loads((model.parent / "m.keras.run.json").read_text())
    assert record["data"] == data and record["epochs"] == 1
    assert record["fingerprint"]["samples"] == 40
    assert record["fingerprint"]["arrays"]["x/features"] == [[40, 4], "float32"]
    assert record["source"]["files"][data]["size"] == os.path.getsize(data)
    assert resume(path, model) == 0
    err = capsys.readouterr().err
    assert f"on {data!r} (the data the run was trained on, from its record)" in err


def test_other_data_is_refused_naming_both(first_run, capsys):
    path, data, model = first_run
    assert resume(path, model, "--data", "synthetic:64") == 1
    err = capsys.readouterr().err
    assert f"trained on --data {data!r}" in err and "'synthetic:64'" in err
    assert "--data-changed" in err and "Traceback" not in err
    assert resume(path, model, "--data", "synthetic:64", "--data-changed") == 0


def test_changed_content_is_refused(first_run, capsys):
    path, data, model = first_run
    write_npz(data, seed=1)  # same shapes, other values
    assert resume(path, model) == 1
    err = capsys.readouterr().err  # said from the files, before the data is read
    assert "changed since the saved model was trained on it" in err
    assert f"{data}: content differs (same size" in err
    assert resume(path, model, "--data-changed") == 0


def test_a_model_without_record_says_which_data_it_uses(first_run, capsys):
    path, data, model = first_run
    (model.parent / "m.keras.run.json").unlink()
    assert resume(path, model) == 0
    assert "'synthetic:64' (the project's data; the saved model has no run record)" in \
        capsys.readouterr().err
