"""Operations Keras records in a functional model (slicing with `...` and None, arithmetic
with constants, keras.ops calls) import, survive the project file, and rebuild the same
model by both paths (runtime build and generated code): the same layers and operations
(classes and configs, tuples included) and equal forward outputs. From a `.keras` file
too (loaded in safe mode). The ops with a node kind become operation nodes (or merge
layers); the others (trapezoid, hstack, constant arrays) stay KerasLayer nodes."""

from __future__ import annotations

import json

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerascanvas.graph.projectfile import from_dict, to_dict  # noqa: E402
from kerascanvas.graph.validate import analyze  # noqa: E402
from kerascanvas.runtime.build import build_model  # noqa: E402
from kerascanvas.runtime.importer import import_file, import_model  # noqa: E402
from tests.roundtrip import (  # noqa: E402
    assert_same_model,
    assert_shapes_match_keras,
    exec_generated,
)


def ops_model():
    x = keras.Input((4, 6), name="x")
    outputs = [
        x[..., 0],  # DeepLabV3+ style: the last channel
        x[:, None, 1:3],  # a new axis and a range
        x[:, ::2, ..., -1:],  # a step, an ellipsis in the middle, a negative start
        x * 2.0 + 1.0,  # arithmetic with constants
        1.0 - keras.ops.mean(x, axis=1),
        keras.ops.transpose(x, (0, 2, 1)),
        keras.ops.concatenate([x, keras.ops.square(x)], axis=-1),
        keras.ops.sum(x, axis=(1, 2)),  # tuples in an op's config stay tuples
        keras.ops.reshape(x, (-1, 24)),
        keras.ops.stack([x, x ** 2], axis=1),
        keras.ops.where(x > 0.5, x, 0.0),
        keras.ops.take(x, [0, 2], axis=1),
        keras.ops.split(x, 2, axis=-1)[1] - 1.0,  # an op's second output, used further
        x[:, 1],
        keras.ops.cumsum(x, axis=1),
        keras.ops.flip(x, axis=-1),
        keras.ops.diff(x, axis=1),
        keras.ops.swapaxes(x, 1, 2),
        keras.ops.trapezoid(x, axis=1),
        keras.ops.log(keras.ops.hstack([x, x])),
    ]
    return keras.Model(x, outputs, name="ops")


# the operations of ops_model that keep a KerasLayer node: no kind maps them
GENERIC_OPS = {"Trapezoid", "Hstack"}


def assert_round_trip(model, doc, strict=True):
    """Both rebuilds have the model's configs (tuples included when `strict`) and its
    outputs."""
    doc = from_dict(json.loads(json.dumps(to_dict(doc))))  # the markers are plain JSON
    data = np.random.default_rng(0).random((3, 4, 6)).astype("float32")
    expected = [np.asarray(o) for o in model(data)]
    for rebuilt in (build_model(doc, name="ops"), exec_generated(doc, model_name="ops")):
        assert_same_model(model, rebuilt, strict)
        for want, got in zip(expected, rebuilt(data), strict=True):
            np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6)


def test_operations_round_trip_with_equal_outputs():
    model = ops_model()
    doc = import_model(model)
    assert_shapes_match_keras(doc, model)
    generic = {n.params["class_name"] for n in doc.nodes.values() if n.kind == "KerasLayer"}
    assert generic == GENERIC_OPS
    assert_round_trip(model, doc)


def test_operations_from_a_keras_file_round_trip(tmp_path):
    ops_model().save(tmp_path / "ops.keras")
    loaded = keras.saving.load_model(tmp_path / "ops.keras", safe_mode=True)
    # saved and loaded, Keras holds the ops' tuples as lists (newshape=[-1, 24]); the
    # rebuilt ops take tuples from our params: equal but for that
    doc = import_file(tmp_path / "ops.keras")
    # a saved index key comes back a list ([slice, None, ...]): still an x[key] node
    generic = {n.params["class_name"] for n in doc.nodes.values() if n.kind == "KerasLayer"}
    assert generic == GENERIC_OPS
    assert_round_trip(loaded, doc, strict=False)


def constants_model():
    """Constant arrays and tensors as operation arguments: a numpy array, tensors made by
    keras.ops (an identity matrix, a convolution kernel) and an integer array."""
    x = keras.Input((3, 3), name="x")
    image = keras.Input((6, 6, 2), name="image")
    kernel = keras.ops.convert_to_tensor(
        np.random.default_rng(1).normal(size=(3, 3, 2, 4)).astype("float32"))
    outputs = [
        x + np.array([1.0, 2.0, 3.0], "float32"),
        x * keras.ops.eye(3),
        keras.ops.conv(image, kernel, padding="same"),
        keras.ops.take(x, np.array([2, 0]), axis=1),
    ]
    return keras.Model([x, image], outputs, name="constants")


def test_constant_array_arguments_round_trip_as_tensors():
    model = constants_model()
    doc = import_model(model)
    assert_shapes_match_keras(doc, model)
    doc = from_dict(json.loads(json.dumps(to_dict(doc))))
    data = [np.random.default_rng(0).random((2, 3, 3)).astype("float32"),
            np.random.default_rng(1).random((2, 6, 6, 2)).astype("float32")]
    expected = [keras.ops.convert_to_numpy(o) for o in model(data)]
    for rebuilt in (build_model(doc, name="constants"),
                    exec_generated(doc, model_name="constants")):
        assert_same_model(model, rebuilt)
        for want, got in zip(expected, rebuilt(data), strict=True):
            np.testing.assert_allclose(keras.ops.convert_to_numpy(got), want, rtol=1e-5,
                                       atol=1e-6)


@pytest.mark.parametrize("bad", [{"value": [1.0, "x"], "dtype": "float32"},
                                 {"value": [1.0], "dtype": "object"},
                                 {"value": [1.0]}])
def test_a_malformed_constant_is_a_validation_error_naming_the_node(bad):
    doc = import_model(constants_model())
    node = next(n for n in doc.nodes.values()
                if "__array__" in json.dumps(n.params.get("call")))
    args = node.params["call"]["args"]
    assert "__array__" in args[-1]  # x + np.array([...]): the constant is the last argument
    args[-1] = {"__array__": bad}
    errors = [i for i in analyze(doc).errors if i.node == node.id]
    assert errors and "constant arrays" in errors[0].message
