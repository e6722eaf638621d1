"""A run that fails with a model trained so far keeps it without --save, as a stop does."""

from __future__ import annotations

import json

import keras
import numpy as np

from kerascanvas.app.cli import main
from tests.runtime.test_bridge import one_thread  # noqa: F401  (autouse fixture)
from tests.runtime.test_run import classifier, project


def run_to_nan(tmp_path) -> None:
    """`kerascanvas run` of a regression whose labels (1e30) make the loss overflow in
    its first epoch, without --save: it exits 3."""
    doc = classifier(units=1, activation=None, training={"loss": "mse", "metrics": [],
                                                         "epochs": 3})
    x = np.random.default_rng(0).random((32, 4), dtype="float32")
    np.savez(tmp_path / "huge.npz", x=x, y=np.full((32, 1), 1e30, "float32"))
    path = project(tmp_path, doc)
    assert main(["run", path, "--data", str(tmp_path / "huge.npz"), "--no-progress",
                 "--threads", "1"]) == 3


def test_a_nan_run_without_save_keeps_the_last_finite_weights_in_the_runs_folder(
        tmp_path, capsys):
    run_to_nan(tmp_path)
    saved = tmp_path / "model.runs" / "stopped_1.keras"
    err = capsys.readouterr().err
    assert "NaN" in err and f"Saved the model to {saved}" in err
    model = keras.saving.load_model(saved, safe_mode=True)
    assert all(np.all(np.isfinite(w)) for w in model.get_weights())
    record = json.loads((tmp_path / "model.runs" / "stopped_1.keras.run.json").read_text())
    assert record["epochs"] == 0 and record["data"] == str(tmp_path / "huge.npz")


def test_a_nan_run_with_save_says_the_save_file_holds_the_kept_model(tmp_path, capsys):
    """With --save the failed run wrote the last finite weights there but said only that
    they were kept, not where, nor how to continue (it says both without --save)."""
    doc = classifier(units=1, activation=None, training={"loss": "mse", "metrics": [],
                                                         "epochs": 3})
    x = np.random.default_rng(0).random((32, 4), dtype="float32")
    np.savez(tmp_path / "huge.npz", x=x, y=np.full((32, 1), 1e30, "float32"))
    saved = tmp_path / "after_nan.keras"
    path = project(tmp_path, doc)
    assert main(["run", path, "--data", str(tmp_path / "huge.npz"), "--no-progress",
                 "--threads", "1", "--save", str(saved)]) == 3
    err = capsys.readouterr().err
    assert "NaN" in err and f"Saved the model to {saved}; continue with: " \
                               f"kerascanvas run {path} --resume {saved}" in err
    model = keras.saving.load_model(saved, safe_mode=True)
    assert all(np.all(np.isfinite(w)) for w in model.get_weights())
