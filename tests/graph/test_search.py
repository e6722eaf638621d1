"""The `search` section: file round trip, validation against each ParamSpec's limits and
against the graph, the undoable edits (mark, unmark, apply best)."""

import doctest
from pathlib import Path

import pytest

from kerascanvas.codegen import generate
from kerascanvas.graph import search, search_check, search_edit
from kerascanvas.graph.commands import UndoStack
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.errors import ProjectFileError
from kerascanvas.graph.project import Project
from kerascanvas.graph.projectfile import dumps, loads, to_dict
from kerascanvas.graph.search_check import check_search
from kerascanvas.graph.search_edit import apply_values, mark, suggest_range, unmark

EXAMPLE = Path(__file__).parents[2] / "resources" / "examples" / "digits_search.json"


def conv_net(padding="valid") -> Document:
    """8x8x1 -> Conv2D (k=3) -> Conv2D (k=3) -> Flatten -> Dense(10)."""
    doc = Document()
    x = doc.add_node("Input", "image", {"shape": [8, 8, 1]})
    a = doc.add_node("Conv2D", "conv1", {"filters": 4, "kernel_size": 3, "padding": padding})
    b = doc.add_node("Conv2D", "conv2", {"filters": 4, "kernel_size": 3, "padding": padding})
    f = doc.add_node("Flatten", "flatten")
    d = doc.add_node("Dense", "digit", {"units": 10, "activation": "softmax"})
    for src, dst in ((x, a), (a, b), (b, f), (f, d)):
        doc.connect(Edge(src.id, 0, dst.id, 0))
    doc.set_outputs([d.id])
    doc.training = {"optimizer": {"name": "adam", "learning_rate": 0.001}}
    return doc


def with_params(doc: Document, *entries) -> Document:
    doc.search = {"params": list(entries)}
    return doc


def messages(doc: Document) -> list[str]:
    return [i.message for i in check_search(doc)]


@pytest.mark.parametrize("module", [search, search_check, search_edit])
def test_doctests(module):
    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0


def test_the_section_survives_a_save_and_load():
    doc = with_params(conv_net(), {"node": "n2", "param": "filters", "type": "int",
                                   "low": 4, "high": 16, "step": 4})
    doc.search["metric"] = "val_accuracy"
    again = loads(dumps(doc))
    assert again.search == doc.search
    assert dumps(again) == dumps(doc)
    assert "search" not in to_dict(conv_net())  # no empty section in files without one


@pytest.mark.parametrize("entry, field", [
    ({"node": "n2", "param": "filters", "type": "integer"}, "search.params[0].type"),
    ({"node": "n2", "param": "filters", "type": "int", "low": "4"}, "search.params[0].low"),
    ({"node": "n2", "type": "int", "low": 1, "high": 2}, "search.params[0]"),
])
def test_a_malformed_section_names_the_field(entry, field):
    data = to_dict(with_params(conv_net(), entry))
    with pytest.raises(ProjectFileError) as caught:
        loads(__import__("json").dumps(data))
    assert caught.value.field == field


def test_the_example_is_a_clean_search_of_lr_filters_dropout_and_l2_factor():
    doc = Project.open(EXAMPLE).doc
    assert check_search(doc) == []
    keys = [e.key(doc) for e in search.search_params(doc)]
    assert keys == ["training.optimizer.learning_rate", "conv1.filters", "conv2.filters",
                    "dropout.rate", "digit.kernel_regularizer.l2"]
    assert doc.find("digit").params["kernel_regularizer"] == {"class_name": "L2",
                                                              "config": {"l2": 0.0001}}
    assert search.objective(doc) == ("val_accuracy", "maximize")


def test_a_range_outside_the_paramspec_limits_names_node_and_param():
    doc = with_params(conv_net(), {"node": "n5", "param": "units", "type": "int",
                                   "low": 0, "high": 32})
    (issue,) = check_search(doc)
    assert issue.node == "n5" and issue.severity == "error"
    assert "digit.units" in issue.message and "units=0" in issue.message


def test_a_choice_outside_the_allowed_values_is_refused():
    doc = with_params(conv_net(), {"node": "n2", "param": "padding", "type": "choice",
                                   "choices": ["same", "full"]})
    (text,) = messages(doc)
    assert "conv1.padding" in text and "'full'" in text


def test_choices_must_be_plain_values():
    doc = with_params(conv_net(), {"node": "n2", "param": "kernel_size", "type": "choice",
                                   "choices": [[3, 3], [5, 5]]})
    assert "choices must be numbers, text" in messages(doc)[0]


def test_a_float_range_cannot_set_an_integer_parameter():
    doc = with_params(conv_net(), {"node": "n2", "param": "filters", "type": "float",
                                   "low": 1.0, "high": 8.0})
    assert "float range cannot set filters" in messages(doc)[0]


@pytest.mark.parametrize("entry, expected", [
    ({"low": 8, "high": 4}, "low <= high"),
    ({"low": 4, "high": 15, "step": 4}, "multiple of step"),
    ({"low": 0, "high": 8, "log": True}, "needs low > 0"),
    ({"low": 4.5, "high": 8}, "integer ends"),
])
def test_a_malformed_range_says_what_it_received(entry, expected):
    doc = with_params(conv_net(), {"node": "n2", "param": "filters", "type": "int", **entry})
    assert expected in messages(doc)[0]


def test_a_range_that_breaks_the_graph_for_some_values_is_reported():
    # 8x8 through conv1 (k) then conv2 (3, valid): k=6 leaves 3 then 1, k=7 leaves 2 then
    # nothing.
    doc = with_params(conv_net(), {"node": "n2", "param": "kernel_size", "type": "int",
                                   "low": 3, "high": 8})
    (issue,) = check_search(doc)
    assert issue.node == "n2"
    assert "conv1.kernel_size" in issue.message and "kernel_size=7, 8 would make" in issue.message


def test_ends_that_are_fine_alone_but_clash_together_are_reported():
    doc = with_params(conv_net(),
                      {"node": "n2", "param": "kernel_size", "type": "int", "low": 3, "high": 4},
                      {"node": "n3", "param": "kernel_size", "type": "int", "low": 3, "high": 4})
    # 8 - 4 + 1 = 5, then 5 - 3 + 1 = 3: each alone is fine; 4 then 4 leaves 2... still fine.
    assert check_search(doc) == []
    doc = with_params(conv_net(),
                      {"node": "n2", "param": "kernel_size", "type": "int", "low": 3, "high": 5},
                      {"node": "n3", "param": "kernel_size", "type": "int", "low": 3, "high": 5})
    # 5 alone leaves 4 then 2 (or 6 then 2); 5 then 5 leaves 4 then 0.
    texts = messages(doc)
    assert len(texts) == 1 and "high ends together" in texts[0]


def test_a_training_range_is_checked_by_the_training_rules():
    doc = with_params(conv_net(), {"training": "optimizer.learning_rate", "type": "float",
                                   "low": -0.1, "high": 0.1})
    (issue,) = check_search(doc)
    assert issue.node is None
    assert "training.optimizer.learning_rate" in issue.message and "-0.1" in issue.message


def test_a_training_setting_nothing_reads_is_refused_naming_it():
    """`training: "Epochs"` was taken: every trial set a key no run reads, and trained
    alike."""
    doc = with_params(conv_net(), {"training": "Epochs", "type": "int", "low": 1, "high": 3})
    (issue,) = check_search(doc)
    assert "search.params[0] (training.Epochs)" in issue.message
    assert "the training settings have no 'Epochs'" in issue.message


def test_a_deleted_node_and_a_dangling_condition_are_reported():
    doc = with_params(conv_net(),
                      {"node": "gone", "param": "units", "type": "int", "low": 1, "high": 2},
                      {"node": "n2", "param": "filters", "type": "int", "low": 4, "high": 8,
                       "when": {"node": "n3", "param": "padding", "in": ["same"]}})
    first, second = messages(doc)
    assert "no node with id 'gone'" in first
    assert "conv2.padding, which no earlier entry searches" in second


def test_codegen_ignores_the_section_and_uses_current_values():
    plain = conv_net()
    searched = with_params(conv_net(), {"node": "n2", "param": "filters", "type": "int",
                                        "low": 8, "high": 64})
    assert generate(searched, script=True) == generate(plain, script=True)


def test_mark_unmark_and_apply_best_are_undoable():
    doc, stack = conv_net(), UndoStack()
    stack.push(mark(doc, ("n2", "filters"), suggest_range(doc, ("n2", "filters"))))
    stack.push(mark(doc, ("training", "optimizer.learning_rate"),
                    suggest_range(doc, ("training", "optimizer.learning_rate"))))
    lr = search.search_params(doc)[1]
    assert (lr.low, lr.high, lr.log) == pytest.approx((1e-4, 1e-2, True))
    assert check_search(doc) == []
    before_params, before_training = dict(doc.node("n2").params), dict(doc.training)
    missing = apply_values(stack, doc, {"conv1.filters": 8,
                                        "training.optimizer.learning_rate": 0.005})
    assert missing == []
    assert doc.node("n2").params["filters"] == 8
    assert doc.training["optimizer"] == {"name": "adam", "learning_rate": 0.005}
    stack.undo()  # one step undoes every value of the trial
    assert doc.node("n2").params == before_params and doc.training == before_training
    stack.push(unmark(doc, ("n2", "filters")))
    assert [e.key(doc) for e in search.search_params(doc)] == [
        "training.optimizer.learning_rate"]
    stack.undo()
    assert len(search.search_params(doc)) == 2


@pytest.mark.parametrize("rate", [0.003, 0.007, 0.0001, 0.3, 3e-05, 0.0013])
def test_a_suggested_learning_rate_range_is_a_decade_either_side_as_typed(rate):
    """0.003 gives 0.0003 .. 0.03 (decimal arithmetic), not 0.00030000000000000003."""
    from decimal import Decimal

    doc = conv_net()
    doc.training["optimizer"] = {"name": "adam", "learning_rate": rate}
    span = suggest_range(doc, ("training", "optimizer.learning_rate"))
    typed = Decimal(repr(rate))
    assert span == {"type": "float", "low": float(typed / 10), "high": float(typed * 10),
                    "log": True}


def test_suggested_ranges_stay_within_the_limits():
    doc = conv_net()
    doc.add_node("Dropout", "drop", {"rate": 0.2}, node_id="n9")
    assert suggest_range(doc, ("n9", "rate")) == {"type": "float", "low": 0.0, "high": 0.5}
    assert suggest_range(doc, ("n2", "padding"))["choices"] == ["valid", "same"]
    assert suggest_range(doc, ("n2", "kernel_size")) == {"type": "int", "low": 1, "high": 6}


def test_a_trusted_custom_layer_keeps_its_trust_in_the_checked_values():
    """x -> Dense(hidden) -> Twice (custom, trusted, Keras' answer known) -> Dense(out): the
    values put in keep the trust; a shape Keras has not computed for a value (hidden's
    units) is left to the trial, and the document is asked for nothing."""
    from kerascanvas.graph.layers import custom
    from tests.graph.test_custom_layer import SOURCE, trust_all

    doc = Document()
    x = doc.add_node("Input", "x", {"shape": [4]})
    hidden = doc.add_node("Dense", "hidden", {"units": 8})
    twice = doc.add_node("CustomLayer", "twice", {"class_name": "Twice", "source": SOURCE})
    out = doc.add_node("Dense", "out", {"units": 2})
    for src, dst in ((x, hidden), (hidden, twice), (twice, out)):
        doc.connect(Edge(src.id, 0, dst.id, 0))
    doc.set_outputs([out.id])
    ctx = trust_all(doc)
    search_check.analyze(doc)
    (key,) = ctx.pending
    ctx.results[key] = {"outputs": [[None, 8]], "count": [0, 0]}  # as the worker answers
    ctx.pending.clear()
    doc.search = {"params": [
        {"node": hidden.id, "param": "units", "type": "int", "low": 4, "high": 16},
        {"node": out.id, "param": "units", "type": "int", "low": 2, "high": 6}]}
    assert check_search(doc) == [] and ctx.pending == {}
    ctx.trusted = frozenset()  # untrusted: the document's own issue, not the range's
    assert check_search(doc) == []
    assert [i.code for i in search_check.analyze(doc).errors] == ["custom_untrusted"]
    assert custom.context(doc) is ctx


@pytest.mark.parametrize("high", [10**12, 2**62])
def test_a_huge_integer_range_is_checked_at_its_ends_and_middle_without_listing_it(high):
    # Listing every value of the range ran out of memory, or overflowed (high=1e308).
    doc = with_params(conv_net(), {"node": "n2", "param": "filters", "type": "int",
                                   "low": 4, "high": high, "step": 4})
    (entry,) = search.search_params(doc)
    assert entry.values_to_check() == [4, 4 + 4 * (high // 4 // 2), high]
    (text,) = messages(doc)
    assert "conv1.filters" in text and f"{high}" in text
