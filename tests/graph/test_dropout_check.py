"""A dropout rate of 1 drops every unit while training: Keras outputs zeros there
(GaussianDropout and AlphaDropout divide by zero, so their spec refuses 1). The graph
warns, with a fix to the kind's start value."""

from __future__ import annotations

import numpy as np
import pytest

import kerascanvas.graph.layers  # noqa: F401 - fills the LayerSpec table
from kerascanvas.graph import dropout_check
from kerascanvas.graph.commands import UndoStack
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.fixes import apply_fix, fix_label
from kerascanvas.graph.inference import infer_graph
from kerascanvas.graph.node_checks import resolve_params
from kerascanvas.graph.spec import LAYER_SPECS
from kerascanvas.runtime.keras_env import import_keras
from kerascanvas.runtime.layer_objects import make_layer

DIVIDING = ("GaussianDropout", "AlphaDropout")
RATES = [(kind, p.name) for kind, spec in LAYER_SPECS.items() for p in spec.params
         if p.name in dropout_check.RATES and p.type == "float" and p.max == 1]


def test_the_table_has_dropping_rates():
    assert {("Dropout", "rate"), ("LSTM", "dropout"), ("MultiHeadAttention", "dropout"),
            ("GaussianDropout", "rate")} <= set(RATES)


@pytest.mark.parametrize("kind, name", RATES)
def test_a_rate_of_one_is_warned_of_or_refused_where_keras_divides_by_zero(kind, name):
    spec = LAYER_SPECS[kind]
    doc = Document()
    params = dict(spec.samples[0].params) if spec.samples else {}
    node = doc.add_node(kind, params={**params, name: 1.0})
    _, refused = resolve_params(node, spec)
    if kind in DIVIDING:
        assert [i.code for i in refused] == ["bad_param"]
        assert "at 1 Keras divides by zero" in refused[0].message
        return
    assert refused == []
    results: dict = {}
    infer_graph(doc, results, {})
    (issue,) = dropout_check.full_dropout_issues(doc, results)
    start = next(p for p in spec.params if p.name == name).start_value()
    assert issue.severity == "warning" and fix_label(dropout_check.FIX, issue, doc) == \
        f"Set {name} to {start!r}"
    stack = UndoStack()
    apply_fix(doc, issue, dropout_check.FIX, stack)
    assert node.params[name] == start
    infer_graph(doc, results, {})
    assert dropout_check.full_dropout_issues(doc, results) == []
    stack.undo()
    assert node.params[name] == 1.0


@pytest.mark.parametrize("kind, params, shape", [
    ("Dropout", {"rate": 1.0}, (2, 6)), ("SpatialDropout1D", {"rate": 1.0}, (2, 3, 4)),
    ("LSTM", {"units": 4, "dropout": 1.0}, (2, 3, 4)),
    ("GRU", {"units": 4, "dropout": 1.0}, (2, 3, 4))])
def test_keras_outputs_zeros_there_while_training(kind, params, shape):
    keras = import_keras()
    layer = make_layer(kind, "n", params)
    out = keras.ops.convert_to_numpy(layer(np.ones(shape, "float32"), training=True))
    assert not out.any()


@pytest.mark.parametrize("kind", DIVIDING)
def test_keras_divides_by_zero_there_while_training(kind):
    keras = import_keras()
    layer = getattr(keras.layers, kind)(1.0)
    with pytest.raises(Exception, match="division by zero|negative power"):
        layer(np.ones((2, 4), "float32"), training=True)


def test_a_dropout_of_one_in_a_model_is_one_warning_with_its_fix():
    from kerascanvas.graph import validate

    doc = Document()
    x = doc.add_node("Input", params={"shape": [8]})
    drop = doc.add_node("Dropout", params={"rate": 1})
    out = doc.add_node("Dense", params={"units": 2})
    doc.connect(Edge(x.id, 0, drop.id, 0))
    doc.connect(Edge(drop.id, 0, out.id, 0))
    doc.outputs = [out.id]
    (issue,) = validate.analyze(doc).issues
    assert issue.node == drop.id and issue.fixes == (dropout_check.FIX,)
    apply_fix(doc, issue, dropout_check.FIX, UndoStack())
    assert drop.params["rate"] == 0.5 and validate.analyze(doc).issues == []
