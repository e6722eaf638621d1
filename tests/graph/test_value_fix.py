"""A training setting written in the wrong type ("1e-3", "10", 32.0 for an integer,
"true"), or a name of a list mistyped ("Min"), is refused with a fix that writes the value
meant; text that reads as no fitting value gets none."""

from __future__ import annotations

import doctest

import pytest

from kerascanvas.graph import validate, value_fix
from kerascanvas.graph.commands import UndoStack
from kerascanvas.graph.fixes import apply_fix, fix_label
from kerascanvas.graph.training_schema import resolve_extended
from tests.graph.test_training_schema import model

CASES = [
    ({"optimizer": {"name": "adam", "learning_rate": "1e-3"}},
     "training.optimizer.learning_rate", 0.001, "Set learning_rate to 0.001"),
    ({"epochs": "10"}, "training.epochs", 10, "Set epochs to 10"),
    ({"batch_size": 32.0}, "training.batch_size", 32, "Set batch_size to 32"),
    ({"validation_split": " 0.2 "}, "training.validation_split", 0.2,
     "Set validation_split to 0.2"),
    ({"shuffle": "False"}, "training.shuffle", False, "Set shuffle to False"),
    ({"seed": "7"}, "training.seed", 7, "Set seed to 7"),
    ({"epochs": "1e1"}, "training.epochs", 10, "Set epochs to 10"),
    ({"mixed_precision": "mixed_float_16"}, "training.mixed_precision", "mixed_float16",
     "Set mixed_precision to 'mixed_float16'"),
    ({"executor": "Keras"}, "training.executor", "keras", "Set executor to 'keras'"),
    ({"callbacks": [{"name": "early_stopping", "monitor": "loss", "mode": "Min"}]},
     "training.callbacks[0].mode", "min", "Set mode to 'min'"),
    ({"callbacks": [{"name": "terminate_on_nan"},
                    {"name": "early_stopping", "monitor": "loss", "patience": "3"}]},
     "training.callbacks[1].patience", 3, "Set patience to 3"),
]


@pytest.mark.parametrize("training, field, value, label", CASES)
def test_a_value_in_the_wrong_type_is_written_in_its_type(training, field, value, label):
    doc = model(**training)
    (issue,) = [i for i in validate.analyze(doc).issues if i.data.get("field") == field]
    assert issue.fixes == (value_fix.FIX,) and "training cannot start" in issue.message
    assert fix_label(value_fix.FIX, issue, doc) == label
    stack = UndoStack()
    apply_fix(doc, issue, value_fix.FIX, stack)
    assert validate.analyze(doc).issues == []
    settings = resolve_extended(doc)
    held = settings["callbacks"][1]["patience"] if "callbacks[1]" in field else \
        settings["callbacks"][0]["mode"] if "callbacks[0]" in field else \
        settings["optimizer"]["learning_rate"] if "optimizer" in field else \
        settings[field.split(".")[1]]
    assert held == value and type(held) is type(value)
    stack.undo()
    assert doc.training == training


@pytest.mark.parametrize("training", [{"epochs": "ten"}, {"epochs": "0"}, {"epochs": 2.5},
                                      {"validation_split": "1.5"}, {"seed": "nan"},
                                      {"shuffle": "yes"}, {"device": "GPU"}])
def test_a_value_that_reads_as_nothing_fitting_gets_no_fix(training):
    issues = [i for i in validate.analyze(model(**training)).issues if i.data.get("field")]
    assert issues and all(value_fix.FIX not in i.fixes for i in issues)


def test_the_fixed_rate_reaches_keras():
    from kerascanvas.runtime.optim import make_optimizer

    doc = model(optimizer={"name": "adam", "learning_rate": "0.05"})
    (issue,) = validate.analyze(doc).issues
    apply_fix(doc, issue, value_fix.FIX, UndoStack())
    optimizer = make_optimizer(resolve_extended(doc), steps_per_epoch=10)
    assert float(optimizer.learning_rate) == pytest.approx(0.05)


def test_doctests():
    from kerascanvas.graph import setting_paths

    assert doctest.testmod(value_fix).failed == 0
    assert doctest.testmod(setting_paths).failed == 0
