"""Recurrent layers stacked without `return_sequences` (LSTM -> LSTM): the fix that turns it
on is offered first, and the fixed graph is the model Keras builds (`graph.sequence_fix`)."""

from __future__ import annotations

import keras
import pytest

from kerascanvas.graph.commands import UndoStack
from kerascanvas.graph.fixes import apply_fix, fix_label
from kerascanvas.graph.projectfile import dumps
from kerascanvas.graph.validate import analyze

from .fix_cases import chain
from .test_fixes import assert_shapes_match_keras

L = keras.layers
FIX = "return_sequences_on"
LSTM = ("LSTM", {"units": 6})


def keras_model(first, between, last):
    x = keras.Input((10, 4))
    y = first(x)
    for layer in between:
        y = layer(y)
    return keras.Model(x, last(y))


CASES = {  # name: (the graph's layers after the Input, the layer fixed, Keras' model)
    "lstm-lstm": ([LSTM, LSTM], 0, lambda: keras_model(
        L.LSTM(6, return_sequences=True), [], L.LSTM(6))),
    "gru-dropout-lstm": ([("GRU", {"units": 5}), ("Dropout", {"rate": 0.2}), LSTM], 0,
                         lambda: keras_model(L.GRU(5, return_sequences=True),
                                             [L.Dropout(0.2)], L.LSTM(6))),
    "bidirectional-conv1d": ([("Bidirectional", {"layer": {"kind": "LSTM", "params": {
        "units": 3}}}), ("Conv1D", {"filters": 2, "kernel_size": 3})], 0, lambda: keras_model(
            L.Bidirectional(L.LSTM(3, return_sequences=True)), [], L.Conv1D(2, 3))),
    "lstm-dense-pool": ([LSTM, ("Dense", {"units": 3}), ("GlobalAveragePooling1D", {})], 0,
                        lambda: keras_model(L.LSTM(6, return_sequences=True), [L.Dense(3)],
                                            L.GlobalAveragePooling1D())),
}


@pytest.mark.parametrize("name", CASES)
def test_stacked_recurrent_layers_get_return_sequences_first(name):
    layers, fixed, model = CASES[name]
    doc, ids = chain(("Input", {"shape": [10, 4]}), *layers)
    doc.outputs = [ids[-1]]
    (issue,) = [i for i in analyze(doc).issues if i.severity == "error"]
    layer = doc.nodes[ids[1 + fixed]]
    assert issue.fixes[0] == FIX and issue.data["layer"] == layer.id
    assert fix_label(FIX, issue, doc) == f"Set return_sequences=True on {layer.name}"
    stack, text = UndoStack(), dumps(doc)
    apply_fix(doc, issue, FIX, stack)
    after = analyze(doc)
    assert after.errors == []
    expected = model()
    assert after.results[ids[-1]].output_shapes[0] == tuple(expected.outputs[0].shape)
    assert sum(after.total_params) == expected.count_params()
    assert_shapes_match_keras(doc, after)
    stack.undo()
    assert dumps(doc) == text


@pytest.mark.parametrize("layers", [
    [LSTM, ("Conv2D", {"filters": 2, "kernel_size": 3})],  # a sequence would not do either
    [("Dense", {"units": 4}), ("Flatten", {}), LSTM],  # no recurrent layer up the chain
])
def test_no_return_sequences_where_it_would_not_help(layers):
    doc, ids = chain(("Input", {"shape": [10, 4]}), *layers)
    doc.outputs = [ids[-1]]
    errors = [i for i in analyze(doc).issues if i.severity == "error"]
    assert errors and all(FIX not in i.fixes for i in errors)
