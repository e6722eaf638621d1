"""An error after `fit` ended (the final evaluation, the window's test evaluation or its
predictions) keeps the trained model: `kerascanvas run` lists and keeps it and exits 3,
the worker's result names the failed pass with the model saved."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import torch

from kerascanvas.graph.projectfile import to_dict
from kerascanvas.runtime import run_evaluation, train_fit
from kerascanvas.runtime.cli.kept_runs import runs_folder
from kerascanvas.runtime.data import load_data
from kerascanvas.runtime.events import FAILED, FINISHED
from kerascanvas.runtime.run_record import read_index
from kerascanvas.runtime.train import train
from kerascanvas.runtime.worker import train_document
from tests.runtime.test_bridge import one_thread  # noqa: F401  (autouse fixture)
from tests.runtime.test_run import classifier, project, run


def fails_in_evaluate(monkeypatch, error: Exception) -> list:
    """Make the final evaluation raise `error`; the list gets the model it was given."""
    seen = []

    def broken(model, **kwargs):
        seen.append(model)
        raise error

    monkeypatch.setattr(train_fit, "run_evaluate", broken)
    return seen


def same_weights(model, path) -> None:
    kept = keras.saving.load_model(path, safe_mode=True)
    for mine, theirs in zip(model.get_weights(), kept.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)


def test_run_keeps_and_lists_the_model_when_the_final_evaluation_fails(
        tmp_path, capsys, monkeypatch):
    seen = fails_in_evaluate(monkeypatch, ValueError("the metric cannot read labels of 7"))
    path = project(tmp_path, classifier(training={"epochs": 2}))
    assert run(path, "--data", "synthetic:32") == 3
    err = capsys.readouterr().err
    assert "final evaluation on the validation data failed after training" in err
    assert "ValueError: the metric cannot read labels of 7" in err
    kept = runs_folder(path) / "stopped_1.keras"
    assert f"Saved the model to {kept}" in err
    same_weights(seen[0], kept)
    (entry,) = read_index(runs_folder(path))
    assert entry["status"] == FAILED and entry["saved"] == "stopped_1.keras"
    assert entry["epoch"] == 2 and "final evaluation" in entry["message"]
    assert "ValueError: the metric cannot read labels of 7" in entry["message"]


def test_run_with_save_writes_the_model_when_the_final_evaluation_fails(
        tmp_path, capsys, monkeypatch):
    fails_in_evaluate(monkeypatch, IndexError("index 3 is out of bounds for axis 1"))
    saved = tmp_path / "kept.keras"
    assert run(project(tmp_path, classifier()), "--data", "synthetic:32",
               "--save", saved) == 3
    assert "IndexError: index 3 is out of bounds" in capsys.readouterr().err
    assert keras.saving.load_model(saved, safe_mode=True).count_params() == 4 * 8 + 8 + 8 * 3 + 3


def test_memory_running_out_in_the_final_evaluation_keeps_the_model(monkeypatch):
    fails_in_evaluate(monkeypatch, torch.OutOfMemoryError("CUDA out of memory. Tried 9 GiB"))
    doc = classifier()
    result = train(doc, load_data("synthetic:32", doc, seed=0))
    assert result.status == "error" and result.model is not None and not result.metrics
    assert result.epochs_run == 2 and "smaller batch size" in result.message
    assert "OutOfMemoryError: CUDA out of memory" in result.unscored


def work(doc, tmp_path, **payload):
    save = tmp_path / "model.keras"
    result = train_document({"document": to_dict(doc), "save": str(save), **payload},
                            lambda event: None)
    return result, save


def test_worker_result_keeps_the_model_when_the_final_evaluation_fails(
        tmp_path, monkeypatch):
    seen = fails_in_evaluate(monkeypatch, ValueError("no class 5 in this metric"))
    result, save = work(classifier(training={"data": "synthetic:32"}), tmp_path)
    assert result.status == FAILED and result.saved == str(save)
    assert "final evaluation on the validation data failed" in result.message
    assert "ValueError: no class 5 in this metric" in result.message
    assert result.epochs_run == 2 and not result.metrics
    same_weights(seen[0], save)


def test_worker_predictions_failing_keep_the_finished_run_and_name_the_pass(
        tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("shape (8, 2) cannot broadcast to (8, 3)")

    monkeypatch.setattr(run_evaluation, "_predict", broken)
    result, save = work(classifier(training={"data": "synthetic:32"}), tmp_path)
    assert result.status == FINISHED and result.saved == str(save) and result.metrics
    assert result.evaluation_error.startswith("The predictions on the validation data failed")
    assert "RuntimeError: shape (8, 2) cannot broadcast" in result.evaluation_error
    assert Path(save).exists()


def test_worker_test_evaluation_failing_names_the_test_data(tmp_path, monkeypatch):
    real = keras.Model.evaluate

    def fails_on_tests(model, x=None, *args, **kwargs):  # the 16 test samples only
        if len(next(iter(x.values())) if isinstance(x, dict) else x) == 16:
            raise TypeError("unsupported operand for the test labels")
        return real(model, x, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "evaluate", fails_on_tests)
    result, save = work(classifier(training={"data": "synthetic:32"}), tmp_path,
                        test_data="synthetic:16")
    assert result.status == FINISHED and result.saved == str(save)
    assert result.evaluation_error.startswith("The evaluation on the test data failed")
    assert "TypeError: unsupported operand" in result.evaluation_error


class FailsInValidation(keras.callbacks.Callback):
    """Raises in the validation pass of epoch `epoch` (counted from 1)."""

    def __init__(self, epoch: int):
        super().__init__()
        self.fail_in, self.epoch = epoch, 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch + 1

    def on_test_batch_begin(self, batch, logs=None):
        if self.epoch == self.fail_in:
            raise ValueError("the validation labels hold class 9")


def test_an_error_in_the_last_validation_pass_names_it_and_keeps_the_model():
    doc = classifier()
    result = train(doc, load_data("synthetic:32", doc, seed=0), callbacks=[FailsInValidation(2)])
    assert result.status == "error" and result.model is not None and result.epochs_run == 1
    assert result.message.startswith("Training stopped in the validation pass of epoch 2 (its "
                                     "training batches ran) by an error: ValueError: the "
                                     "validation labels hold class 9.")
