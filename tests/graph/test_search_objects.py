"""Searching configured Keras objects: an argument of the object a node's parameter holds
(`{"argument": "l2"}`), and a choice between objects; the file format, the checks'
messages, the values a trial puts in, the editor's first range and "apply best"."""

import doctest

import pytest

from kerascanvas.graph import search_objects
from kerascanvas.graph.commands import UndoStack
from kerascanvas.graph.errors import ProjectFileError
from kerascanvas.graph.projectfile import dumps, loads
from kerascanvas.graph.search import search_params, with_values
from kerascanvas.graph.search_check import check_search
from kerascanvas.graph.search_edit import apply_values, mark, suggest_range
from tests.graph.test_search import conv_net, messages, with_params

L2 = {"class_name": "L2", "config": {"l2": 0.0001}}
L1L2 = {"class_name": "L1L2", "config": {"l1": 1e-05}}
FACTOR = {"param": "kernel_regularizer", "argument": "l2", "type": "float",
          "low": 1e-6, "high": 1e-2, "log": True}


def regularized(value=L2):
    """The conv net whose Dense `digit` holds `value` as its kernel_regularizer."""
    doc = conv_net()
    doc.find("digit").params["kernel_regularizer"] = value
    return doc


def on_digit(doc, *entries):
    node = doc.find("digit").id
    return with_params(doc, *({"node": node, **e} for e in entries))


def test_doctests():
    result = doctest.testmod(search_objects)
    assert result.failed == 0 and result.attempted > 0


def test_an_argument_entry_and_a_choice_of_objects_survive_a_save_and_load():
    doc = on_digit(regularized(), {"param": "kernel_regularizer", "type": "choice",
                                   "choices": ["L2(1e-4)", L1L2, None]},
                   {**FACTOR, "when": {"node": "n5", "param": "kernel_regularizer",
                                       "in": ["L2(1e-4)", "L1L2(l1=1e-05)"]}})
    again = loads(dumps(doc))
    assert again.search == doc.search
    entry = search_params(again)[1]
    assert entry.target == ("n5", "kernel_regularizer", "l2")
    assert entry.key(again) == "digit.kernel_regularizer.l2"
    assert entry.to_json() == doc.search["params"][1]
    assert messages(doc) == []


@pytest.mark.parametrize("entry, field, expected", [
    ({**FACTOR, "argumnt": "l2"}, "search.params[0].argumnt",
     r"unknown field 'argumnt' \(did you mean 'argument'\?\)"),
    ({**FACTOR, "argument": 2}, "search.params[0].argument", "2 is not of type 'string'"),
    ({**FACTOR, "when": {"node": "n5", "param": "units", "values": [1]}},
     "search.params[0].when", "'in' is a required property")])
def test_a_misspelt_or_mistyped_field_is_refused_naming_it(entry, field, expected):
    """A misspelt field of an entry was ignored: the search ran without it."""
    text = dumps(on_digit(regularized(), entry))
    with pytest.raises(ProjectFileError, match=expected) as caught:
        loads(text)
    assert caught.value.field == field


@pytest.mark.parametrize("value, entry, expected", [
    (None, FACTOR, "kernel_regularizer holds None, not a regularizer object whose 'l2' "
                   "could be searched; set it to one such as L2(1e-4) first"),
    (L2, {**FACTOR, "argument": "l1"},
     "kernel_regularizer holds 'L2(l2=0.0001)', and L2 has no argument 'l1'. Expected one "
     "of: l2"),
    ("he_normal", {**FACTOR, "param": "kernel_initializer", "argument": "scale"},
     "kernel_initializer holds 'he_normal', and HeNormal has no argument 'scale'. Expected "
     "one of: seed, input_axes, output_axes"),
    ({"class_name": "VarianceScaling", "config": {"scale": 2.0}},
     {"param": "kernel_initializer", "argument": "mode", "type": "float", "low": 1, "high": 2},
     "a float range cannot set VarianceScaling's mode, which takes one of 'fan_in', "
     "'fan_out', 'fan_avg': use a choice"),
    ({"class_name": "VarianceScaling", "config": {"scale": 2.0}},
     {"param": "kernel_initializer", "argument": "scale", "type": "float", "low": 0, "high": 2},
     "0 does not fit: expected VarianceScaling's scale to be a number > 0, not 0"),
    (L2, {**FACTOR, "type": "choice", "choices": [0.001, "a lot"]},
     "'a lot' does not fit: expected L2's l2 to be a number >= 0, not 'a lot'"),
    (L2, {**FACTOR, "type": "float", "low": -0.01, "high": 0.01, "log": False},
     "-0.01 does not fit: expected L2's l2 to be a number >= 0, not -0.01"),
    (L2, {**FACTOR, "param": "units"},
     "units is a parameter of type int: only an initializer, regularizer or constraint has "
     "arguments to search (received argument 'l2')"),
])
def test_an_argument_that_cannot_be_searched_is_named_with_what_was_received(
        value, entry, expected):
    doc = on_digit(regularized(), entry)
    doc.find("digit").params[entry["param"]] = value
    key = f"digit.{entry['param']}.{entry['argument']}"
    assert messages(doc) == [f"search.params[0] ({key}): {expected}"]
    assert check_search(doc)[0].node == doc.find("digit").id


def test_an_argument_of_a_training_setting_is_refused():
    doc = with_params(conv_net(), {"training": "optimizer.learning_rate", "argument": "l2",
                                   "type": "float", "low": 0.001, "high": 0.1})
    assert messages(doc) == ["search.params[0] (training.optimizer.learning_rate): "
                             "'argument' ('l2') goes with a node's initializer, regularizer "
                             "or constraint; a training setting has none"]


def test_a_choice_without_the_argument_needs_a_when_that_leaves_it_out():
    choice = {"param": "kernel_regularizer", "type": "choice",
              "choices": ["L2(1e-4)", L1L2, "l1", None]}
    doc = on_digit(regularized(), choice, FACTOR)
    assert messages(doc) == ["search.params[1] (digit.kernel_regularizer.l2): "
                             "kernel_regularizer may take the choice 'l1', and L1 has no "
                             "argument 'l2'. Expected one of: l1"]
    node = doc.find("digit").id
    doc = on_digit(regularized(), choice, {**FACTOR, "when": {
        "node": node, "param": "kernel_regularizer", "in": ["L2(1e-4)", L1L2]}})
    assert messages(doc) == []


def test_a_trial_puts_the_argument_into_the_object_its_parameter_holds():
    doc = on_digit(regularized("l2"), {"param": "kernel_regularizer", "type": "choice",
                                       "choices": ["L2(1e-4)", L1L2]}, FACTOR)
    choice, factor = (e.target for e in search_params(doc))
    digit = doc.find("digit").id
    trial = with_values(doc, {factor: 0.003})  # "l2" is L2 with Keras' defaults
    assert trial.nodes[digit].params["kernel_regularizer"] == {
        "class_name": "L2", "config": {"l2": 0.003}}
    trial = with_values(doc, {factor: 0.003, choice: L1L2})  # the choice first, in any order
    assert trial.nodes[digit].params["kernel_regularizer"] == {
        "class_name": "L1L2", "config": {"l1": 1e-05, "l2": 0.003}}
    trial = with_values(doc, {choice: "L2(1e-4)"})  # a typed object, in normal form
    assert trial.nodes[digit].params["kernel_regularizer"] == L2
    assert doc.nodes[digit].params["kernel_regularizer"] == "l2"  # the document is kept


def test_apply_best_writes_the_recorded_object_and_argument_as_one_step():
    doc = on_digit(regularized(), {"param": "kernel_regularizer", "type": "choice",
                                   "choices": ["L2(1e-4)", L1L2]}, FACTOR)
    stack, digit = UndoStack(), doc.find("digit")
    # the search library records a choice of objects by the call that builds it
    best = {"digit.kernel_regularizer": "L1L2(l1=1e-05)", "digit.kernel_regularizer.l2": 0.02}
    assert apply_values(stack, doc, best) == []
    assert digit.params["kernel_regularizer"] == {"class_name": "L1L2",
                                                  "config": {"l1": 1e-05, "l2": 0.02}}
    stack.undo()
    assert digit.params["kernel_regularizer"] == L2


@pytest.mark.parametrize("value, argument, expected", [
    (L2, "l2", {"type": "float", "low": 1e-6, "high": 1e-2, "log": True}),
    ({"class_name": "VarianceScaling", "config": {"scale": 2.0}}, "scale",
     {"type": "float", "low": 0.2, "high": 20.0, "log": True}),
    ({"class_name": "VarianceScaling", "config": {}}, "mode",
     {"type": "choice", "choices": ["fan_in", "fan_out", "fan_avg"]})])
def test_a_first_range_of_an_argument_fits_it(value, argument, expected):
    param = "kernel_initializer" if "Variance" in value["class_name"] else "kernel_regularizer"
    doc = regularized()
    digit = doc.find("digit")
    digit.params[param] = value
    target = (digit.id, param, argument)
    entry = suggest_range(doc, target)
    assert entry == expected
    UndoStack().push(mark(doc, target, entry))
    assert messages(doc) == []


def test_a_first_choice_for_an_object_parameter_starts_with_the_object_it_holds():
    doc = regularized()
    target = (doc.find("digit").id, "kernel_regularizer")
    assert suggest_range(doc, target) == {
        "type": "choice", "choices": [L2, "l1", "l2", "orthogonal_regularizer"]}


@pytest.mark.parametrize("value", [
    {}, {"config": {"l2": 0.0001}}, {"class_name": "L2", "config": 5},
    {"class_name": "L2", "config": None}, {"class_name": "L2", "config": ["l2"]},
])
def test_an_argument_of_a_malformed_object_in_the_file_is_an_issue_not_a_crash(value):
    # The node's own issue names the parameter; the search entry says what it holds.
    doc = on_digit(regularized(value), FACTOR)
    (text,) = messages(doc)
    assert text.startswith("search.params[0] (digit.kernel_regularizer.l2): "
                           f"kernel_regularizer holds {value!r}, not a regularizer object")
