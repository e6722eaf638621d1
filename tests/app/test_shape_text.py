"""Shapes on wires and in the panels are written as Keras writes them."""

from __future__ import annotations

import keras

from kerascanvas.app.canvas.render import shape_text


def test_shapes_read_as_keras_writes_them():
    x = keras.Input((4, 6))
    for tensor in (x, keras.ops.mean(x, axis=(1, 2)), keras.ops.sum(x), keras.layers.Flatten()(x)):
        assert shape_text(tensor.shape) == str(tensor.shape)
    assert shape_text([None, 8]) == "(None, 8)"  # a document's list
    assert shape_text(None) == "?"
