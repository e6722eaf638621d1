"""`kerascanvas run --resume` counts epochs as Keras' fit(initial_epoch, epochs) does, as
the window's Continue: --epochs is the epoch to train to, and the default trains the
rest of the resumed run's plan. Before, the default trained the project's epochs more
(a run set to 5 and stopped after 2 went on to epoch 7)."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from tests.runtime.test_bridge import one_thread  # noqa: F401  (autouse fixture)
from tests.runtime.test_run import classifier, project, read_log, run

# Early stopping that stops after the second epoch (no loss falls by 100).
STOP_AFTER_2 = "early_stopping:monitor=loss,patience=0,min_delta=100"


def keras_epochs(initial_epoch: int, epochs: int) -> int:
    """How many epochs Keras' own fit(initial_epoch=, epochs=) trains."""
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.zeros((4, 2), "float32")
    history = model.fit(x, x[:, :1], initial_epoch=initial_epoch, epochs=epochs, verbose=0)
    return len(history.history["loss"])


def trained(log) -> tuple[int, int, list[int]]:
    """(initial epoch, epoch reached, epochs logged) of the run whose events are in `log`."""
    events = read_log(log)
    result = events[-1]
    assert len(result.history["loss"]) == result.epochs_run - result.initial_epoch
    return (result.initial_epoch, result.epochs_run,
            [e.epoch + 1 for e in events if e.kind == "epoch_end"])


@pytest.fixture
def stopped_at_2_of_5(tmp_path, capsys):
    """A project set to 5 epochs, whose run stopped after epoch 2; the model it kept."""
    path = project(tmp_path, classifier(training={"epochs": 5, "data": "synthetic:64"}))
    model, log = tmp_path / "model.runs" / "trained_1.keras", tmp_path / "first.jsonl"
    assert run(path, "--callback", STOP_AFTER_2, "--log", log) == 0
    assert trained(log) == (0, 2, [1, 2])
    record = json.loads(model.with_name("trained_1.keras.run.json").read_text())
    assert (record["epochs"], record["planned_epochs"]) == (2, 5)
    err = capsys.readouterr().err
    assert f"--resume {model} (trains on to epoch 5, the rest of the run's plan" in err
    return path, model


def test_resume_trains_the_rest_of_the_plan_as_keras_counts(stopped_at_2_of_5, capsys):
    path, model = stopped_at_2_of_5
    log = model.parent / "more.jsonl"
    assert run(path, "--resume", model, "--log", log) == 0
    assert "continuing from epoch 2 to epoch 5 (3 more)" in capsys.readouterr().err
    start, reached, epochs = trained(log)
    assert (start, reached, epochs) == (2, 5, [3, 4, 5])
    assert len(epochs) == keras_epochs(2, 5)


@pytest.mark.parametrize("target", [3, 6])
def test_epochs_with_resume_is_the_epoch_to_train_to(stopped_at_2_of_5, capsys, target):
    path, model = stopped_at_2_of_5
    log = model.parent / "more.jsonl"
    assert run(path, "--resume", model, "--epochs", target, "--log", log) == 0
    more = target - 2
    assert f"continuing from epoch 2 to epoch {target} ({more} more)" in \
        capsys.readouterr().err
    _, reached, epochs = trained(log)
    assert reached == target and len(epochs) == keras_epochs(2, target) == more


@pytest.mark.parametrize("target", [1, 2])
def test_an_epoch_already_trained_is_refused_naming_both(stopped_at_2_of_5, capsys, target):
    path, model = stopped_at_2_of_5
    log = model.parent / "more.jsonl"
    assert run(path, "--resume", model, "--epochs", target, "--log", log) == 1
    err = capsys.readouterr().err
    assert f"--epochs {target} is an epoch already trained: {model} reached epoch 2" in err
    assert "Traceback" not in err and read_log(log)[-1].status == "failed"


def test_a_run_that_trained_its_plan_goes_on_by_the_projects_epochs(tmp_path, capsys):
    path = project(tmp_path, classifier(training={"epochs": 2, "data": "synthetic:64"}))
    model, log = tmp_path / "model.runs" / "trained_1.keras", tmp_path / "more.jsonl"
    assert run(path) == 0
    assert f"--resume {model} --epochs N (N: the epoch to train to, after epoch 2)" in \
        capsys.readouterr().err
    assert run(path, "--resume", model, "--log", log) == 0
    assert "continuing from epoch 2 to epoch 4 (2 more)" in capsys.readouterr().err
    _, reached, epochs = trained(log)
    assert reached == 4 and len(epochs) == keras_epochs(2, 4)
