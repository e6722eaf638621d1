"""Metrics that compare each prediction with a label of its own shape fail on class ids:
a run with `metrics: ["auc"]` under sparse_categorical_crossentropy ended in its first
batch with Keras' ValueError and a traceback. Validation refuses them, naming the field,
and Keras itself shows why."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kerascanvas.graph.training_outputs import SAME_SHAPE
from kerascanvas.graph.training_schema import check_training
from tests.graph.test_training_schema import model

IDS = np.array([0, 1, 2, 1, 0, 2, 1, 0])
PROBS = np.full((8, 3), 1 / 3, "float32")


@pytest.mark.parametrize("metric", sorted(SAME_SHAPE))
def test_keras_refuses_class_ids_for_the_metric_and_takes_one_hot_rows(metric):
    with pytest.raises((ValueError, RuntimeError)):
        keras.metrics.get(metric).update_state(IDS, PROBS)
    keras.metrics.get(metric).update_state(keras.utils.to_categorical(IDS, 3), PROBS)


@pytest.mark.parametrize("metric", sorted(SAME_SHAPE))
def test_validation_refuses_the_metric_on_class_ids_naming_the_field(metric):
    doc = model(loss="sparse_categorical_crossentropy", metrics=[metric])
    doc.nodes[doc.outputs[0]].params["units"] = 3
    issues = check_training(doc)
    assert [(i.field, i.severity) for i in issues] == [("training.metrics.out", "error")]
    assert issues[0].message.startswith(f"training.metrics.out: {metric} compares each")
    one_hot = model(loss="categorical_crossentropy", metrics=[metric])
    assert check_training(one_hot) == []
