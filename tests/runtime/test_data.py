"""Data sources and the checks of data against the model, with shapes from Keras itself."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import datasets

from kerascanvas.runtime.build import build_model
from kerascanvas.runtime.data import (
    SKLEARN_SETS,
    DataError,
    Dataset,
    adapt_labels,
    check_data,
    load_data,
)
from kerascanvas.runtime.datacheck import check_split
from tests.runtime.test_build import graph


def classifier(units=10, activation="softmax", loss=None, shape=(8, 8, 1)):
    doc = graph([("image", "Input", {"shape": list(shape)}), ("flat", "Flatten", {}),
                 ("out", "Dense", {"units": units, "activation": activation})],
                [("image", "flat"), ("flat", "out")], ["out"])
    if loss:
        doc.training = {"loss": loss}
    return doc


def two_headed():
    """Two inputs (one of tokens into an Embedding, one with an unknown length), three heads."""
    doc = graph([("tokens", "Input", {"shape": [6], "dtype": "int32"}),
                 ("series", "Input", {"shape": [None, 3]}),
                 ("emb", "Embedding", {"input_dim": 30, "output_dim": 4}),
                 ("pool", "GlobalAveragePooling1D", {}), ("rnn", "LSTM", {"units": 5}),
                 ("cat", "Concatenate", {}),
                 ("kind", "Dense", {"units": 4, "activation": "softmax"}),
                 ("flags", "Dense", {"units": 3, "activation": "sigmoid"}),
                 ("value", "Dense", {"units": 2})],
                [("tokens", "emb"), ("emb", "pool"), ("series", "rnn"), ("pool", "cat"),
                 ("rnn", "cat"), ("cat", "kind"), ("cat", "flags"), ("cat", "value")],
                ["kind", "flags", "value"])
    doc.training = {"loss": {"kind": "categorical_crossentropy", "flags": "binary_crossentropy",
                             "value": "mse"}}
    return doc


def keras_out_shapes(doc):
    return {t.name.split("/")[0]: tuple(t.shape) for t in build_model(doc).outputs}


def test_synthetic_default_size_and_sparse_labels_fit_keras_output():
    doc = classifier()
    data = load_data("synthetic", doc, seed=0)
    out = build_model(doc).outputs[0].shape
    assert data.x["image"].shape == (256, 8, 8, 1) and data.x["image"].dtype == np.float32
    labels = data.y["out"]
    assert labels.shape == (256,) and labels.dtype.kind == "i"
    assert labels.min() >= 0 and labels.max() < out[-1]
    assert check_data(doc, data) == []


def test_synthetic_labels_follow_each_loss_and_fit_keras_outputs():
    doc = two_headed()
    data = load_data("synthetic:40", doc, seed=1)
    model = build_model(doc)
    shapes = dict(zip(model.output_names, (tuple(t.shape) for t in model.outputs), strict=True))
    kind, flags, value = data.y["kind"], data.y["flags"], data.y["value"]
    assert kind.shape == (40, *shapes["kind"][1:])
    np.testing.assert_array_equal(kind.sum(axis=1), 1.0)  # one-hot rows
    assert flags.shape == (40, *shapes["flags"][1:]) and set(np.unique(flags)) <= {0.0, 1.0}
    assert value.shape == (40, *shapes["value"][1:]) and value.dtype == np.float32
    tokens = data.x["tokens"]
    assert tokens.dtype == np.int32 and tokens.min() >= 0 and tokens.max() < 30
    assert data.x["series"].shape[0] == 40 and data.x["series"].shape[2] == 3
    assert check_data(doc, data) == []
    model.compile(optimizer="sgd", loss=["categorical_crossentropy", "binary_crossentropy", "mse"])
    x = [data.x["tokens"], data.x["series"]]
    loss = model.evaluate(x, [kind, flags, value], verbose=0)
    assert np.all(np.isfinite(loss))


@pytest.mark.parametrize("name", SKLEARN_SETS)
def test_sklearn_sets_match_scikit_learn(name):
    bunch = getattr(datasets, f"load_{name}")()
    shape = (8, 8, 1) if name == "digits" else bunch.data.shape[1:]
    classes = len(np.unique(bunch.target))
    doc = classifier(units=classes, shape=shape)
    data = load_data(f"sklearn:{name}", doc, seed=3)
    assert data.x["image"].shape == (len(bunch.data), *shape)
    assert data.y["out"].dtype.kind == "i"
    assert data.num_classes == {"out": classes}
    assert sorted(data.y["out"].tolist()) == sorted(bunch.target.tolist())
    issues = check_data(doc, data)
    # wine's proline and breast cancer's areas reach 1680 and 4254: a warning, no refusal
    assert [i.code for i in issues] == (["data_scale"] if data.x["image"].max() > 50 else [])
    assert {i.severity for i in issues} <= {"warning"}
    assert (name in ("wine", "breast_cancer")) == bool(issues)


def test_digits_are_images_of_0_to_16_and_fit_a_flat_input_too():
    data = load_data("sklearn:digits", classifier(), seed=0)
    assert data.x["image"].min() == 0 and data.x["image"].max() == 16
    flat = load_data("sklearn:digits", classifier(shape=(64,)), seed=0)
    np.testing.assert_array_equal(flat.x["image"], data.x["image"].reshape(-1, 64))


def test_sklearn_needs_one_input_and_one_output():
    with pytest.raises(DataError, match="one Input and one output"):
        load_data("sklearn:iris", two_headed())


def test_npz_with_x_and_y_and_validation(tmp_path):
    path = tmp_path / "d.npz"
    x, y = np.random.rand(20, 8, 8, 1).astype("float32"), np.arange(20) % 10
    np.savez(path, x=x, y=y, x_val=x[:5], y_val=y[:5])
    data = load_data(str(path), classifier())
    np.testing.assert_array_equal(data.x["image"], x)
    np.testing.assert_array_equal(data.y_val["out"], y[:5])
    assert data.has_validation and check_data(classifier(), data) == []


def test_npz_by_names_with_val_prefix(tmp_path):
    doc = two_headed()
    path = tmp_path / "named.npz"
    arrays = load_data("synthetic:12", doc, seed=2)
    val = load_data("synthetic:4", doc, seed=3)
    np.savez(path, **arrays.x, **arrays.y, **{f"val_{k}": v for k, v in {**val.x, **val.y}.items()})
    data = load_data(str(path), doc)
    assert set(data.x) == {"tokens", "series"} and set(data.y) == {"kind", "flags", "value"}
    assert data.x_val["series"].shape == val.x["series"].shape
    assert check_data(doc, data) == []


def test_npz_missing_array_is_named(tmp_path):
    path = tmp_path / "bad.npz"
    np.savez(path, x=np.zeros((3, 8, 8, 1)), labels=np.zeros(3))
    with pytest.raises(DataError, match=r"no array for output 'out'.*'y'.*Arrays in the file"):
        load_data(str(path), classifier())


def test_npz_validation_without_labels_is_refused(tmp_path):
    path = tmp_path / "half.npz"
    np.savez(path, x=np.zeros((3, 8, 8, 1)), y=np.zeros(3, "int64"), x_val=np.zeros((1, 8, 8, 1)))
    with pytest.raises(DataError, match="both inputs and labels"):
        load_data(str(path), classifier())


def test_npy_pair(tmp_path):
    np.save(tmp_path / "x.npy", np.ones((4, 8, 8, 1), "float32"))
    np.save(tmp_path / "y.npy", np.array([0, 1, 2, 3]))
    data = load_data(f"{tmp_path / 'x.npy'},{tmp_path / 'y.npy'}", classifier())
    assert data.x["image"].shape == (4, 8, 8, 1) and data.y["out"].tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize("spec", ["nonsense", "synthetic:0", "synthetic:x", "sklearn:mnist",
                                  "missing.npz"])
def test_bad_specs_say_what_was_expected(spec):
    with pytest.raises(DataError, match=spec.split(":")[-1]):
        load_data(spec, classifier())


def test_categorical_loss_gets_one_hot_labels_from_class_ids():
    data = load_data("sklearn:digits", classifier(loss="categorical_crossentropy"))
    assert data.y["out"].shape == (1797, 10)
    assert data.num_classes == {"out": 10}


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "uint32"])
@pytest.mark.parametrize("loss", ["sparse_categorical_crossentropy", "categorical_crossentropy"])
def test_unsigned_class_ids_are_counted_and_checked(tmp_path, dtype, loss):
    """uint8 labels (MNIST's) ended in an internal error: counting the classes asked NumPy
    for max(initial=-1), which no unsigned array can hold."""
    path = tmp_path / "u.npz"
    np.savez(path, x=np.zeros((6, 8, 8, 1), "float32"), y=np.array([0, 3, 9, 1, 3, 0], dtype))
    doc = classifier(loss=loss)
    data = load_data(str(path), doc)
    assert data.num_classes == {"out": 10} and check_data(doc, data) == []


# ---- check_data -------------------------------------------------------------------------
def _codes(issues):
    return [(i.node, i.code) for i in issues]


def test_ten_classes_into_one_sigmoid_unit_names_the_output():
    doc = classifier(units=1, activation="sigmoid", loss="sparse_categorical_crossentropy")
    issues = check_data(doc, load_data("sklearn:digits", doc))
    assert _codes(issues) == [(doc.find("out").id, "label_range")]
    assert "1 unit" in issues[0].message and "10 classes" in issues[0].message


def test_input_shape_mismatch_names_the_input():
    doc = classifier()
    data = Dataset({"image": np.zeros((4, 8, 8, 3), "float32")}, {"out": np.zeros(4, "int64")})
    issues = check_data(doc, data)
    assert _codes(issues) == [(doc.find("image").id, "data_shape")]
    assert "(8, 8, 1)" in issues[0].message and "(8, 8, 3)" in issues[0].message


def test_missing_arrays_and_counts_are_reported():
    doc = classifier()
    data = Dataset({"img": np.zeros((4, 8, 8, 1))}, {"out": np.zeros(3, "int64")})
    codes = _codes(check_data(doc, data))
    assert (doc.find("image").id, "data_missing") in codes and (None, "data_count") in codes


def test_embedding_values_out_of_range_name_the_input():
    doc = two_headed()
    data = load_data("synthetic:8", doc, seed=0)
    data.x["tokens"][0, 0] = 30
    assert _codes(check_data(doc, data)) == [(doc.find("tokens").id, "data_range")]


def test_binary_labels_outside_0_1_and_bad_label_shapes():
    doc = two_headed()
    data = load_data("synthetic:8", doc, seed=0)
    data.y["flags"] = data.y["flags"] * 2
    data.y["value"] = data.y["value"][:, :1]
    data.y_val = None
    assert _codes(check_data(doc, data)) == [(doc.find("flags").id, "label_range"),
                                             (doc.find("value").id, "label_shape")]


def test_validation_part_is_checked_too():
    doc = classifier()
    ok = load_data("synthetic:8", doc, seed=0)
    ok.x_val, ok.y_val = {"image": ok.x["image"][:2]}, {"out": np.array([0, 12])}
    issues = check_data(doc, ok)
    assert _codes(issues) == [(doc.find("out").id, "label_range")]
    assert "validation" in issues[0].message


@pytest.mark.parametrize("units, activation, form", [(3, "softmax", "onehot"),
                                                     (1, "sigmoid", "binary")])
def test_focal_loss_labels_fit_the_output_and_train(units, activation, form):
    from kerascanvas.runtime.data import label_form
    from kerascanvas.runtime.extras import FocalLoss

    for loss in ("focal_loss", {"name": "focal_loss", "gamma": 1.0}):
        assert label_form(loss, units) == form
        doc = classifier(units=units, activation=activation, loss={"out": loss})
        data = load_data("synthetic:32", doc, seed=0)
        assert check_data(doc, data) == []
        model = build_model(doc)
        model.compile("sgd", FocalLoss())
        assert np.isfinite(model.evaluate(data.x["image"], data.y["out"], verbose=0))
    # Class ids become one-hot rows for several units, as for categorical crossentropy.
    ids = Dataset({"image": np.zeros((4, 8, 8, 1), "float32")}, {"out": np.array([0, 2, 1, 2])})
    adapted = adapt_labels(classifier(units=3, loss="focal_loss"), ids)
    np.testing.assert_array_equal(adapted.y["out"], np.eye(3)[[0, 2, 1, 2]])


def test_categorical_focal_crossentropy_takes_one_hot_rows():
    from kerascanvas.runtime.data import label_form

    assert label_form("categorical_focal_crossentropy") == "onehot"
    assert label_form("binary_focal_crossentropy") == "binary"
    doc = classifier(units=3, loss="categorical_focal_crossentropy")
    data = load_data("synthetic:16", doc, seed=0)
    model = build_model(doc)
    model.compile("sgd", "categorical_focal_crossentropy")
    assert np.isfinite(model.evaluate(data.x["image"], data.y["out"], verbose=0))


@pytest.mark.parametrize("samples, split", [(40, 1.0), (40, 0.99), (1, 0.2)])
def test_a_validation_split_that_leaves_nothing_to_train_on_is_refused(samples, split):
    """Keras' fit refuses such a split ("not sufficient to split it"); the run trained on
    every sample without validation and said nothing of the split it dropped."""
    from kerascanvas.runtime.train import load_checked_data, prepare

    doc, settings = prepare(classifier(), {"validation_split": split,
                                           "data": f"synthetic:{samples}"})
    with pytest.raises(DataError) as caught:
        load_checked_data(doc, settings)
    (issue,) = caught.value.issues
    assert issue.code == "data_split" and issue.node is None
    assert issue.message.startswith("training.validation_split: ")
    assert f"{samples} sample" in issue.message and f"Received: {split}" in issue.message
    # Test data is not split: one sample of it is evaluated whatever the split.
    assert load_checked_data(doc, settings, "synthetic:1").num_samples == 1


def test_a_validation_split_that_holds_out_a_sample_is_accepted():
    doc = classifier()
    assert check_split(load_data("synthetic:2", doc), 0.5) == []
