"""The training script's learning-rate schedule, callbacks and class weights are the ones
the app's runtime makes from the same settings (`runtime.optim`, `runtime.callbacks`,
`runtime.fitplan`): Keras evaluates both schedules, and both sets of callbacks are
compared by their Keras attributes."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from kerascanvas.codegen import generate
from kerascanvas.graph.training import resolve_training
from kerascanvas.runtime.callbacks import make_callbacks
from kerascanvas.runtime.fitplan import class_weights
from kerascanvas.runtime.optim import make_optimizer
from tests.codegen.helpers import example
from tests.codegen.test_script import run_script

SCHEDULES = [
    {"name": "cosine_decay"},
    {"name": "cosine_decay", "warmup_epochs": 1, "alpha": 0.1},
    {"name": "cosine_decay", "decay_epochs": 2.5},
    {"name": "exponential_decay", "decay_epochs": 0.5, "decay_rate": 0.5, "staircase": True},
    {"name": "step", "boundaries": [1, 3]},
    {"name": "step", "boundaries": [2], "values": [0.01, 0.001]},
]


def script_namespace(doc) -> dict:
    """The generated script's module, loaded without running its main."""
    namespace = {"__name__": "generated_script"}
    exec(compile(generate(doc, script=True), "train.py", "exec"), namespace)  # noqa: S102
    return namespace


def mlp(**training):
    doc = example("mnist_mlp")
    doc.training = {**(doc.training or {}), "epochs": 4, **training}
    return doc


@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda s: "-".join(map(str, s.values())))
def test_the_scripts_schedule_gives_the_runtimes_rates(schedule):
    doc = mlp(schedule=schedule, optimizer={"name": "sgd", "learning_rate": 0.02,
                                            "momentum": 0.9})
    steps = 7
    ours = make_optimizer(resolve_training(doc), steps)
    theirs = script_namespace(doc)["make_optimizer"](steps, 4)
    assert type(theirs) is type(ours) and theirs.momentum == ours.momentum == 0.9
    for step in (0, 1, 3, 7, 10, 14, 21, 27, 40):
        ours.iterations.assign(step)
        theirs.iterations.assign(step)
        assert float(theirs.learning_rate) == pytest.approx(float(ours.learning_rate), rel=1e-6)


def test_the_scripts_callbacks_are_the_runtimes(tmp_path):
    callbacks = [
        {"name": "early_stopping", "patience": 2, "restore_best_weights": True,
         "monitor": "val_accuracy", "mode": "max"},
        {"name": "reduce_lr_on_plateau", "factor": 0.5, "patience": 1, "min_lr": 1e-5},
        {"name": "csv_logger", "filename": str(tmp_path / "logs" / "run.csv"), "append": True},
        {"name": "model_checkpoint", "filepath": str(tmp_path / "ckpt" / "best.keras"),
         "save_best_only": True},
        {"name": "terminate_on_nan"},
        {"name": "tensorboard", "log_dir": str(tmp_path / "tb")},
    ]
    doc = mlp(callbacks=callbacks)
    ours = make_callbacks(resolve_training(doc))
    theirs = script_namespace(doc)["make_callbacks"]()
    assert len(theirs) == len(ours) == len(callbacks)
    names = ("monitor", "patience", "restore_best_weights", "mode", "min_delta", "baseline",
             "factor", "min_lr", "cooldown", "filename", "append", "sep", "filepath",
             "save_best_only", "save_weights_only", "log_dir", "start_from_epoch")
    for mine, made in zip(ours, theirs, strict=True):
        # the runtime's checkpoint is Keras' ModelCheckpoint, saving atomically
        assert type(made).__name__ == {"AtomicCheckpoint": "ModelCheckpoint"}.get(
            type(mine).__name__, type(mine).__name__)
        for name in names:
            if hasattr(mine, name):
                assert getattr(made, name) == getattr(mine, name), (type(mine).__name__, name)
    assert (tmp_path / "logs").is_dir() and (tmp_path / "ckpt").is_dir()


def test_a_bare_file_name_makes_no_folder(tmp_path, monkeypatch):
    # 'log.csv' is written in the working folder: no os.makedirs('.') line for a reader
    # to puzzle over; a path with a folder still has its folder made, as the runtime does.
    monkeypatch.chdir(tmp_path)
    doc = mlp(callbacks=[{"name": "csv_logger", "filename": "log.csv"},
                         {"name": "model_checkpoint", "filepath": "ckpt/best.keras"}])
    source = generate(doc, script=True)
    function = source[source.index("def make_callbacks"):].split("\n\n\n")[0]
    assert "dirname('log.csv')" not in function
    assert "os.makedirs(os.path.dirname('ckpt/best.keras')" in function
    ours = make_callbacks(resolve_training(doc))
    theirs = script_namespace(doc)["make_callbacks"]()
    assert [c.filename for c in theirs[:1]] == [c.filename for c in ours[:1]] == ["log.csv"]
    assert theirs[1].filepath == ours[1].filepath and (tmp_path / "ckpt").is_dir()


@pytest.mark.parametrize("setting", ["balanced", {"0": 1.0, "3": 2.5}])
def test_the_scripts_class_weights_are_the_runtimes(setting):
    doc = mlp(class_weight=setting)
    labels = np.random.default_rng(0).integers(0, 10, 200)
    weights = script_namespace(doc)["class_weights"](setting, labels)
    assert weights == pytest.approx(class_weights(setting, labels))


def test_settings_at_their_defaults_write_nothing_new():
    source = generate(mlp(), script=True)
    for name in ("make_callbacks", "class_weights", "steps_per_epoch", "TensorBoardLogger"):
        assert name not in source


@pytest.mark.slow
def test_a_script_with_a_schedule_callbacks_and_class_weights_trains(tmp_path):
    doc = mlp(schedule={"name": "cosine_decay", "warmup_epochs": 1}, class_weight="balanced",
              callbacks=[{"name": "csv_logger", "filename": "logs/run.csv"},
                         {"name": "model_checkpoint", "filepath": "ckpt/best.keras",
                          "save_best_only": True}])
    result = run_script(tmp_path, generate(doc, script=True), "--epochs", "2",
                        "--data", "synthetic:64", "--save", "out.keras")
    assert result.returncode == 0, result.stderr[-3000:]
    with open(tmp_path / "logs" / "run.csv", encoding="utf-8") as f:
        assert [row["epoch"] for row in csv.DictReader(f)] == ["0", "1"]
    assert (tmp_path / "ckpt" / "best.keras").exists()
    import keras

    saved = keras.saving.load_model(tmp_path / "out.keras", safe_mode=True)
    rate = saved.optimizer.get_config()["learning_rate"]
    assert rate["class_name"] == "CosineDecay" and rate["config"]["warmup_steps"] == 1


@pytest.mark.parametrize("training", [
    {"callbacks": [{"name": "terminate_on_nan"}]},
    {"schedule": {"name": "exponential_decay"}},
    {"class_weight": "balanced"},
])
def test_the_distributed_script_refuses_what_its_loop_does_not_apply(training):
    from kerascanvas.codegen.errors import CodegenError

    field = f"training.{next(iter(training))}"
    with pytest.raises(CodegenError, match=field.replace(".", r"\.")):
        generate(mlp(**training), script=True, distributed=True)
