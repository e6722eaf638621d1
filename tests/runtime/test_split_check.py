"""A validation split of data sorted by its labels: a warning with the fix that draws the
samples in a seeded order first, in the run and in the generated script alike."""

from __future__ import annotations

import numpy as np
import pytest

from kerascanvas.codegen import generate
from kerascanvas.graph.commands import UndoStack
from kerascanvas.graph.fixes import apply_fix
from kerascanvas.graph.training_schema import resolve_extended
from kerascanvas.runtime.data import Dataset
from kerascanvas.runtime.fitplan import shuffled_samples, split_validation
from kerascanvas.runtime.split_check import sorted_split_issues
from tests.runtime.test_build import graph

RNG = np.random.default_rng(0)
X = RNG.normal(size=(150, 4)).astype("float32")
SORTED = np.repeat([0, 1, 2], 50)  # as the iris CSV: 50 rows of each species in turn


def model(**training):
    doc = graph([("x", "Input", {"shape": [4]}),
                 ("out", "Dense", {"units": 3, "activation": "softmax"})], [("x", "out")],
                ["out"])
    doc.training = {"loss": "sparse_categorical_crossentropy", **training}
    return doc


def warned(doc, labels, **data):
    return sorted_split_issues(doc, Dataset({"x": X[:len(labels)]}, {"out": labels}, **data),
                               resolve_extended(doc))


def test_sorted_labels_are_warned_and_the_fix_shuffles_before_the_split():
    doc = model(validation_split=0.2)
    (issue,) = warned(doc, SORTED)
    assert issue.severity == "warning" and issue.node == doc.find("out").id
    assert "holds out the last 30 of 150 samples" in issue.message
    assert "are all class 2, where training has 3" in issue.message
    stack = UndoStack()
    apply_fix(doc, issue, "shuffle_before_split", stack)
    assert doc.training["shuffle_before_split"] is True and warned(doc, SORTED) == []
    data = Dataset({"x": X}, {"out": SORTED})
    _, y, _, y_val = split_validation(data, 0.2, True, resolve_extended(doc)["seed"])
    assert len(np.unique(y_val["out"])) == 3 and len(y["out"]) == 120
    stack.undo()
    assert "shuffle_before_split" not in doc.training


def test_a_class_training_never_sees_is_named():
    labels = np.repeat([0, 1, 2, 3], [60, 50, 20, 20])  # the last 30: 2 (10 of 20) and 3
    (issue,) = warned(model(validation_split=0.2), labels)
    assert "hold class(es) 3 that training never sees" in issue.message


@pytest.mark.parametrize("labels, training, own", [
    (RNG.permutation(SORTED), {}, False),  # shuffled already
    (SORTED, {"validation_split": 0.0}, False),  # no split
    (SORTED, {"shuffle_before_split": True}, False),  # fixed
    (SORTED, {}, True),  # validation arrays of its own: no split
    (SORTED.astype("float32") + 0.5, {}, False),  # regression targets: no classes
])
def test_no_warning_where_the_split_is_fair_or_not_made(labels, training, own):
    doc = model(**training)
    extra = {"x_val": {"x": X[:5]}, "y_val": {"out": SORTED[:5]}} if own else {}
    assert warned(doc, labels, **extra) == []


def test_one_hot_rows_are_read_as_their_classes():
    (issue,) = warned(model(), np.eye(3, dtype="float32")[SORTED])
    assert issue.code == "sorted_split"


def test_the_generated_script_draws_the_same_order_as_the_run():
    doc = model(shuffle_before_split=True, seed=7, data="synthetic")
    source = generate(doc, script=True)
    assert "x, y = shuffled_samples(x, y, 0 if seed is None else seed)" in source
    names: dict = {"__name__": "generated"}
    exec(compile(source, "<script>", "exec"), names)  # noqa: S102 - our own generated code
    for seed in (7, None):
        ours = shuffled_samples({"x": X}, {"out": SORTED}, seed)
        theirs = names["shuffled_samples"]({"x": X}, {"out": SORTED}, 0 if seed is None
                                           else seed)
        np.testing.assert_array_equal(ours[1]["out"], theirs[1]["out"])
        np.testing.assert_array_equal(ours[0]["x"], theirs[0]["x"])
