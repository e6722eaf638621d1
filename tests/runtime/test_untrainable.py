"""What Keras builds but cannot train on torch is refused before training, naming the
node; each case first proves that Keras itself still fails, so a Keras fix shows up."""

from __future__ import annotations

import numpy as np
import pytest

from kerascanvas.graph.document import Document, Edge
from kerascanvas.runtime.keras_env import import_keras
from kerascanvas.runtime.train import TrainingRefused, load_checked_data, prepare, train
from tests.runtime.test_bridge import one_thread  # noqa: F401  (autouse fixture)

keras = import_keras()
RECURRENT = ["LSTM", "GRU"]  # a stateful SimpleRNN trains (tested below)


@pytest.mark.parametrize("kind", RECURRENT)
def test_keras_on_torch_cannot_train_a_stateful_layer(kind):
    model = keras.Sequential([keras.Input((5, 3), batch_size=4),
                              getattr(keras.layers, kind)(4, stateful=True),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    x, y = np.random.rand(8, 5, 3).astype("float32"), np.array([0, 1] * 4)
    with pytest.raises(RuntimeError, match="inplace operation"):
        model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)


@pytest.mark.parametrize("kind", RECURRENT)
def test_training_a_stateful_layer_is_refused_naming_the_node(kind):
    doc = Document()
    x = doc.add_node("Input", name="x", params={"shape": [5, 3], "batch_size": 4})
    rnn = doc.add_node(kind, name="memory", params={"units": 4, "stateful": True})
    out = doc.add_node("Dense", name="out", params={"units": 2, "activation": "softmax"})
    doc.connect(Edge(x.id, 0, rnn.id, 0))
    doc.connect(Edge(rnn.id, 0, out.id, 0))
    doc.outputs = [out.id]
    doc.training = {"data": "synthetic:16", "batch_size": 4, "epochs": 1, "seed": 0}
    doc, settings = prepare(doc)
    with pytest.raises(TrainingRefused, match=f"memory: {kind} with stateful=True"):
        train(doc, load_checked_data(doc, settings))


def test_a_stateful_simple_rnn_trains():
    doc = Document()
    x = doc.add_node("Input", name="x", params={"shape": [5, 3], "batch_size": 4})
    rnn = doc.add_node("SimpleRNN", name="memory", params={"units": 4, "stateful": True})
    out = doc.add_node("Dense", name="out", params={"units": 2, "activation": "softmax"})
    doc.connect(Edge(x.id, 0, rnn.id, 0))
    doc.connect(Edge(rnn.id, 0, out.id, 0))
    doc.outputs = [out.id]
    doc.training = {"data": "synthetic:16", "batch_size": 4, "epochs": 1, "seed": 0,
                    "shuffle": False, "validation_split": 0.0}
    doc, settings = prepare(doc)
    assert train(doc, load_checked_data(doc, settings)).ok
