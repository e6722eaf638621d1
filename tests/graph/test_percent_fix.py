"""A fraction given as a percentage (Dropout rate=50, a validation split of 20) is refused
with a fix that sets the value / 100; Keras takes the fixed value."""

from __future__ import annotations

import doctest

import pytest

import kerascanvas.graph.layers  # noqa: F401 - fills the LayerSpec table
from kerascanvas.graph import percent_fix, validate
from kerascanvas.graph.commands import UndoStack
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.fixes import apply_fix, fix_label
from kerascanvas.graph.node_checks import resolve_params
from kerascanvas.graph.spec import LAYER_SPECS
from kerascanvas.runtime.layer_objects import make_layer

FRACTIONS = [(kind, p.name) for kind, spec in LAYER_SPECS.items() for p in spec.params
             if p.type == "float" and p.min == 0 and p.max == 1]


def test_the_table_has_fraction_params():
    assert {("Dropout", "rate"), ("LSTM", "recurrent_dropout"),
            ("BatchNormalization", "momentum")} <= set(FRACTIONS)


@pytest.mark.parametrize("kind, name", FRACTIONS)
def test_a_percentage_is_refused_with_a_fix_to_its_fraction_which_keras_takes(kind, name):
    spec = LAYER_SPECS[kind]
    doc = Document()
    params = dict(spec.samples[0].params) if spec.samples else {}
    node = doc.add_node(kind, params={**params, name: 35})
    _, issues = resolve_params(node, spec)
    assert [i.fixes for i in issues] == [(percent_fix.FIX,)]
    assert fix_label(percent_fix.FIX, issues[0], doc) == f"Set {name} to 0.35"
    stack = UndoStack()
    apply_fix(doc, issues[0], percent_fix.FIX, stack)
    assert node.params[name] == 0.35 and resolve_params(node, spec)[1] == []
    if spec.category != "Blocks":  # a Keras layer: Keras takes the value as given
        layer = make_layer(kind, "n", node.params)
        assert layer.get_config()[name] == pytest.approx(0.35)
    stack.undo()
    assert node.params[name] == 35


@pytest.mark.parametrize("value", [150, 100, 1, -5, True, "50"])
def test_a_value_that_is_no_percentage_gets_no_fix(value):
    doc = Document()
    node = doc.add_node("Dropout", params={"rate": value})
    _, issues = resolve_params(node, LAYER_SPECS["Dropout"])
    assert all(percent_fix.FIX not in i.fixes for i in issues)


def test_a_validation_split_given_as_a_percentage_is_fixed_and_undone():
    doc = Document()
    x = doc.add_node("Input", params={"shape": [5]})
    out = doc.add_node("Dense", params={"units": 2})
    doc.connect(Edge(x.id, 0, out.id, 0))
    doc.outputs = [out.id]
    doc.training = {"validation_split": 20, "epochs": 3}
    issue = next(i for i in validate.analyze(doc).issues if "validation_split" in i.message)
    assert issue.node is None and issue.fixes == (percent_fix.FIX,)
    assert fix_label(percent_fix.FIX, issue, doc) == "Set validation_split to 0.2"
    stack = UndoStack()
    apply_fix(doc, issue, percent_fix.FIX, stack)
    assert doc.training == {"validation_split": 0.2, "epochs": 3}
    assert validate.analyze(doc).issues == []
    stack.undo()
    assert doc.training == {"validation_split": 20, "epochs": 3}
    doc.training = {"validation_split": 150}
    issue = next(i for i in validate.analyze(doc).issues if "validation_split" in i.message)
    assert issue.fixes == ()


def test_doctests():
    assert doctest.testmod(percent_fix).failed == 0
