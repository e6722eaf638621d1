"""A mistyped name where Keras takes one of a list (activation 'Relu', initializer
'he_normall', padding 'Same', optimizer 'adamm', callback 'early_stoping') is refused
with a fix that sets the allowed name closest to it; Keras takes the fixed value."""

from __future__ import annotations

import doctest

import pytest

import kerascanvas.graph.layers  # noqa: F401 - fills the LayerSpec table
from kerascanvas.graph import name_fix, validate
from kerascanvas.graph.commands import UndoStack
from kerascanvas.graph.document import Document
from kerascanvas.graph.fixes import apply_fix, fix_label
from kerascanvas.graph.node_checks import resolve_params
from kerascanvas.graph.spec import LAYER_SPECS
from kerascanvas.runtime.layer_objects import make_layer
from tests.graph.test_training_schema import model


def _named(spec, p):
    """The value the case mistypes: the default where it is a name, else the first."""
    names = [c for c in p.allowed if isinstance(c, str)]
    return p.default if p.default in names else names[0] if names else None


CHOICES = [(kind, p.name) for kind, spec in LAYER_SPECS.items() for p in spec.params
           if _named(spec, p) and spec.samples and p.name not in dict(spec.samples[0].params)]


def _typed(value: str) -> str:
    """The name as a user mistypes it: in capitals (or in small letters)."""
    return value.upper() if value.upper() != value else value.lower()


def test_the_table_has_named_choices():
    assert {("Dense", "activation"), ("Conv2D", "padding"), ("Dense", "kernel_initializer"),
            ("Conv2D", "data_format")} <= set(CHOICES)


@pytest.mark.parametrize("kind, name", CHOICES)
def test_a_name_in_other_case_is_taken_as_keras_takes_it_or_fixed_to_the_allowed_name(
        kind, name):
    spec = LAYER_SPECS[kind]
    p = next(p for p in spec.params if p.name == name)
    meant = _named(spec, p)
    doc = Document()
    node = doc.add_node(kind, params={**spec.samples[0].params, name: _typed(meant)})
    _, issues = resolve_params(node, spec)
    if not issues:  # taken as it is ('ZEROS' names the class Zeros): Keras takes it too
        make_layer(kind, "n", node.params)
        return
    assert [(i.fixes, i.data.get("suggestion")) for i in issues] == [((name_fix.FIX,), meant)]
    assert fix_label(name_fix.FIX, issues[0], doc) == f"Set {name} to {meant!r}"
    stack = UndoStack()
    apply_fix(doc, issues[0], name_fix.FIX, stack)
    assert node.params[name] == meant and resolve_params(node, spec)[1] == []
    make_layer(kind, "n", node.params)  # Keras makes the layer with it
    stack.undo()
    assert node.params[name] == _typed(meant)


@pytest.mark.parametrize("typed, meant", [("rellu", "relu"), ("softmaxx", "softmax"),
                                          ("Leaky-ReLU", "leaky_relu"), ("tanhh", "tanh")])
def test_a_near_spelling_of_an_activation_gets_the_name(typed, meant):
    node = Document().add_node("Dense", params={"units": 2, "activation": typed})
    _, issues = resolve_params(node, LAYER_SPECS["Dense"])
    assert issues[0].data["suggestion"] == meant


def test_a_name_close_to_none_gets_no_fix():
    node = Document().add_node("Dense", params={"units": 2, "activation": "banana"})
    _, issues = resolve_params(node, LAYER_SPECS["Dense"])
    assert issues and issues[0].fixes == ()


@pytest.mark.parametrize("training, field, fixed", [
    ({"optimizer": "Adam"}, "training.optimizer.name", {"optimizer": "adam"}),
    ({"optimizer": {"name": "adamm", "learning_rate": 0.01}}, "training.optimizer.name",
     {"optimizer": {"name": "adam", "learning_rate": 0.01}}),
    ({"schedule": {"name": "cosine decay"}}, "training.schedule.name",
     {"schedule": {"name": "cosine_decay"}}),
    ({"callbacks": [{"name": "terminate_on_nan"}, {"name": "early_stoping", "patience": 2}]},
     "training.callbacks[1].name",
     {"callbacks": [{"name": "terminate_on_nan"}, {"name": "early_stopping", "patience": 2}]}),
])
def test_a_mistyped_optimizer_schedule_or_callback_name_is_fixed(training, field, fixed):
    doc = model(**training)
    (issue,) = [i for i in validate.analyze(doc).issues if i.data.get("field") == field]
    assert issue.message.startswith(f"{field}: expected a") and issue.fixes
    suggested = issue.data["suggestion"]
    assert fix_label(issue.fixes[0], issue, doc) == f"Use {suggested}"
    stack = UndoStack()
    apply_fix(doc, issue, issue.fixes[0], stack)
    assert doc.training == fixed and validate.analyze(doc).issues == []
    stack.undo()
    assert doc.training == training


def test_doctests():
    assert doctest.testmod(name_fix).failed == 0
