"""A generated training script trains what `kerascanvas run` trains: with the same seed,
the model the script saves holds the weights of the model the engine trains.

Both sides use torch's global generator for the epoch's shuffle and for unseeded
Dropout, so anything that draws from it on one side only (a `predict` while the data
loads, a shuffle drawn another way) changes every batch that follows. The projects
below shuffle and have Dropout; one has two outputs. Under mixed_bfloat16 both sides
run the same step on the same batches, so they agree as closely as in float32 (a
different step, Keras' own against the executor's, rounds differently: see README,
"Headless use").
"""

from __future__ import annotations

import runpy

import keras
import numpy as np
import pytest

from kerascanvas.codegen import generate
from kerascanvas.runtime.train import load_checked_data, prepare, train
from tests.codegen.helpers import example
from tests.codegen.test_script import run_script_here
from tests.runtime.test_bridge import one_thread  # noqa: F401  (autouse fixture)

TOLERANCE = 1e-6  # largest weight difference allowed, float32 and mixed_bfloat16 alike

CASES = [
    ("mnist_mlp", "off", "auto"),
    ("mnist_mlp", "mixed_bfloat16", "auto"),
    ("mnist_mlp", "mixed_bfloat16", "keras"),
    ("customer_tickets", "off", "auto"),
    ("customer_tickets", "mixed_bfloat16", "auto"),
]


def seeded(name: str, precision: str, executor: str):
    doc = example(name)
    doc.training = {**(doc.training or {}), "seed": 7, "epochs": 2, "batch_size": 32,
                    "data": "synthetic:200", "shuffle": True, "validation_split": 0.2,
                    "mixed_precision": precision, "executor": executor}
    return doc


def trained_by_run(doc):
    doc, settings = prepare(doc)
    result = train(doc, load_checked_data(doc, settings), resolved=settings)
    assert result.status == "ok", result.message
    return result.model


def trained_by_script(doc, tmp_path, monkeypatch):
    run_script_here(tmp_path, monkeypatch, generate(doc, script=True), "--save", "script.keras")
    return keras.models.load_model(tmp_path / "script.keras")


@pytest.mark.parametrize(("name", "precision", "executor"), CASES,
                         ids=["-".join(case) for case in CASES])
def test_the_script_trains_the_weights_the_run_trains(name, precision, executor, tmp_path,
                                                      monkeypatch):
    keras.config.set_dtype_policy("float32")
    run_model = trained_by_run(seeded(name, precision, executor))
    script_model = trained_by_script(seeded(name, precision, executor), tmp_path, monkeypatch)
    keras.config.set_dtype_policy("float32")  # the script sets the policy for its process
    pairs = zip(run_model.weights, script_model.weights, strict=True)
    for ours, theirs in pairs:
        assert ours.path == theirs.path
        np.testing.assert_allclose(np.asarray(theirs.numpy(), "float64"),
                                   np.asarray(ours.numpy(), "float64"), rtol=0, atol=TOLERANCE,
                                   err_msg=ours.path)


@pytest.mark.parametrize("style", ["functional", "subclass"])
def test_grey_images_without_their_channel_axis_train_alike(style, tmp_path, monkeypatch):
    """An .npz of (n, 8, 8) images for an Input of (8, 8, 1), which Keras' functional
    models take: the run and the script of either style train the same weights (the
    subclassed model refused the arrays)."""
    rng = np.random.default_rng(3)
    path = tmp_path / "grey.npz"
    np.savez(path, x=rng.random((40, 8, 8)).astype("float32"), y=rng.integers(0, 10, 40))
    doc = example("digits_cnn")
    doc.training = {**doc.training, "data": str(path), "epochs": 1, "seed": 7,
                    "validation_split": 0.25}
    keras.config.set_dtype_policy("float32")
    run_model = trained_by_run(doc)
    script = tmp_path / "train.py"
    script.write_text(generate(doc, style=style, script=True), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    names = runpy.run_path(str(script), run_name="generated_script")
    names["main"](["--save", "script.keras"])
    classes = {"CanvasModel": names["CanvasModel"]} if style == "subclass" else None
    script_model = keras.models.load_model(tmp_path / "script.keras", custom_objects=classes)
    for ours, theirs in zip(run_model.weights, script_model.weights, strict=True):
        np.testing.assert_allclose(np.asarray(theirs.numpy(), "float64"),
                                   np.asarray(ours.numpy(), "float64"), rtol=0, atol=TOLERANCE,
                                   err_msg=ours.path)
