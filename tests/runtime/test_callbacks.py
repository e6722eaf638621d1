"""Callbacks from settings, the TensorBoard writer, NaN and fault helpers."""

import numpy as np
import pytest

from kerascanvas.runtime.callbacks import TensorBoardLogger, make_callbacks
from kerascanvas.runtime.keras_env import import_keras

keras = import_keras()
X = np.random.default_rng(0).standard_normal((80, 5)).astype("float32")
Y = (X[:, 0] > 0).astype("int64")


def tiny_model():
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_make_callbacks_builds_keras_callbacks_with_keras_defaults(tmp_path):
    settings = {"callbacks": [
        {"name": "early_stopping", "patience": 3, "restore_best_weights": True},
        {"name": "model_checkpoint", "filepath": str(tmp_path / "ck" / "best.keras"),
         "save_best_only": True},
        {"name": "reduce_lr_on_plateau", "factor": 0.5},
        {"name": "csv_logger", "filename": str(tmp_path / "log.csv")},
        {"name": "terminate_on_nan"},
        {"name": "tensorboard", "log_dir": str(tmp_path / "tb")},
    ]}
    made = make_callbacks(settings)
    early, ckpt, plateau, csv, nan, board = made
    reference = keras.callbacks.EarlyStopping(patience=3, restore_best_weights=True)
    keys = ("patience", "monitor", "min_delta", "baseline", "restore_best_weights",
            "start_from_epoch")
    assert [getattr(early, k) for k in keys] == [getattr(reference, k) for k in keys]
    assert ckpt.save_best_only and ckpt.monitor == "val_loss"
    ref_plateau = keras.callbacks.ReduceLROnPlateau(factor=0.5)
    assert (plateau.factor, plateau.patience, plateau.min_delta, plateau.min_lr) == (
        ref_plateau.factor, ref_plateau.patience, ref_plateau.min_delta, ref_plateau.min_lr)
    assert isinstance(csv, keras.callbacks.CSVLogger)
    assert isinstance(nan, keras.callbacks.TerminateOnNaN)
    assert isinstance(board, TensorBoardLogger)
    assert (tmp_path / "ck").is_dir()


@pytest.mark.parametrize("entry, field", [
    ({"name": "early_stop"}, r"callbacks\[0\]\.name"),
    ({"name": "early_stopping", "patience": -2}, r"callbacks\[0\]\.patience"),
    ({"name": "early_stopping", "wait": 2}, r"callbacks\[0\]\.wait"),
    ({"name": "model_checkpoint"}, r"callbacks\[0\]\.filepath"),
    ({"name": "model_checkpoint", "filepath": "m.h5"}, r"callbacks\[0\]\.filepath"),
])
def test_bad_callbacks_are_refused_naming_the_field(entry, field):
    with pytest.raises(ValueError, match=field):
        make_callbacks({"callbacks": [entry]})


def test_tensorboard_writes_the_epoch_logs_and_learning_rate(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    model = tiny_model()
    history = model.fit(X, Y, batch_size=16, epochs=3, verbose=0, validation_split=0.25,
                        callbacks=[TensorBoardLogger(str(tmp_path))])
    events = EventAccumulator(str(tmp_path))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    assert {"train/loss", "train/accuracy", "validation/loss", "validation/accuracy",
            "learning_rate"} <= tags
    for tag, key in (("train/loss", "loss"), ("validation/accuracy", "val_accuracy")):
        values = [s.value for s in events.Scalars(tag)]
        assert values == pytest.approx(history.history[key], rel=1e-6)
    assert [s.step for s in events.Scalars("learning_rate")] == [0, 1, 2]


@pytest.mark.parametrize("factor", [0.5, 0.999, 1.0, 1.5])
def test_a_plateau_factor_is_refused_where_keras_refuses_it(factor):
    """A factor of 1 or more (a rise, not a cut) passed validation, and every run then
    failed in its first epoch when Keras built the callback."""
    from kerascanvas.graph.training_schema import check_callbacks

    try:
        keras.callbacks.ReduceLROnPlateau(factor=factor)
        keras_refuses = False
    except ValueError:
        keras_refuses = True
    issues = check_callbacks({"callbacks": [{"name": "reduce_lr_on_plateau",
                                             "factor": factor}]})
    assert [i.field for i in issues] == (["training.callbacks[0].factor"]
                                         if keras_refuses else [])
