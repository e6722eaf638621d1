"""One-click fixes for common mistakes: an output activation that does not suit the loss,
a Dropout left as the model output, a mistyped loss or metric name."""

from __future__ import annotations

import dataclasses

import pytest

from kerascanvas.graph.commands import UndoStack
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.errors import DocumentError
from kerascanvas.graph.fixes import FIX_LABELS, apply_fix, fix_label
from kerascanvas.graph.validate import analyze


def model(units=3, activation="relu", loss="sparse_categorical_crossentropy", dropout=False,
          metrics=None) -> Document:
    doc = Document()
    x = doc.add_node("Input", name="x", params={"shape": [4]})
    y = doc.add_node("Dense", name="y", params={"units": units, "activation": activation})
    doc.connect(Edge(x.id, 0, y.id, 0))
    doc.outputs = [y.id]
    if dropout:
        d = doc.add_node("Dropout", name="drop", params={"rate": 0.5})
        doc.connect(Edge(y.id, 0, d.id, 0))
        doc.outputs = [d.id]
    doc.training = {"loss": loss, "metrics": metrics or []}
    return doc


def issue_with(doc, code):
    found = [i for i in analyze(doc).issues if i.code == code]
    assert found, [i.message for i in analyze(doc).issues]
    return found[0]


@pytest.mark.parametrize("units, activation, loss, fix", [
    (3, "relu", "sparse_categorical_crossentropy", "set_softmax"),
    (3, "sigmoid", "categorical_crossentropy", "set_softmax"),
    (1, "relu", "binary_crossentropy", "set_sigmoid"),
    (1, "softmax", "mse", "set_sigmoid"),
])
def test_an_activation_that_does_not_suit_the_loss_is_set_in_one_click(units, activation,
                                                                        loss, fix):
    doc, stack = model(units, activation, loss), UndoStack()
    issue = issue_with(doc, "loss_mismatch")
    assert issue.fixes == (fix,) and fix in FIX_LABELS
    apply_fix(doc, issue, fix, stack)
    assert doc.find("y").params["activation"] == fix.removeprefix("set_")
    assert not [i for i in analyze(doc).issues if i.code == "loss_mismatch"]
    stack.undo()
    assert doc.find("y").params["activation"] == activation


@pytest.mark.parametrize("loss, expected", [
    ("sparse_categorical_crossentropy",
     {"name": "sparse_categorical_crossentropy", "from_logits": True}),
    ({"name": "categorical_crossentropy", "label_smoothing": 0.2},
     {"name": "categorical_crossentropy", "label_smoothing": 0.2, "from_logits": True}),
])
def test_a_linear_output_can_keep_its_logits_for_the_loss(loss, expected):
    """Dense(3) with no activation under a cross-entropy: softmax, or the loss on logits
    (Keras' own advice for stability), its other options kept (a loss with options for
    every output became a dict keyed by its options' names)."""
    import keras

    doc, stack = model(3, "linear", loss), UndoStack()
    issue = issue_with(doc, "loss_mismatch")
    assert issue.fixes == ("set_softmax", "use_logits")
    apply_fix(doc, issue, "use_logits", stack)
    assert doc.training["loss"] == {"y": expected}
    assert not [i for i in analyze(doc).issues if i.code == "loss_mismatch"]
    from kerascanvas.runtime.extras import resolve_loss

    keras_loss = resolve_loss(expected)  # what a run compiles
    assert isinstance(keras_loss, keras.losses.Loss)
    assert keras_loss.get_config()["from_logits"] is True
    stack.undo()
    assert doc.training["loss"] == loss


def test_a_dropout_output_is_removed_and_the_output_moves_to_its_input():
    doc, stack = model(dropout=True, activation="softmax"), UndoStack()
    issue = issue_with(doc, "dropout_output")
    assert issue.fixes == ("remove_node",)
    apply_fix(doc, issue, "remove_node", stack)
    assert doc.find("drop") is None and doc.outputs == [doc.find("y").id]
    assert analyze(doc).valid and not analyze(doc).warnings
    stack.undo()
    assert doc.find("drop") is not None and doc.outputs == [doc.find("drop").id]


@pytest.mark.parametrize("loss, expected", [
    ("sparse_categorical_crossentopy", "sparse_categorical_crossentropy"),
    ({"y": "sparse_categoricl_crossentropy"}, {"y": "sparse_categorical_crossentropy"}),
    ({"y": {"name": "huberr", "delta": 2.0}}, {"y": {"name": "huber", "delta": 2.0}}),
])
def test_a_mistyped_loss_takes_the_suggested_name(loss, expected):
    doc, stack = model(activation="softmax", loss=loss), UndoStack()
    issue = issue_with(doc, "bad_setting")
    assert issue.message.startswith("training.loss.y: ") and "Did you mean" in issue.message
    assert issue.fixes == ("use_suggested_name",)
    apply_fix(doc, issue, "use_suggested_name", stack)
    got = doc.training["loss"]
    assert got == expected if isinstance(expected, dict) else got == {"y": expected}
    assert not [i for i in analyze(doc).issues if i.code == "bad_setting"]
    stack.undo()
    assert doc.training["loss"] == loss


def test_a_mistyped_metric_takes_the_suggested_name_and_the_others_stay():
    doc = model(activation="softmax", metrics=["acuracy", "mae"])
    issue = issue_with(doc, "bad_setting")
    assert issue.message.startswith("training.metrics.y: 'acuracy'")
    apply_fix(doc, issue, "use_suggested_name", UndoStack())
    assert doc.training["metrics"] == {"y": ["accuracy", "mae"]}


@pytest.mark.parametrize("loss, metric, twin", [
    ("sparse_categorical_crossentropy", "top_k_categorical_accuracy",
     "sparse_top_k_categorical_accuracy"),
    ("sparse_categorical_crossentropy", "categorical_accuracy", "sparse_categorical_accuracy"),
    ("categorical_crossentropy", "sparse_categorical_accuracy", "categorical_accuracy"),
])
def test_a_metric_reading_the_other_label_form_than_the_loss_takes_its_twin(loss, metric,
                                                                            twin):
    """Validation said nothing of top_k_categorical_accuracy under a sparse loss, and the
    run failed in its first batch (IndexError in Keras' in_top_k)."""
    doc = model(units=10, activation="softmax", loss=loss, metrics=[metric, "mae"])
    issue = issue_with(doc, "bad_setting")
    assert issue.message.startswith(f"training.metrics.y: {metric} expects ")
    assert f"({loss}); use {twin} " in issue.message
    apply_fix(doc, issue, "use_suggested_name", UndoStack())
    assert doc.training["metrics"] == {"y": [twin, "mae"]}
    assert not [i for i in analyze(doc).issues if i.code == "bad_setting"]


def test_the_suggested_name_fix_reads_the_issues_data_not_its_message():
    doc = model(activation="softmax", loss={"y": "huberr"}, metrics=["acuracy"])
    issues = sorted((i for i in analyze(doc).issues if i.code == "bad_setting"),
                    key=lambda i: i.data["field"])
    assert [dict(i.data) for i in issues] == [
        {"field": "training.loss.y", "suggestion": "huber"},
        {"field": "training.metrics.y", "suggestion": "accuracy"}]
    for issue in issues:  # reworded for people: the fix does not depend on the words
        apply_fix(doc, dataclasses.replace(issue, message="Reworded."), "use_suggested_name",
                  UndoStack())
    assert doc.training["loss"] == {"y": "huber"} and doc.training["metrics"] == {
        "y": ["accuracy"]}
    with pytest.raises(DocumentError, match="no suggested name"):
        apply_fix(doc, issues[0], "use_suggested_name", UndoStack())  # nothing left to rename


def test_every_training_setting_issue_names_its_field_in_its_data():
    doc = model(activation="softmax")
    doc.training["optimizer"] = {"name": "adamm"}
    (issue,) = [i for i in analyze(doc).issues if i.node is None]
    assert issue.data["field"] == "training.optimizer.name"
    assert issue.message.startswith("training.optimizer.name: ")


def test_no_suggestion_no_fix():
    doc = model(activation="softmax", loss="qqqqqqqqqqq")
    issue = issue_with(doc, "bad_setting")
    assert issue.fixes == () and "Did you mean" not in issue.message


def test_a_layer_after_the_output_becomes_the_output_and_others_stay():
    doc = Document()
    x = doc.add_node("Input", name="x", params={"shape": [4]})
    a = doc.add_node("Dense", name="a", params={"units": 3})
    b = doc.add_node("Dense", name="b", params={"units": 2})
    act = doc.add_node("Activation", name="act", params={"activation": "softmax"})
    for src, dst in ((x, a), (x, b), (a, act)):
        doc.connect(Edge(src.id, 0, dst.id, 0))
    doc.outputs = [a.id, b.id]
    issue = issue_with(doc, "unused_node")
    assert issue.node == act.id and issue.fixes[0] == "move_output_here"
    stack = UndoStack()
    apply_fix(doc, issue, "move_output_here", stack)
    assert doc.outputs == [act.id, b.id]  # in the place of the output it follows
    assert not [i for i in analyze(doc).issues if i.code == "unused_node"]
    stack.undo()
    assert doc.outputs == [a.id, b.id]


def test_a_stray_layer_only_gets_remove():
    doc = model(activation="softmax")
    stray = doc.add_node("Dense", name="stray", params={"units": 2})
    issue = next(i for i in analyze(doc).issues if i.node == stray.id
                 and i.code == "unused_node")
    assert issue.fixes == ("remove_node",)


def test_a_mistyped_monitor_takes_the_logged_name_it_was_meant_to_be():
    """A callback watching 'val_acuracy' was refused, the logged names listed, but with no
    suggestion and no fix, where a mistyped loss or metric name has both."""
    doc, stack = model(activation="softmax", metrics=["accuracy"]), UndoStack()
    doc.training["callbacks"] = [{"name": "csv_logger", "filename": "log.csv"},
                                 {"name": "early_stopping", "monitor": "val_acuracy"}]
    issue = issue_with(doc, "bad_setting")
    assert issue.message.startswith("training.callbacks[1].monitor: 'val_acuracy' is not")
    assert "Did you mean 'val_accuracy'?" in issue.message
    assert issue.fixes == ("use_suggested_name",)
    apply_fix(doc, issue, "use_suggested_name", stack)
    assert doc.training["callbacks"][1] == {"name": "early_stopping", "monitor": "val_accuracy"}
    assert not [i for i in analyze(doc).issues if i.code == "bad_setting"]
    stack.undo()
    assert doc.training["callbacks"][1]["monitor"] == "val_acuracy"
    doc.training = {**doc.training, "callbacks": [{"name": "early_stopping", "monitor": "xyz"}]}
    assert issue_with(doc, "bad_setting").fixes == ()  # nothing close: no guess


def test_a_validation_monitor_without_validation_data_takes_the_training_value():
    """EarlyStopping on val_loss with validation_split 0 never stops (Keras warns once per
    epoch that the value is not available); the warning had no fix."""
    import keras
    import numpy as np

    doc, stack = model(activation="softmax"), UndoStack()
    doc.training = {**doc.training, "validation_split": 0.0,
                    "callbacks": [{"name": "reduce_lr_on_plateau"}]}  # default: val_loss
    issue = issue_with(doc, "bad_setting")
    assert issue.severity == "warning" and "'val_loss' needs validation data" in issue.message
    assert fix_label("use_suggested_name", issue, doc) == "Use loss"
    apply_fix(doc, issue, "use_suggested_name", stack)
    assert doc.training["callbacks"] == [{"name": "reduce_lr_on_plateau", "monitor": "loss"}]
    assert not [i for i in analyze(doc).issues if i.code == "bad_setting"]
    net = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    net.compile("sgd", "sparse_categorical_crossentropy")
    logs = net.fit(np.zeros((8, 4)), np.zeros(8), verbose=0).history
    assert "loss" in logs and "val_loss" not in logs  # what Keras logs without validation


@pytest.mark.parametrize("loss, metrics, expected", [
    ("mse", ["accuracy"], ["mae"]),
    ("mean_absolute_error", ["acc", "mae"], ["mse", "mae"]),
    ("huber", ["accuracy", "mae"], ["mae"]),  # renamed onto one listed already: once
])
def test_accuracy_on_a_regression_output_becomes_an_error_metric(loss, metrics, expected):
    """Keras resolves 'accuracy' on a one-unit output to binary_accuracy (predictions
    rounded at 0.5 equal to the labels): on regression targets it stays near 0."""
    import keras
    import numpy as np

    doc, stack = model(1, "linear", loss, metrics=metrics), UndoStack()
    issue = issue_with(doc, "bad_setting")
    assert issue.severity == "warning" and "trained for regression" in issue.message
    assert issue.fixes == ("use_suggested_name",)
    assert fix_label("use_suggested_name", issue, doc) == f"Use {expected[0]}"
    apply_fix(doc, issue, "use_suggested_name", stack)
    assert doc.training["metrics"] == {"y": expected}
    assert not [i for i in analyze(doc).issues if i.code == "bad_setting"]
    net = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    net.compile("sgd", "mse", metrics=metrics)
    net.fit(np.zeros((4, 4)), np.linspace(0.1, 0.9, 4), verbose=0)
    assert any(isinstance(m, keras.metrics.BinaryAccuracy) for m in net.metrics[1].metrics)


@pytest.mark.parametrize("units, activation", [(1, "sigmoid"), (3, "softmax")])
def test_accuracy_on_probabilities_trained_with_mse_is_not_called_regression(units, activation):
    """A sigmoid or softmax output trained with mse is a classifier: Keras' 'accuracy'
    (binary on one unit, categorical on several) counts its hits, so no warning."""
    import keras
    import numpy as np

    doc = model(units, activation, "mse", metrics=["accuracy"])
    assert not [i for i in analyze(doc).issues if i.code == "bad_setting"]
    net = keras.Sequential([keras.Input((4,)), keras.layers.Dense(units, activation=activation)])
    net.compile("sgd", "mse", metrics=["accuracy"])
    x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    probs = net.predict(x, verbose=0)
    hits = probs.round() if units == 1 else np.eye(units)[probs.argmax(-1)]
    assert net.evaluate(x, hits, verbose=0, return_dict=True)["accuracy"] == 1.0


def test_a_call_keyword_its_owner_lost_is_removed_in_one_step():
    """Tied embeddings (a ReversibleEmbedding called again with reverse=True) whose owner
    became an Embedding: the call site's reverse is unknown now; the error offered no fix."""
    from kerascanvas.graph import rekind
    from kerascanvas.graph.projectfile import dumps

    doc, stack = Document(), UndoStack()
    x = doc.add_node("Input", "ids", {"shape": [6], "dtype": "int32"})
    emb = doc.add_node("ReversibleEmbedding", "emb", {"input_dim": 50, "output_dim": 8})
    call = doc.add_node("SharedCall", "emb_call", {"layer": emb.id, "reverse": True})
    doc.connect(Edge(x.id, 0, emb.id, 0))
    doc.connect(Edge(emb.id, 0, call.id, 0))
    doc.outputs = [call.id]
    rekind.change_kind(doc, emb.id, "Embedding", stack)
    issue = issue_with(doc, "unknown_param")
    assert issue.node == call.id and issue.fixes == ("drop_param",)
    assert fix_label("drop_param", issue, doc) == "Remove reverse"
    text = dumps(doc)
    apply_fix(doc, issue, "drop_param", stack)
    assert doc.nodes[call.id].params == {"layer": emb.id} and analyze(doc).valid
    stack.undo()
    assert dumps(doc) == text
