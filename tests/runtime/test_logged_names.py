"""Names in the training settings, checked against Keras: `logged_names` against the
keys of Keras' own history (and the monitor check that uses it), and the metric
names against Keras' metric registry."""

from __future__ import annotations

import numpy as np
import pytest

from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.training_schema import (
    KERAS_METRICS,
    OUR_METRICS,
    check_training,
    logged_names,
    resolve_extended,
)
from kerascanvas.runtime.extras import METRICS
from kerascanvas.runtime.keras_env import import_keras
from kerascanvas.runtime.train import load_checked_data, prepare, train
from tests.runtime.test_bridge import one_thread  # noqa: F401  (autouse fixture)
from tests.runtime.test_worker import mlp


def two_outputs(**training) -> Document:
    doc = Document()
    x = doc.add_node("Input", name="x", params={"shape": [6]})
    h = doc.add_node("Dense", name="hidden", params={"units": 8, "activation": "relu"})
    a = doc.add_node("Dense", name="kind", params={"units": 3, "activation": "softmax"})
    b = doc.add_node("Dense", name="score", params={"units": 1})
    doc.connect(Edge(x.id, 0, h.id, 0))
    doc.connect(Edge(h.id, 0, a.id, 0))
    doc.connect(Edge(h.id, 0, b.id, 0))
    doc.outputs = [a.id, b.id]
    doc.training = {"data": "synthetic:40", "epochs": 1, "batch_size": 8, "seed": 0,
                    "validation_split": 0.25, **training}
    return doc


CASES = {
    "one output": lambda: mlp(units=6, metrics=["accuracy", "f1_macro", "sparse_top_k_"
                                                "categorical_accuracy"],
                              validation_split=0.25, epochs=1),
    "two outputs": lambda: two_outputs(metrics={"kind": ["acc", "f1_micro"],
                                                "score": ["mae", "rmse"]}),
}


@pytest.mark.parametrize("case", CASES)
def test_logged_names_are_the_history_keys_of_keras(case):
    doc, settings = prepare(CASES[case]())
    result = train(doc, load_checked_data(doc, settings))
    names = logged_names(doc, resolve_extended(doc))
    assert sorted(names + [f"val_{n}" for n in names]) == sorted(result.history)


def monitor_issues(doc):
    return [i for i in check_training(doc) if i.field.endswith(".monitor")]


def test_a_monitor_that_is_never_logged_is_an_error_naming_the_field():
    doc = mlp(metrics=["accuracy"], validation_split=0.2,
              callbacks=[{"name": "early_stopping", "monitor": "val_acc"}])
    (issue,) = monitor_issues(doc)
    assert issue.severity == "error" and issue.field == "training.callbacks[0].monitor"
    assert "'val_acc'" in issue.message and "accuracy" in issue.message


@pytest.mark.parametrize("monitor", ["val_loss", "loss", "val_accuracy", "accuracy"])
def test_logged_monitors_pass(monitor):
    doc = mlp(metrics=["accuracy"], validation_split=0.2,
              callbacks=[{"name": "reduce_lr_on_plateau", "monitor": monitor}])
    assert monitor_issues(doc) == []


def test_per_output_monitors_of_a_two_output_model():
    ok = two_outputs(metrics={"kind": ["accuracy"]},
                     callbacks=[{"name": "early_stopping", "monitor": "val_kind_accuracy"},
                                {"name": "early_stopping", "monitor": "score_loss"},
                                {"name": "early_stopping", "monitor": "accuracy"}])
    (issue,) = monitor_issues(ok)
    assert issue.field == "training.callbacks[2].monitor"


def test_metric_names_are_the_ones_keras_builds_from_a_name():
    from keras.src.metrics import ALL_OBJECTS_DICT

    keras = import_keras()
    abstract = {"Metric", "metric", "Mean", "mean", "Sum", "sum"}
    buildable = set()
    for name in set(ALL_OBJECTS_DICT) - abstract:
        try:
            keras.metrics.get(name)
        except (TypeError, ValueError):
            continue
        buildable.add(name)
    assert set(KERAS_METRICS) - {"acc"} == buildable  # "acc": compile's own alias
    assert set(OUR_METRICS) == set(METRICS)


def metric_issues(doc):
    return [i for i in check_training(doc) if i.field.startswith("training.metrics")]


def test_an_unknown_metric_is_an_error_with_a_suggestion():
    (issue,) = metric_issues(mlp(metrics=["acuracy"]))
    assert issue.field == "training.metrics.out" and issue.severity == "error"
    assert "'acuracy'" in issue.message and "'accuracy'" in issue.message


@pytest.mark.parametrize("units, refused", [(3, True), (5, True), (6, False)])
def test_top_k_accuracy_needs_more_classes_than_k(units, refused):
    issues = metric_issues(mlp(units=units, metrics=["sparse_top_k_categorical_accuracy"]))
    assert bool(issues) == refused
    if refused:
        assert f"has {units}" in issues[0].message


@pytest.mark.parametrize("metric", ["f1_score", "FBetaScore"])
def test_per_class_metrics_are_refused_for_one_number(metric):
    keras = import_keras()
    built = keras.metrics.get(metric)
    built.update_state(np.eye(3)[[0, 1, 2, 1]], np.eye(3)[[0, 1, 1, 1]])
    assert tuple(built.result().shape) == (3,)  # what Keras gives: one value per class
    (issue,) = metric_issues(mlp(metrics=[metric], loss="categorical_crossentropy"))
    assert "f1_macro" in issue.message and issue.severity == "error"
