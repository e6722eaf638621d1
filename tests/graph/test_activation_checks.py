"""A softmax (sigmoid) layer applied to a softmax's (sigmoid's) output: a warning with the
fix that takes the second out. The numbers are Keras': the doubled softmax's outputs lie
near the uniform."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kerascanvas.graph.commands import UndoStack
from kerascanvas.graph.fixes import apply_fix
from kerascanvas.graph.validate import analyze

from .fix_cases import chain

L = keras.layers


@pytest.mark.parametrize("kind, params, first", [
    ("Activation", {"activation": "softmax"}, "softmax"),
    ("Softmax", {}, "softmax"),
    ("Activation", {"activation": "sigmoid"}, "sigmoid"),
])
def test_a_second_squashing_layer_is_flagged_and_removed(kind, params, first):
    doc, ids = chain(("Input", {"shape": [4]}), ("Dense", {"units": 5, "activation": first}),
                     (kind, params))
    doc.outputs = [ids[-1]]
    (issue,) = [i for i in analyze(doc).issues if i.code == "double_activation"]
    assert issue.node == ids[-1] and issue.severity == "warning"
    assert issue.fixes == ("remove_node",)
    apply_fix(doc, issue, "remove_node", UndoStack())
    assert ids[-1] not in doc.nodes and doc.outputs == [ids[1]]
    assert not [i for i in analyze(doc).issues if i.code == "double_activation"]


def test_keras_doubled_softmax_lies_near_the_uniform():
    logits = np.array([[8.0, 0.0, -4.0]], "float32")
    once = keras.ops.convert_to_numpy(keras.activations.softmax(logits))
    twice = keras.ops.convert_to_numpy(keras.activations.softmax(once))
    assert once.max() > 0.99 and twice.max() < 0.6  # the first's certainty is gone


@pytest.mark.parametrize("layers", [
    [("Dense", {"units": 5, "activation": "sigmoid"}),
     ("Dense", {"units": 5, "activation": "sigmoid"})],  # stacked sigmoid layers: a model
    [("Dense", {"units": 5, "activation": "relu"}), ("Activation", {"activation": "softmax"})],
    [("Dense", {"units": 5, "activation": "sigmoid"}), ("Softmax", {})],
])
def test_no_warning_for_a_layer_between_or_another_activation(layers):
    doc, ids = chain(("Input", {"shape": [4]}), *layers)
    doc.outputs = [ids[-1]]
    assert not [i for i in analyze(doc).issues if i.code == "double_activation"]
