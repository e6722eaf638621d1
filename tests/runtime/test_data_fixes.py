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


def test_class_ids_counted_from_1_are_named_as_such():
    """Labels 1..10 on Dense(10): id 10 lies beyond the units. Both ways out are said: 11
    units, class 0 untaught, or the ids counted from 0; the fix sets the units."""
    doc = classifier(units=10, activation="softmax", loss="sparse_categorical_crossentropy")
    labels = np.arange(40) % 10 + 1
    data = Dataset({"image": np.zeros((40, 8, 8, 1), "float32")}, {"out": labels})
    (issue,) = check_data(doc, data)
    assert issue.code == "label_range" and issue.data == {"units": 11}
    assert issue.message.endswith("the output needs 11 units for these labels (class 0 then "
                                  "gets a unit no sample teaches), or the labels counted from "
                                  "0 (each id - 1) fit the 10 units")
    shifted = Dataset(data.x, {"out": labels - 1})
    assert check_data(doc, shifted) == []
    keras_trains(doc, shifted)


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


def sequence_model(units=1, activation="sigmoid", loss="binary_crossentropy",
                   return_sequences=True, bidirectional=False, between="Dropout"):
    """tokens (12 steps) -> Embedding -> LSTM -> `between` -> Dense: the model output."""
    from kerascanvas.graph.document import Document, Edge

    doc = Document()
    x = doc.add_node("Input", "tokens", params={"shape": [12]})
    emb = doc.add_node("Embedding", "embed", params={"input_dim": 20, "output_dim": 8})
    lstm = {"units": 6, "return_sequences": return_sequences}
    rnn = doc.add_node("Bidirectional", "encoder",
                       params={"layer": {"kind": "LSTM", "params": lstm}}) if bidirectional \
        else doc.add_node("LSTM", "encoder", params=lstm)
    mid = doc.add_node(between, "mid", params={"rate": 0.1} if between == "Dropout" else {})
    out = doc.add_node("Dense", "out", params={"units": units, "activation": activation})
    for a, b in ((x, emb), (emb, rnn), (rnn, mid), (mid, out)):
        doc.connect(Edge(a.id, 0, b.id, 0))
    doc.outputs = [out.id]
    doc.training = {"loss": loss}
    return doc


def fit_sequence(doc, data) -> None:
    """Keras builds the fixed graph and trains an epoch on the data it refused before."""
    from kerascanvas.graph.training import resolve_training

    model = build_model(doc)
    model.compile("adam", resolve_training(doc)["loss"]["out"])
    history = model.fit(data.x["tokens"], data.y["out"], epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][-1])


TOKENS = np.random.default_rng(0).integers(0, 20, (32, 12))


@pytest.mark.parametrize("bidirectional", [False, True])
def test_a_time_axis_the_labels_lack_turns_return_sequences_off(bidirectional):
    doc = sequence_model(bidirectional=bidirectional)
    data = Dataset({"tokens": TOKENS}, {"out": np.ones((32, 1), "float32")})
    (issue,) = check_data(doc, data)
    assert issue.code == "label_shape" and issue.fixes == ("return_sequences_off",)
    assert issue.fixes[0] in FIX_LABELS and "'encoder'" in issue.message
    reworded = dataclasses.replace(issue, message="The labels do not fit.")
    stack = UndoStack()
    apply_fix(doc, reworded, "return_sequences_off", stack)
    assert check_data(doc, data) == []
    fit_sequence(doc, data)
    stack.undo()
    assert check_data(doc, data) != []


def test_labels_per_step_turn_return_sequences_on_under_a_sparse_loss():
    doc = sequence_model(units=3, activation="softmax", loss="sparse_categorical_crossentropy",
                         return_sequences=False, between="LayerNormalization")
    data = Dataset({"tokens": TOKENS}, {"out": TOKENS % 3})  # a class id per step
    (issue,) = check_data(doc, data)
    assert issue.fixes == ("return_sequences_on",) and "last step only" in issue.message
    apply_fix(doc, issue, "return_sequences_on", UndoStack())
    assert doc.find("encoder").params["return_sequences"] is True
    assert check_data(doc, data) == []
    fit_sequence(doc, data)


def test_no_return_sequences_fix_where_switching_does_not_fit_the_labels():
    doc = sequence_model()
    data = Dataset({"tokens": TOKENS}, {"out": np.ones((32, 5), "float32")})
    (issue,) = check_data(doc, data)
    assert issue.code == "label_shape" and issue.fixes == ()
    with pytest.raises(DocumentError, match="no recurrent layer"):
        apply_fix(doc, issue, "return_sequences_off", UndoStack())


def image_classifier(loss):
    """Conv features fed straight to the softmax Dense (no Flatten): (None, 6, 6, 10)."""
    from tests.runtime.test_data import graph

    doc = graph([("image", "Input", {"shape": [8, 8, 1]}),
                 ("conv", "Conv2D", {"filters": 4, "kernel_size": 3}),
                 ("out", "Dense", {"units": 10, "activation": "softmax"})],
                [("image", "conv"), ("conv", "out")], ["out"])
    doc.training = {"loss": loss}
    return doc


@pytest.mark.parametrize("loss", ["sparse_categorical_crossentropy", "mean_squared_error"])
@pytest.mark.parametrize("fix", ["insert_flatten", "insert_gap2d"])
def test_labels_per_sample_on_an_image_output_flatten_or_pool_before_the_dense(loss, fix):
    doc = image_classifier(loss)
    data = load_data("sklearn:digits", doc)
    if loss == "mean_squared_error":  # one value per sample: one unit
        doc.find("out").params.update(units=1, activation="linear")
        data = Dataset(data.x, {"out": data.y["out"].astype("float32")})
    (issue,) = check_data(doc, data)
    assert issue.code == "label_shape" and issue.port == 0
    assert issue.fixes[:2] == ("insert_flatten", "insert_gap2d")
    assert "'out' (Dense) receives (None, 6, 6, 4)" in issue.message
    apply_fix(doc, issue, fix, UndoStack())
    model = build_model(doc)  # Keras' own shapes: one vector per sample
    assert tuple(model.output_shape) == (None, doc.find("out").params["units"])
    assert check_data(doc, data) == []
    keras_trains(doc, data)


def test_no_flatten_fix_where_flattening_does_not_fit_the_labels():
    doc = image_classifier("mean_squared_error")
    data = load_data("sklearn:digits", doc)
    data = Dataset(data.x, {"out": np.zeros((len(data.y["out"]), 3), "float32")})
    (issue,) = check_data(doc, data)
    assert issue.code == "label_shape" and issue.fixes == () and issue.port is None


def vector_model(units, activation, loss):
    """features (5) -> Dense(units): the model output."""
    from tests.runtime.test_build import graph

    doc = graph([("features", "Input", {"shape": [5]}),
                 ("out", "Dense", {"units": units, "activation": activation})],
                [("features", "out")], ["out"])
    doc.training = {"loss": loss}
    return doc


def fits_after(doc, data, issue, fix) -> None:
    """The fix makes the data fit, and Keras trains an epoch on it; undo restores."""
    from kerascanvas.graph.projectfile import dumps
    from kerascanvas.graph.training import resolve_training

    stack, text = UndoStack(), dumps(doc)
    apply_fix(doc, issue, fix, stack)
    assert check_data(doc, data) == []
    model = build_model(doc)
    model.compile("adam", resolve_training(doc)["loss"]["out"])
    history = model.fit(data.x["features"], data.y["out"], epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][-1])
    stack.undo()
    assert dumps(doc) == text


RNG = np.random.default_rng(4)
FEATURES = RNG.random((32, 5)).astype("float32")


@pytest.mark.parametrize("activation", ["softmax", "sigmoid"])
def test_class_ids_under_binary_cross_entropy_on_two_units_use_the_sparse_loss(activation):
    doc = vector_model(2, activation, "binary_crossentropy")
    data = Dataset({"features": FEATURES}, {"out": RNG.integers(0, 2, 32)})
    (issue,) = check_data(doc, data)
    assert issue.code == "label_shape" and issue.fixes == ("use_sparse_loss",)
    assert "sparse_categorical_crossentropy takes" in issue.message
    fits_after(doc, data, issue, "use_sparse_loss")


@pytest.mark.parametrize("loss, labels", [
    ("mse", RNG.random((32, 3)).astype("float32")),  # three targets on one unit
    ("mae", RNG.random((32, 1)).astype("float32")),  # one target on four units
    ("binary_crossentropy", RNG.integers(0, 2, (32, 3)).astype("float32")),  # 3 flags
])
def test_labels_of_another_size_set_the_units_to_it(loss, labels):
    doc = vector_model(1 if labels.shape[1] != 1 else 4, "sigmoid", loss)
    data = Dataset({"features": FEATURES}, {"out": labels})
    (issue,) = check_data(doc, data)
    assert issue.fixes == ("set_units_to_label_size",) and issue.data == {
        "units": labels.shape[1]}
    fits_after(doc, data, issue, "set_units_to_label_size")
    apply_fix(doc, issue, "set_units_to_label_size", UndoStack())
    assert doc.find("out").params["units"] == labels.shape[1]


def test_one_hot_rows_of_more_classes_than_units_set_the_units_to_them():
    """categorical_crossentropy, Dense(3), one-hot rows of 4 classes: no fix was offered."""
    doc = vector_model(3, "softmax", "categorical_crossentropy")
    labels = np.eye(4, dtype="float32")[RNG.integers(0, 4, 32)]
    data = Dataset({"features": FEATURES}, {"out": labels})
    (issue,) = check_data(doc, data)
    assert issue.code == "label_shape" and issue.fixes == ("set_units_to_label_size",)
    assert "one-hot rows of 4 classes, which need 4 units" in issue.message
    fits_after(doc, data, issue, "set_units_to_label_size")


def test_no_sparse_loss_for_ids_beyond_the_units_or_fractions():
    doc = vector_model(2, "softmax", "binary_crossentropy")
    for labels in (np.arange(32) % 3, RNG.random(32).astype("float32")):
        (issue,) = check_data(doc, Dataset({"features": FEATURES}, {"out": labels}))
        assert issue.fixes == ()


def test_an_input_array_of_another_sample_shape_shapes_the_input_so():
    """RGB images (8, 8, 3) for an Input typed (8, 8, 1): the Input takes the data's
    shape, the check passes and Keras trains on the arrays it refused."""
    doc = classifier(units=3, loss="sparse_categorical_crossentropy")
    images = RNG.random((16, 8, 8, 3)).astype("float32")
    data = Dataset({"image": images}, {"out": np.arange(16) % 3})
    (issue,) = check_data(doc, data)
    assert issue.code == "data_shape" and issue.fixes == ("set_input_to_data",)
    from kerascanvas.graph.fixes import fix_label

    assert fix_label("set_input_to_data", issue, doc) == \
        "Make the Input (8, 8, 3), as its data"
    apply_fix(doc, issue, "set_input_to_data", UndoStack())
    assert doc.find("image").params["shape"] == [8, 8, 3]
    assert check_data(doc, data) == []
    keras_trains(doc, data)
    with pytest.raises(DocumentError, match="names no Input"):
        apply_fix(doc, dataclasses.replace(issue, data={"dims": "x"}), "set_input_to_data",
                  UndoStack())


def test_token_ids_beyond_the_vocabulary_widen_the_embedding():
    """Ids up to 49 into Embedding(input_dim=20): its input_dim becomes 50, the check
    passes and Keras trains on the ids (fractional or negative ids get no fix)."""
    from kerascanvas.graph.fixes import fix_label
    from kerascanvas.graph.training import resolve_training

    doc = sequence_model(units=1, activation="sigmoid", loss="binary_crossentropy",
                         return_sequences=False)
    tokens = np.random.default_rng(5).integers(0, 50, (32, 12))
    data = Dataset({"tokens": tokens}, {"out": (np.arange(32) % 2).astype("float32")})
    (issue,) = check_data(doc, data)
    assert issue.code == "data_range" and issue.fixes == ("set_input_dim_to_data",)
    assert fix_label("set_input_dim_to_data", issue, doc) == \
        f"Set the Embedding's input_dim to {tokens.max() + 1} (the largest id + 1)"
    stack = UndoStack()
    apply_fix(doc, issue, "set_input_dim_to_data", stack)
    assert doc.find("embed").params["input_dim"] == tokens.max() + 1
    assert check_data(doc, data) == []
    model = build_model(doc)
    model.compile("adam", resolve_training(doc)["loss"]["out"])
    assert np.isfinite(model.fit(tokens, data.y["out"], epochs=1, verbose=0).history["loss"][-1])
    stack.undo()
    assert doc.find("embed").params["input_dim"] == 20
    for bad in (tokens - 1, tokens + 0.5):
        (issue,) = check_data(doc, Dataset({"tokens": bad}, data.y))
        assert issue.code == "data_range" and issue.fixes == ()


def test_fractional_labels_on_one_unit_under_a_class_loss_use_a_regression_loss():
    """Prices on Dense(1) trained with sparse_categorical_crossentropy: refused with no
    fix; they are values to predict."""
    doc = vector_model(1, "linear", "sparse_categorical_crossentropy")
    labels = (RNG.random(32) * 3).astype("float32")
    data = Dataset({"features": FEATURES}, {"out": labels})
    (issue,) = check_data(doc, data)
    assert issue.code == "label_dtype" and issue.fixes == ("use_regression_loss",)
    fits_after(doc, data, issue, "use_regression_loss")
    apply_fix(doc, issue, "use_regression_loss", UndoStack())
    assert doc.training["loss"] == {"out": "mean_squared_error"}


def test_fractional_labels_on_several_units_get_no_loss_to_guess():
    doc = vector_model(3, "softmax", "sparse_categorical_crossentropy")
    data = Dataset({"features": FEATURES}, {"out": RNG.random(32).astype("float32")})
    (issue,) = check_data(doc, data)
    assert issue.code == "label_dtype" and issue.fixes == ()
