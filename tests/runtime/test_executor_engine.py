"""The executor inside the training engine: every callback behaves as under Keras'
own step, and a saved model continues. Each test trains the same document twice,
with `executor: keras` (Keras' own train step) and with the default executor,
and compares what Keras computed (tolerance as in test_executor)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from kerascanvas.runtime.keras_env import import_keras
from tests.runtime.test_bridge import one_thread  # noqa: F401  (autouse fixture)
from tests.runtime.test_engine import model_doc, run
from tests.runtime.test_worker import mlp

keras = import_keras()
TOL = 1e-4
EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
WAYS = ("keras", "auto")
NAMES = {"lean": "lean step", "cuda-graph": "captured CUDA-graph step"}


def callbacks(folder) -> list[dict]:
    # min_delta 10: val_loss never "improves", so the plateau and the stop come on cue.
    return [
        {"name": "early_stopping", "monitor": "val_loss", "patience": 3, "min_delta": 10.0,
         "restore_best_weights": True},
        {"name": "model_checkpoint", "filepath": str(folder / "best.keras"),
         "monitor": "val_loss", "save_best_only": True},
        {"name": "reduce_lr_on_plateau", "monitor": "val_loss", "patience": 1,
         "min_delta": 10.0, "factor": 0.5},
        {"name": "csv_logger", "filename": str(folder / "log.csv")},
        {"name": "tensorboard", "log_dir": str(folder / "tb")},
    ]


def both(tmp_path, **training):
    """{way: (result, events, folder)} for Keras' step and the executor."""
    out = {}
    for way in WAYS:
        folder = tmp_path / way
        folder.mkdir()
        doc = model_doc(executor=way, shuffle=False, epochs=6,
                        optimizer={"name": "adam", "learning_rate": 0.05},
                        callbacks=callbacks(folder), **training)
        result, events = run(doc)
        out[way] = result, events, folder
    return out


def close(a, b):
    np.testing.assert_allclose(np.asarray(b, dtype=float), np.asarray(a, dtype=float),
                               atol=TOL, rtol=TOL)


def test_callbacks_behave_as_under_keras_step(tmp_path):
    check_callbacks(tmp_path, "cpu", "lean")


def check_callbacks(tmp_path, device: str, path: str) -> None:
    """EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, CSVLogger and TensorBoard
    act alike under Keras' step and the executor's `path` step on `device`."""
    runs = both(tmp_path, device=device)
    (theirs, their_events, theirs_dir), (ours, our_events, ours_dir) = runs["keras"], \
        runs["auto"]
    assert [e.path for e in our_events if e.kind == "executor"] == [path]
    assert [e.path for e in their_events if e.kind == "executor"] == ["keras"]
    assert ours.executor.startswith(f"Executor: {NAMES[path]}"), ours.executor
    # EarlyStopping stopped at the same epoch and restored the same best weights.
    assert ours.epochs_run == theirs.epochs_run == 4
    assert "restored the best weights" in ours.message
    for a, b in zip(theirs.model.get_weights(), ours.model.get_weights(), strict=True):
        close(a, b)
    # ReduceLROnPlateau halved the rate, and the halved rate trained the same weights.
    assert theirs.history["learning_rate"][-1] < theirs.history["learning_rate"][0]
    for key, values in theirs.history.items():
        close(values, ours.history[key])
    # ModelCheckpoint best-only saved the same (first) epoch's model.
    saved = [keras.saving.load_model(d / "best.keras") for d in (theirs_dir, ours_dir)]
    for a, b in zip(saved[0].get_weights(), saved[1].get_weights(), strict=True):
        close(a, b)
    # CSVLogger wrote the same rows; TensorBoard wrote event files.
    rows = [list(csv.DictReader(open(d / "log.csv"))) for d in (theirs_dir, ours_dir)]
    assert [r["epoch"] for r in rows[0]] == [r["epoch"] for r in rows[1]] == list("0123")
    close([float(r["loss"]) for r in rows[0]], [float(r["loss"]) for r in rows[1]])
    assert list((ours_dir / "tb").glob("events.out.tfevents.*"))


def test_terminate_on_nan_stops_at_the_same_batch():
    check_terminate_on_nan("cpu")


def check_terminate_on_nan(device: str) -> None:
    seen = {}
    for way in WAYS:
        doc = mlp(units=1, activation=None, executor=way, shuffle=False, epochs=3,
                  device=device, validation_split=0.0, loss="mse", metrics=[],
                  data="synthetic:64",
                  optimizer={"name": "sgd", "learning_rate": 1e12},
                  callbacks=[{"name": "terminate_on_nan"}])
        result, events = run(doc)
        assert result.status == "nan"
        seen[way] = result.epochs_run, result.message, len(result.history.get("loss", []))
    assert seen["keras"] == seen["auto"]


def test_a_saved_model_reloads_with_its_optimizer_state_and_continues(tmp_path):
    check_save_and_continue(tmp_path, "cpu")


def check_save_and_continue(tmp_path, device: str) -> None:
    final = {}
    for way in WAYS:
        path = tmp_path / f"{way}.keras"
        doc = model_doc(executor=way, shuffle=False, epochs=2, device=device)
        first, _ = run(doc, save=str(path))
        assert int(keras.saving.load_model(path).optimizer.iterations) == 2 * 4
        second, _ = run(model_doc(executor=way, shuffle=False, epochs=4, device=device),
                        initial_model=str(path), initial_epoch=2)
        assert second.ok and int(second.model.optimizer.iterations) == 4 * 4
        final[way] = second.model
    for a, b in zip(final["keras"].get_weights(), final["auto"].get_weights(), strict=True):
        close(a, b)
    for a, b in zip(final["keras"].optimizer.variables, final["auto"].optimizer.variables,
                    strict=True):
        close(a, b)


@pytest.mark.slow
def test_digits_example_reaches_the_accuracy_of_keras_step_over_five_seeds():
    from kerascanvas.graph.project import Project
    from kerascanvas.runtime.train import load_checked_data, prepare, train

    scores = {way: [] for way in WAYS}
    for seed in range(5):
        for way in WAYS:
            doc, settings = prepare(Project.open(EXAMPLES / "digits_cnn.json").doc,
                                    {"seed": seed, "epochs": 5, "executor": way})
            result = train(doc, load_checked_data(doc, settings))
            scores[way].append(result.metrics["accuracy"])
    ours, theirs = np.array(scores["auto"]), np.array(scores["keras"])
    noise = 2 * max(ours.std(), theirs.std()) + 0.01
    assert abs(ours.mean() - theirs.mean()) <= noise, scores
