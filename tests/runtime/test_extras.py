"""Focal loss and F1 against NumPy, scikit-learn and Keras' own focal losses."""

import numpy as np
import pytest
from sklearn.metrics import f1_score

from kerascanvas.runtime.extras import F1Score, FocalLoss, resolve_loss, resolve_metric
from kerascanvas.runtime.keras_env import import_keras

keras = import_keras()
rng = np.random.default_rng(7)


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def focal_reference(ids, probs, alpha, gamma):
    p_t = probs[np.arange(len(ids)), ids]
    return np.mean(-alpha * (1 - p_t) ** gamma * np.log(p_t))


def as_float(x) -> float:
    return float(keras.ops.convert_to_numpy(x))


@pytest.mark.parametrize("gamma", [0.0, 2.0, 3.5])
def test_focal_loss_on_class_ids_one_hot_rows_and_logits(gamma):
    logits = rng.standard_normal((16, 5)).astype("float32")
    ids = rng.integers(0, 5, 16)
    probs = softmax(logits)
    expected = focal_reference(ids, probs, 0.25, gamma)
    loss = FocalLoss(alpha=0.25, gamma=gamma)
    assert as_float(loss(ids, probs)) == pytest.approx(expected, rel=1e-5)
    assert as_float(loss(ids[:, None], probs)) == pytest.approx(expected, rel=1e-5)
    assert as_float(loss(np.eye(5)[ids], probs)) == pytest.approx(expected, rel=1e-5)
    from_logits = FocalLoss(alpha=0.25, gamma=gamma, from_logits=True)
    assert as_float(from_logits(ids, logits)) == pytest.approx(expected, rel=1e-5)


def test_focal_loss_agrees_with_keras_categorical_focal():
    probs = softmax(rng.standard_normal((12, 4)).astype("float32"))
    onehot = np.eye(4, dtype="float32")[rng.integers(0, 4, 12)]
    keras_loss = keras.losses.CategoricalFocalCrossentropy(alpha=0.4, gamma=1.5)
    ours = FocalLoss(alpha=0.4, gamma=1.5)
    assert as_float(ours(onehot, probs)) == pytest.approx(as_float(keras_loss(onehot, probs)),
                                                          rel=1e-5)


@pytest.mark.parametrize("from_logits", [False, True])
def test_binary_focal_loss_agrees_with_keras_balanced_binary_focal(from_logits):
    logits = rng.standard_normal((20, 1)).astype("float32")
    labels = rng.integers(0, 2, (20, 1)).astype("float32")
    pred = logits if from_logits else 1 / (1 + np.exp(-logits))
    keras_loss = keras.losses.BinaryFocalCrossentropy(
        apply_class_balancing=True, alpha=0.3, gamma=2.0, from_logits=from_logits)
    ours = FocalLoss(alpha=0.3, gamma=2.0, from_logits=from_logits)
    assert as_float(ours(labels, pred)) == pytest.approx(as_float(keras_loss(labels, pred)),
                                                         rel=1e-4)


def feed(metric, batches):
    metric.reset_state()
    for y_true, y_pred in batches:
        metric.update_state(y_true, y_pred)
    return as_float(metric.result())


@pytest.mark.parametrize("average", ["macro", "micro"])
def test_f1_is_stateful_over_batches_and_matches_sklearn(average):
    classes = 6
    ids = rng.integers(0, 5, 90)  # class 5 never appears: macro must not count it
    probs = softmax(rng.standard_normal((90, classes)) + 2 * np.eye(classes)[ids])
    batches = [(ids[i:i + 32], probs[i:i + 32]) for i in range(0, 90, 32)]
    expected = f1_score(ids, probs.argmax(-1), average=average)
    metric = F1Score(classes, average)
    assert feed(metric, batches) == pytest.approx(expected, rel=1e-6)
    onehot = [(np.eye(classes)[t], p) for t, p in batches]
    assert feed(metric, onehot) == pytest.approx(expected, rel=1e-6)


def test_f1_on_one_sigmoid_unit_thresholds_at_one_half():
    labels = rng.integers(0, 2, 50)
    scores = rng.random((50, 1)).astype("float32")
    expected = f1_score(labels, (scores[:, 0] > 0.5).astype(int), average="macro")
    assert feed(F1Score(1, "macro"), [(labels[:, None], scores)]) == pytest.approx(expected)


def test_f1_weighted_by_samples_matches_sklearn():
    ids = rng.integers(0, 3, 40)
    probs = softmax(rng.standard_normal((40, 3)))
    weights = rng.random(40)
    metric = F1Score(3, "macro")
    metric.update_state(ids, probs, sample_weight=weights)
    expected = f1_score(ids, probs.argmax(-1), average="macro", sample_weight=weights)
    assert as_float(metric.result()) == pytest.approx(expected, rel=1e-5)


def test_names_from_settings_resolve_to_objects_keras_accepts():
    assert isinstance(resolve_loss("focal_loss"), FocalLoss)
    assert resolve_loss({"name": "focal_loss", "gamma": 1.0}).gamma == 1.0
    assert resolve_loss("mse") == "mse"
    assert isinstance(resolve_metric("rmse", 1), keras.metrics.RootMeanSquaredError)
    assert resolve_metric("f1_micro", 4).average == "micro"
    assert resolve_metric("accuracy", 4) == "accuracy"
    with pytest.raises(ValueError, match="'weighted'"):
        F1Score(3, "weighted")


def test_model_with_our_loss_and_metrics_saves_and_loads_in_safe_mode(tmp_path):
    x = rng.standard_normal((64, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int64") + (x[:, 1] > 0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile("adam", resolve_loss({"name": "focal_loss", "alpha": 0.5}),
                  metrics=[resolve_metric("f1_macro", 3), resolve_metric("f1_micro", 3)])
    history = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    assert set(history.history) == {"loss", "f1_macro", "f1_micro"}
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)  # safe_mode is on by default
    assert isinstance(loaded.loss, FocalLoss) and loaded.loss.alpha == 0.5
    scores = model.evaluate(x, y, verbose=0, return_dict=True)
    again = loaded.evaluate(x, y, verbose=0, return_dict=True)
    assert again == pytest.approx(scores, rel=1e-5)
    expected = f1_score(y, model.predict(x, verbose=0).argmax(-1), average="macro")
    assert scores["f1_macro"] == pytest.approx(expected, rel=1e-5)
