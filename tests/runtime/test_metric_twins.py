"""The metric validation offers in place of one that reads the other label form than the
loss: Keras computes it right on the labels the loss trains on (and top_k_categorical_accuracy
fails on class ids)."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerascanvas.graph.training_outputs import label_twin  # noqa: E402


def scores(loss, metric, labels, x):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(6, activation="softmax")])
    model.compile(loss=loss, metrics=[metric])
    logs = model.evaluate(x, labels, verbose=0, return_dict=True)
    return model.predict(x, verbose=0), logs


def test_the_twin_accuracy_is_right_on_class_ids_and_the_original_is_not():
    rng = np.random.default_rng(0)
    x, ids = rng.normal(size=(64, 4)).astype("float32"), rng.integers(0, 6, 64)
    loss = "sparse_categorical_crossentropy"
    twin = label_twin("categorical_accuracy", loss)
    probs, logs = scores(loss, twin, ids, x)
    assert logs[twin] == pytest.approx(np.mean(probs.argmax(-1) == ids), abs=1e-6)
    with pytest.raises(Exception):  # noqa: B017 - Keras raises IndexError here
        scores(loss, "top_k_categorical_accuracy", ids, x)
    _, logs = scores(loss, label_twin("top_k_categorical_accuracy", loss), ids, x)
    assert 0.0 <= logs["sparse_top_k_categorical_accuracy"] <= 1.0


def test_the_twin_accuracy_is_right_on_one_hot_rows():
    rng = np.random.default_rng(1)
    x, ids = rng.normal(size=(64, 4)).astype("float32"), rng.integers(0, 6, 64)
    loss = "categorical_crossentropy"
    twin = label_twin("sparse_categorical_accuracy", loss)
    probs, logs = scores(loss, twin, np.eye(6, dtype="float32")[ids], x)
    assert logs[twin] == pytest.approx(np.mean(probs.argmax(-1) == ids), abs=1e-6)
