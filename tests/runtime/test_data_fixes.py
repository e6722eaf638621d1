"""Labels a run refuses carry a fix where the answer is plain: the units the class ids
need, or categorical cross-entropy for one-hot rows. Once fixed, the data fits and Keras
trains on it."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from kerascanvas.graph.commands import UndoStack
from kerascanvas.graph.errors import DocumentError
from kerascanvas.graph.fixes import FIX_LABELS, apply_fix
from kerascanvas.runtime.build import build_model
from kerascanvas.runtime.data import Dataset, check_data, load_data
from tests.runtime.test_data import classifier


def keras_trains(doc, data) -> None:
    from kerascanvas.graph.training import resolve_training

    model = build_model(doc)
    model.compile("adam", resolve_training(doc)["loss"]["out"])
    history = model.fit(data.x["image"][:64], data.y["out"][:64], epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][-1])


def test_class_ids_beyond_the_units_set_the_units():
    doc = classifier(units=1, activation="softmax", loss="sparse_categorical_crossentropy")
    data = load_data("sklearn:digits", doc)
    (issue,) = check_data(doc, data)
    assert issue.code == "label_range" and issue.fixes == ("set_units_to_labels",)
    assert issue.fixes[0] in FIX_LABELS
    stack = UndoStack()
    apply_fix(doc, issue, "set_units_to_labels", stack)
    assert doc.find("out").params["units"] == int(data.y["out"].max()) + 1 == 10
    assert check_data(doc, data) == []
    keras_trains(doc, data)
    stack.undo()
    assert doc.find("out").params["units"] == 1


def test_the_units_fix_reads_the_issues_data_not_its_message():
    doc = classifier(units=1, activation="softmax", loss="sparse_categorical_crossentropy")
    data = Dataset({"image": np.zeros((4, 8, 8, 1), "float32")},
                   {"out": np.array([0, 5, 5, 0])})  # two classes, ids up to 5: six units
    (issue,) = check_data(doc, data)
    assert issue.data == {"units": 6} and "Dense(6)" in issue.message
    reworded = dataclasses.replace(issue, message="The labels do not fit.")
    apply_fix(doc, reworded, "set_units_to_labels", UndoStack())
    assert doc.find("out").params["units"] == 6 and check_data(doc, data) == []
    with pytest.raises(DocumentError, match="how many units"):
        apply_fix(doc, dataclasses.replace(issue, data={}), "set_units_to_labels", UndoStack())


def test_negative_class_ids_get_no_units_to_set():
    doc = classifier(units=3, activation="softmax", loss="sparse_categorical_crossentropy")
    data = Dataset({"image": np.zeros((2, 8, 8, 1), "float32")}, {"out": np.array([-1, 1])})
    (issue,) = check_data(doc, data)
    assert issue.code == "label_range" and issue.fixes == () and issue.data == {}
    assert "class ids start at 0" in issue.message


def test_one_hot_rows_under_a_sparse_loss_switch_to_categorical():
    doc = classifier(loss="sparse_categorical_crossentropy")
    ids = load_data("sklearn:digits", doc)
    data = Dataset(ids.x, {"out": np.eye(10, dtype="float32")[ids.y["out"]]})
    (issue,) = check_data(doc, data)
    assert issue.code == "label_shape" and issue.fixes == ("use_categorical_loss",)
    assert "one-hot rows" in issue.message
    apply_fix(doc, issue, "use_categorical_loss", UndoStack())
    assert doc.training["loss"] == {"out": "categorical_crossentropy"}
    assert check_data(doc, data) == []
    keras_trains(doc, data)


def test_no_fix_where_the_answer_is_not_plain():
    doc = classifier(loss="sparse_categorical_crossentropy")
    ids = load_data("sklearn:digits", doc)
    data = Dataset(ids.x, {"out": np.full((len(ids.y["out"]), 3), 0.5, "float32")})
    (issue,) = check_data(doc, data)
    assert issue.code == "label_shape" and issue.fixes == ()
