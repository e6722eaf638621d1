"""The one training engine (`runtime.train`): every optimizer, schedule, callback and
precision setting, and continuing a saved model, checked against Keras itself."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from kerascanvas.graph.training_schema import OPTIMIZERS, SCHEDULES
from kerascanvas.runtime.build import build_model
from kerascanvas.runtime.dataset import DataError
from kerascanvas.runtime.events import Result, from_wire, to_wire
from kerascanvas.runtime.keras_env import import_keras
from kerascanvas.runtime.optim import OPTIMIZER_CLASSES
from kerascanvas.runtime.precision import output_dtype_overrides, precision_scope
from kerascanvas.runtime.train import (
    OK,
    TrainingRefused,
    load_checked_data,
    prepare,
    train,
)
from kerascanvas.runtime.train_model import make_model
from tests.runtime.test_bridge import one_thread  # noqa: F401  (autouse fixture)
from tests.runtime.test_worker import mlp

keras = import_keras()
SAMPLES, BATCH = 80, 16  # validation_split 0.2: 64 training samples, 4 steps per epoch
STEPS = 4


def run(doc, overrides=None, **kwargs):
    """Train `doc` (with `overrides`) on its synthetic data; return (result, events)."""
    doc, settings = prepare(doc, overrides)
    events = []
    result = train(doc, load_checked_data(doc, settings), sink=events.append, **kwargs)
    return result, events


def model_doc(**training):
    return mlp(**{"data": f"synthetic:{SAMPLES}", "batch_size": BATCH, "epochs": 1,
                  "validation_split": 0.2, **training})


def epoch_ends(events):
    return [e for e in events if e.kind == "epoch_end"]


class WeightsPerEpoch(keras.callbacks.Callback):
    """The model's weights at the start of training and after every epoch."""

    def __init__(self):
        super().__init__()
        self.start, self.epochs = None, []

    def on_train_begin(self, logs=None):
        self.start = self.model.get_weights()

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append(self.model.get_weights())


def assert_same_weights(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


# ---- optimizers and schedules ------------------------------------------------------
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_trains_one_epoch(name):
    result, _ = run(model_doc(optimizer={"name": name, "learning_rate": 0.01}))
    assert result.status == OK, result.message
    optimizer = result.model.optimizer
    assert isinstance(optimizer, getattr(keras.optimizers, OPTIMIZER_CLASSES[name]))
    assert int(optimizer.iterations) == STEPS
    assert np.isfinite(result.history["loss"][0])


def keras_schedule(name: str, lr: float):
    """The schedule as one would write it in Keras, in steps (4 per epoch, 3 epochs)."""
    s = keras.optimizers.schedules
    return {"constant": lambda step: lr,
            "cosine_decay": s.CosineDecay(0.0, 2 * STEPS, warmup_target=lr,
                                          warmup_steps=STEPS),
            "exponential_decay": s.ExponentialDecay(lr, STEPS, 0.5),
            "step": s.PiecewiseConstantDecay([STEPS, 2 * STEPS], [lr, lr * 0.1, lr * 0.01]),
            }[name]


SCHEDULE_SETTINGS = {"constant": {}, "cosine_decay": {"warmup_epochs": 1},
                     "exponential_decay": {"decay_epochs": 1, "decay_rate": 0.5},
                     "step": {"boundaries": [1, 2]}}


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_every_schedule_sets_the_rate_keras_computes(name):
    lr = 0.05
    result, events = run(model_doc(epochs=3, optimizer={"name": "sgd", "learning_rate": lr},
                                   schedule={"name": name, **SCHEDULE_SETTINGS[name]}))
    assert result.status == OK, result.message
    reference = keras_schedule(name, lr)
    # The bridge reads the rate after each epoch's last step.
    expected = [float(keras.ops.convert_to_numpy(reference(STEPS * (i + 1))))
                for i in range(3)]
    assert [e.lr for e in epoch_ends(events)] == pytest.approx(expected, rel=1e-5)


# ---- callbacks --------------------------------------------------------------------------
def test_early_stopping_restores_the_best_weights():
    # "Best" is the highest training loss, i.e. the first epoch: it stops one epoch later.
    seen = WeightsPerEpoch()
    stop = {"name": "early_stopping", "monitor": "loss", "mode": "max", "patience": 1,
            "restore_best_weights": True}
    result, _ = run(model_doc(epochs=6, callbacks=[stop],
                              optimizer={"name": "adam", "learning_rate": 0.01}),
                    callbacks=[seen])
    losses = result.history["loss"]
    assert len(losses) == 2 and losses[1] < losses[0]
    assert_same_weights(result.model.get_weights(), seen.epochs[0])
    assert "Early stopping" in result.message and result.status == OK
    # The message names the epoch whose weights were kept, and its score: the last
    # epoch's metrics (shown beside it) are not those of the model kept.
    assert f"restored the best weights, those of epoch 1 (loss {losses[0]:.4g})" in \
        result.message
    # The result says which epochs, for the window's table and progress bar, across
    # processes too (Keras' stopped_epoch and best_epoch count from 0).
    assert (result.early_stopped, result.kept_epoch) == (2, 1)
    sent = from_wire(json.loads(json.dumps(to_wire(Result.of(result)))))
    assert (sent.early_stopped, sent.kept_epoch) == (2, 1)


def test_a_run_without_early_stopping_names_no_kept_epoch():
    result, _ = run(model_doc(epochs=2))
    assert (result.early_stopped, result.kept_epoch) == (None, None)


def test_checkpoint_writes_a_loadable_best_only_model(tmp_path):
    path = tmp_path / "ck" / "best.keras"
    seen = WeightsPerEpoch()
    check = {"name": "model_checkpoint", "filepath": str(path), "monitor": "loss",
             "mode": "max", "save_best_only": True}
    result, _ = run(model_doc(epochs=3, callbacks=[check], metrics=["f1_macro"],
                              optimizer={"name": "adam", "learning_rate": 0.01}),
                    callbacks=[seen])
    losses = result.history["loss"]
    assert losses[0] == max(losses)
    best = keras.saving.load_model(path, safe_mode=True)
    assert_same_weights(best.get_weights(), seen.epochs[0])


def test_reduce_lr_on_plateau_lowers_the_rate():
    plateau = {"name": "reduce_lr_on_plateau", "monitor": "loss", "mode": "max",
               "patience": 0, "factor": 0.5}
    result, events = run(model_doc(epochs=3, callbacks=[plateau],
                                   optimizer={"name": "sgd", "learning_rate": 0.1}))
    best, drops = -np.inf, 0
    for loss in result.history["loss"]:  # Keras' rule, mode "max", min_delta 1e-4
        if loss - 1e-4 > best:
            best = loss
        else:
            drops += 1
    rate = float(keras.ops.convert_to_numpy(result.model.optimizer.learning_rate))
    assert rate == pytest.approx(0.1 * 0.5 ** drops) and drops >= 1
    # Keras logs the rate each epoch ran with, as the bridge's events do.
    assert [e.lr for e in epoch_ends(events)] == pytest.approx(
        result.history["learning_rate"])


def test_csv_logger_writes_a_row_per_epoch(tmp_path):
    path = tmp_path / "logs" / "train.csv"
    result, _ = run(model_doc(epochs=2, callbacks=[{"name": "csv_logger",
                                                    "filename": str(path)}]))
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["epoch"]) for r in rows] == [0, 1]
    assert [float(r["val_loss"]) for r in rows] == pytest.approx(result.history["val_loss"])


def test_tensorboard_writes_event_files(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    board = {"name": "tensorboard", "log_dir": str(tmp_path / "tb")}
    result, _ = run(model_doc(epochs=2, callbacks=[board]))
    events = EventAccumulator(str(tmp_path / "tb"))
    events.Reload()
    values = [s.value for s in events.Scalars("train/loss")]
    assert values == pytest.approx(result.history["loss"], rel=1e-6)
    assert "validation/loss" in events.Tags()["scalars"]


def test_every_callback_together_is_accepted(tmp_path):
    callbacks = [{"name": "early_stopping", "patience": 5},
                 {"name": "model_checkpoint", "filepath": str(tmp_path / "m.keras")},
                 {"name": "reduce_lr_on_plateau"},
                 {"name": "csv_logger", "filename": str(tmp_path / "log.csv")},
                 {"name": "terminate_on_nan"},
                 {"name": "tensorboard", "log_dir": str(tmp_path / "tb")}]
    result, _ = run(model_doc(epochs=2, callbacks=callbacks))
    assert result.status == OK and len(result.history["loss"]) == 2
    assert (tmp_path / "m.keras").exists() and (tmp_path / "log.csv").exists()


def test_refused_settings_name_every_field():
    with pytest.raises(TrainingRefused) as info:
        prepare(model_doc(optimizer={"name": "sgd", "betas": 1}, batch_size=0))
    assert "training.optimizer.betas" in str(info.value)
    assert "training.batch_size" in str(info.value)


def test_prepared_settings_are_not_checked_again_and_unprepared_ones_are(monkeypatch):
    import kerascanvas.runtime.train as engine

    doc, settings = prepare(model_doc(epochs=1))
    data = load_checked_data(doc, settings)

    def prepared_again(*args, **kwargs):
        raise AssertionError("train() prepared (analysed) the document a second time")

    monkeypatch.setattr(engine, "prepare", prepared_again)
    result = train(doc, data, resolved=settings)
    assert result.status == OK and result.settings["epochs"] == 1, result.message
    with pytest.raises(ValueError, match="not both"):
        train(doc, data, {"epochs": 2}, resolved=settings)
    monkeypatch.undo()
    invalid = model_doc()
    invalid.outputs = []
    with pytest.raises(TrainingRefused, match="The graph is invalid"):
        train(invalid, data)


# ---- class weights, shuffle, seed ---------------------------------------------------------
def test_class_weight_reaches_keras_as_sample_weights():
    # A negligible learning rate keeps the weights the loss was computed with.
    doc = model_doc(optimizer={"name": "sgd", "learning_rate": 1e-12}, validation_split=0.0)
    _, settings = prepare(doc)
    data = load_checked_data(doc, settings)
    weights = {0: 0.25, 1: 1.0, 2: 3.0}
    result, _ = run(doc, {"class_weight": {str(k): v for k, v in weights.items()}})
    labels, probs = data.y["out"], result.model.predict(data.x["x"], verbose=0)
    per_sample = -np.log(probs[np.arange(len(labels)), labels])
    expected = (per_sample * np.vectorize(weights.get)(labels)).sum() / len(labels)
    assert result.history["loss"][0] == pytest.approx(expected, rel=1e-4)


def test_same_seed_gives_the_same_run_and_shuffle_can_be_off():
    first, _ = run(model_doc(seed=7, shuffle=False))
    second, _ = run(model_doc(seed=7, shuffle=False))
    assert_same_weights(first.model.get_weights(), second.model.get_weights())
    assert first.settings["shuffle"] is False


# ---- mixed precision --------------------------------------------------------------------
@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
def test_mixed_precision_trains_with_float32_outputs(policy):
    try:
        result, _ = run(model_doc(mixed_precision=policy))
    except RuntimeError as exc:  # some torch CPU builds lack half-precision kernels
        pytest.skip(f"{policy} is refused on this CPU by torch: {exc}")
    assert result.status == OK, result.message
    model = result.model
    half = policy.split("_")[1]
    assert model.get_layer("hidden").compute_dtype == half
    assert model.get_layer("out").compute_dtype == "float32"
    assert model.outputs[0].dtype == "float32"
    if policy == "mixed_float16":  # Keras scales the loss itself
        assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    assert keras.config.dtype_policy().name == "float32"  # the scope was restored


def test_mixed_precision_build_matches_hand_written_keras():
    doc = model_doc(mixed_precision="mixed_bfloat16")
    with precision_scope("mixed_bfloat16"):
        ours = build_model(doc, dtypes=output_dtype_overrides(doc))
        x = keras.Input((6,), name="x")
        h = keras.layers.Dense(8, activation="relu", name="hidden")(x)
        ref = keras.Model(x, keras.layers.Dense(3, activation="softmax", name="out",
                                                dtype="float32")(h))
    for name in ("hidden", "out"):
        assert ours.get_layer(name).get_config() == ref.get_layer(name).get_config()


# ---- continuing a saved model ---------------------------------------------------------------
def test_resume_continues_epochs_weights_and_optimizer_state(tmp_path):
    saved = tmp_path / "first.keras"
    doc = model_doc(epochs=2, optimizer={"name": "adam", "learning_rate": 0.01})
    first, _ = run(doc, save=str(saved))
    assert first.epochs_run == 2 and first.saved == str(saved)
    seen = WeightsPerEpoch()
    second, events = run(doc, {"epochs": 4, "optimizer": {"name": "adam",
                                                          "learning_rate": 0.002}},
                         initial_model=str(saved), initial_epoch=2, callbacks=[seen])
    assert second.status == OK and second.epochs_run == 4 and second.initial_epoch == 2
    assert [e.epoch for e in epoch_ends(events)] == [2, 3]
    assert events[0].initial_epoch == 2
    assert [e.lr for e in epoch_ends(events)] == pytest.approx([0.002, 0.002])
    assert_same_weights(seen.start, first.model.get_weights())
    assert int(second.model.optimizer.iterations) == 4 * STEPS


def test_resume_carries_adam_moments(tmp_path):
    first, _ = run(model_doc(epochs=1))
    path = str(tmp_path / "m.keras")
    first.model.save(path)
    doc, settings = prepare(model_doc(epochs=2))
    ours = make_model(doc, settings, STEPS, initial_model=path)
    old = {v.name: v for v in keras.saving.load_model(path).optimizer.variables}
    assert {v.name for v in ours.optimizer.variables} == set(old)
    for var in ours.optimizer.variables:
        if var.name != "learning_rate":
            np.testing.assert_array_equal(keras.ops.convert_to_numpy(var.value),
                                          keras.ops.convert_to_numpy(old[var.name].value))


def test_resume_from_another_model_is_refused_naming_the_layer(tmp_path):
    other = mlp(units=5)
    first, _ = run(model_doc(epochs=1, data=f"synthetic:{SAMPLES}"))
    path = tmp_path / "m.keras"
    first.model.save(path)
    with pytest.raises(TrainingRefused, match="layer 'out'"):
        run(other, {"epochs": 2}, initial_model=str(path), initial_epoch=1)
    with pytest.raises(TrainingRefused, match="Could not load"):
        run(model_doc(epochs=2), initial_model=str(tmp_path / "missing.keras"),
            initial_epoch=1)


class FailsInEpoch(keras.callbacks.Callback):
    """Raises inside `fit`, at the first batch of epoch `epoch` (0-based)."""

    def __init__(self, epoch: int, error: Exception | None = None):
        super().__init__()
        self.epoch = epoch
        self.error = error or ValueError("a layer refused its input\nsecond line")

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if self.current == self.epoch:
            raise self.error


@pytest.mark.parametrize("error, details", [
    (DataError("Could not read image /data/cats/3.png: image file is truncated"), False),
    (RuntimeError("a kernel failed"), True),
])
def test_our_own_error_inside_fit_comes_without_a_traceback(error, details):
    """A batch reader's DataError names the file and the problem: the message ends
    there, where Keras' or torch's errors get the traceback's last lines."""
    result, _ = run(model_doc(epochs=2), callbacks=[FailsInEpoch(1, error)])
    assert f"by an error: {type(error).__name__}: {error}. The model as trained so far " \
        "is kept." in result.message
    assert ("Details:" in result.message) == details


def test_an_error_inside_fit_keeps_and_saves_the_model_trained_so_far(tmp_path):
    watch = WeightsPerEpoch()
    save = tmp_path / "partial.keras"
    result, events = run(model_doc(epochs=3), callbacks=[watch, FailsInEpoch(1)],
                         save=str(save))
    assert result.status == "error" and not result.ok
    assert ("in epoch 2, batch 1 by an error: ValueError: a layer refused its input"
            in result.message)  # FailsInEpoch raises as the epoch's first batch begins
    assert "kept and saved" in result.message
    assert result.epochs_run == 1 and len(result.history["loss"]) == 1
    for got, want in zip(result.model.get_weights(), watch.epochs[0], strict=True):
        np.testing.assert_array_equal(got, want)  # epoch 1's training is still there
    saved = keras.saving.load_model(save, safe_mode=True)
    for got, want in zip(saved.get_weights(), watch.epochs[0], strict=True):
        np.testing.assert_array_equal(got, want)
