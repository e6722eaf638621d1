"""A training setting of the wrong form (an optimizer that is a number, metrics given as
one string, a data spec that is a list) is reported with its own field and the value
received, by validation and by the refusal `run` and `codegen --script` give."""

from __future__ import annotations

import pytest

from kerascanvas.graph.training_schema import SETTINGS, check_training, refused_training
from kerascanvas.graph.validate import analyze
from tests.graph.test_training_schema import model

CASES = {
    "optimizer a number": ({"optimizer": 7}, "training.optimizer", "7"),
    "optimizer null": ({"optimizer": None}, "training.optimizer", "None"),
    "optimizer name a list": ({"optimizer": {"name": ["adam"]}}, "training.optimizer.name",
                              "['adam']"),
    "schedule name a dict": ({"schedule": {"name": {}}}, "training.schedule.name", "{}"),
    "schedule a number": ({"schedule": 3}, "training.schedule", "3"),
    "metrics one string": ({"metrics": "accuracy"}, "training.metrics", "'accuracy'"),
    "metrics a number": ({"metrics": 1.5}, "training.metrics", "1.5"),
    "metrics of an output a string": ({"metrics": {"out": "accuracy"}},
                                      "training.metrics.out", "'accuracy'"),
    "loss_weights text": ({"loss_weights": ""}, "training.loss_weights", "''"),
    "loss_weights of an output a list": ({"loss_weights": {"out": [1]}},
                                         "training.loss_weights.out", "[1]"),
    "callbacks a number": ({"callbacks": 0}, "training.callbacks", "0"),
    "callbacks null": ({"callbacks": None}, "training.callbacks", "None"),
    "callback name a list": ({"callbacks": [{"name": []}]}, "training.callbacks[0].name",
                             "[]"),
    "loss a list": ({"loss": []}, "training.loss", "[]"),
    "loss a number": ({"loss": 0}, "training.loss", "0"),
    "loss of an output a list": ({"loss": {"out": ["mse"]}}, "training.loss.out", "['mse']"),
    "data a number": ({"data": -1}, "training.data", "-1"),
    "data null": ({"data": None}, "training.data", "None"),
    "data a list": ({"data": ["x.npz"]}, "training.data", "['x.npz']"),
    "test_data a dict": ({"test_data": {}}, "training.test_data", "{}"),
}


@pytest.mark.parametrize("name", CASES)
def test_a_setting_of_the_wrong_form_names_its_field_and_value(name):
    training, field, received = CASES[name]
    issues = check_training(model(**training))
    assert [i.field for i in issues] == [field], issues
    assert issues[0].message.startswith(f"{field}: ")
    assert issues[0].message.endswith(f"Received: {received}")
    assert f"{field}: " in refused_training(model(**training))


@pytest.mark.parametrize("name", CASES)
def test_validation_shows_the_field_of_a_setting_of_the_wrong_form(name):
    training, field, _ = CASES[name]
    messages = [i.message for i in analyze(model(**training)).issues]
    assert any(field in m for m in messages), messages


def test_settings_of_the_documented_forms_are_still_taken():
    doc = model(optimizer="sgd", metrics={"out": ["accuracy"]}, loss_weights={"out": 2},
                data="synthetic:8", test_data=None, callbacks=[])
    assert check_training(doc) == []


@pytest.mark.parametrize("key, hint", [("Epochs", " (did you mean 'epochs'?)"),
                                       ("batchsize", " (did you mean 'batch_size'?)"),
                                       ("zzz", "")])
def test_an_unknown_setting_is_a_warning_naming_it_and_the_closest_known(key, hint):
    """A misspelt setting was ignored without a word, and its default trained."""
    doc = model(**{key: 3})
    issues = check_training(doc)
    assert [(i.field, i.severity) for i in issues] == [(f"training.{key}", "warning")]
    assert issues[0].message == (f"training.{key}: no setting of this name, so it is not "
                                 f"used{hint}. Received: {key!r}")
    assert refused_training(doc) is None  # a warning: training still starts


def test_every_example_uses_only_known_settings():
    from pathlib import Path

    from kerascanvas.graph.projectfile import load

    folder = Path(__file__).parents[2] / "resources" / "examples"
    for path in sorted(folder.glob("*.json")):
        assert not [i for i in check_training(load(path)) if "no setting of this" in i.message]


@pytest.mark.parametrize("units, key, warned", [(2, "5", True), (2, "1", False),
                                                (1, "1", False), (1, "2", True)])
def test_a_class_weight_for_a_class_the_output_lacks_is_a_warning(units, key, warned):
    """`--class-weight 9=2` on three classes trained without a word, the weight unused."""
    doc = model(class_weight={key: 2.0})
    doc.nodes[doc.outputs[0]].params["units"] = units
    issues = check_training(doc)
    assert [(i.field, i.severity) for i in issues] == \
        ([(f"training.class_weight.{key}", "warning")] if warned else [])
    if warned:
        assert f"has {units} unit(s), so its classes are 0 to {max(units, 2) - 1}" in \
            issues[0].message


@pytest.mark.parametrize("weights", [-1, {"out": -0.5}])
def test_a_negative_loss_weight_is_a_warning_naming_the_output(weights):
    """A negative weight makes training increase that output's loss; it was taken
    without a word."""
    issues = check_training(model(loss_weights=weights))
    value = -1.0 if weights == -1 else -0.5
    assert [(i.field, i.severity) for i in issues] == [("training.loss_weights.out", "warning")]
    assert issues[0].message.endswith(f"Expected a number >= 0. Received: {value!r}")
    assert check_training(model(loss_weights=0)) == []


SWEEP = [None, "", -1, 0, 1.5, True, [], {}, "x\"'\n\u00e9", [1], {"a": 1}]


@pytest.mark.parametrize("key", sorted(SETTINGS))
def test_any_value_of_a_setting_is_reported_under_that_settings_field(key):
    """Every setting, given each value of the wrong form: what is refused is named by the
    setting's own field, never the bare section with a Python type error."""
    for value in SWEEP:
        for issue in check_training(model(**{key: value})):
            assert issue.field.startswith(f"training.{key}"), (value, issue)
            assert "object is not" not in issue.message, (value, issue)
            assert "could not read them" not in issue.message, (value, issue)
