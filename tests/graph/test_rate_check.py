"""A learning rate far too large for its optimizer (Adam at 1) is warned of, with a fix
that sets Keras' own default rate of that optimizer."""

from __future__ import annotations

import doctest

import pytest

from kerascanvas.graph import rate_check, validate
from kerascanvas.graph.commands import UndoStack
from kerascanvas.graph.fixes import apply_fix, fix_label
from kerascanvas.runtime.keras_env import import_keras
from tests.graph.test_training_schema import model

CLASSES = {"adam": "Adam", "adamw": "AdamW", "nadam": "Nadam", "rmsprop": "RMSprop",
           "adagrad": "Adagrad", "sgd": "SGD"}


def rate_warnings(doc):
    return [i for i in validate.analyze(doc).issues if i.code == rate_check.CODE]


def test_every_optimizer_of_the_settings_has_a_limit():
    from kerascanvas.graph.training_schema import OPTIMIZERS

    assert set(rate_check.LIMITS) == set(OPTIMIZERS) == set(CLASSES)


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_a_rate_at_the_limit_is_warned_of_and_the_fix_sets_keras_default(name):
    keras = import_keras()
    limit = rate_check.LIMITS[name]
    doc = model(optimizer={"name": name, "learning_rate": limit}, epochs=2)
    (issue,) = rate_warnings(doc)
    assert issue.severity == "warning" and issue.node is None
    assert issue.message.startswith(f"training.optimizer.learning_rate: {limit!r} is far "
                                    f"too large for {name}")
    default = issue.data["suggestion"]  # Keras' default, which Keras holds as float32
    assert default == pytest.approx(
        getattr(keras.optimizers, CLASSES[name])().get_config()["learning_rate"], rel=1e-6)
    assert fix_label(rate_check.FIX, issue, doc) == f"Set learning_rate to {default!r}"
    stack = UndoStack()
    apply_fix(doc, issue, rate_check.FIX, stack)
    assert doc.training == {"optimizer": {"name": name, "learning_rate": default}, "epochs": 2}
    assert rate_warnings(doc) == []
    stack.undo()
    assert doc.training["optimizer"]["learning_rate"] == limit


@pytest.mark.parametrize("training", [
    {"optimizer": {"name": "adam", "learning_rate": 0.5}},
    {"optimizer": {"name": "sgd", "learning_rate": 1.0}},
    {"optimizer": "adam"},
    {"optimizer": {"name": "adam", "learning_rate": 5},
     "schedule": {"name": "step", "boundaries": [2], "values": [0.01, 0.001]}},
])
def test_a_usual_rate_or_one_a_schedule_replaces_is_not_warned_of(training):
    assert rate_warnings(model(**training)) == []


def test_an_optimizer_named_as_a_string_is_fixed_into_an_object():
    doc = model(optimizer="rmsprop")
    doc.training["optimizer"] = {"name": "rmsprop", "learning_rate": 2}
    (issue,) = rate_warnings(doc)
    doc.training = {"optimizer": "rmsprop"}  # changed since: the fix still sets the rate
    apply_fix(doc, issue, rate_check.FIX, UndoStack())
    assert doc.training["optimizer"] == {"name": "rmsprop", "learning_rate": 0.001}


def test_doctests():
    assert doctest.testmod(rate_check).failed == 0
