"""Constant initializers with an array value, as keras.io's PointNet starts its transform
net at the identity (`bias_initializer=Constant(np.eye(3).flatten())`): Keras multiplies
the value by ones of the weight's shape, so a (nested) list that broadcasts to it fills
the weight. The import lands on the layer's kind, and the build and the generated code
give Keras' weights (no copying: Constant weights are the same every time) and outputs."""

from __future__ import annotations

import re

import keras
import numpy as np
import pytest

from kerascanvas.codegen import generate
from kerascanvas.graph.errors import ParamError
from kerascanvas.graph.projectfile import from_dict, to_dict
from kerascanvas.graph.spec import get_spec
from kerascanvas.runtime.build import BuildError, build_model
from kerascanvas.runtime.import_map import plain_arrays
from kerascanvas.runtime.importer import import_model_report
from tests.roundtrip import counts, exec_generated
from tests.runtime.test_build import graph

Constant = keras.initializers.Constant
LAYERS = {  # name -> (layer, the value its Constant holds, as a list)
    "tnet": (lambda: keras.layers.Dense(9, kernel_initializer="zeros", name="tnet",
                                        bias_initializer=Constant(np.eye(3).flatten())),
             np.eye(3).flatten().tolist()),
    "table": (lambda: keras.layers.Dense(2, name="table", bias_initializer=Constant(-0.5),
                                         kernel_initializer=Constant([[1.0, 2.0], [3.0, 4.0],
                                                                      [5.0, 6.0]])),
              [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]),
    "rows": (lambda: keras.layers.Dense(2, name="rows",
                                        kernel_initializer=Constant([0.5, -1.0])),
             [0.5, -1.0]),  # broadcast over the kernel's 3 rows
}


def _model():
    x = keras.Input((3,), name="x")
    return keras.Model(x, [make()(x) for make, _ in LAYERS.values()], name="pointnet")


def _weights(model) -> dict:
    return {w.path: keras.ops.convert_to_numpy(w) for w in model.weights}


def test_an_array_constant_imports_on_its_kind_and_rebuilds_keras_weights():
    model = _model()
    report = import_model_report(model)
    assert report.generic == {}
    doc = from_dict(to_dict(report.doc))  # through the project file
    for name, (_make, value) in LAYERS.items():
        params = doc.find(name).params
        field = "bias_initializer" if name == "tnet" else "kernel_initializer"
        assert params[field] == {"class_name": "Constant", "config": {"value": value}}
    code = generate(doc)
    assert "value=[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]" in code
    data = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    want = [keras.ops.convert_to_numpy(t) for t in model(data)]
    for rebuilt in (build_model(doc, name=model.name), exec_generated(doc, model_name=model.name)):
        assert [layer.name for layer in rebuilt.layers] == [layer.name for layer in model.layers]
        assert counts(rebuilt) == counts(model) and rebuilt.count_params() == model.count_params()
        for layer in model.layers[1:]:  # Keras serializes a numpy value as __numpy__
            assert rebuilt.get_layer(layer.name).get_config() == plain_arrays(layer.get_config())
        mine, theirs = _weights(rebuilt), _weights(model)
        assert mine.keys() == theirs.keys()
        for path, weight in theirs.items():
            np.testing.assert_array_equal(mine[path], weight, err_msg=path)
        for got, expected in zip(rebuilt(data), want, strict=True):
            np.testing.assert_allclose(keras.ops.convert_to_numpy(got), expected, rtol=1e-6)


def test_typed_lists_are_the_value_and_ragged_ones_are_refused():
    dense = get_spec("Dense")
    p = dense.param("bias_initializer")
    assert p.coerce("keras.initializers.Constant((1.0, 2.0))") == {
        "class_name": "Constant", "config": {"value": [1.0, 2.0]}}
    assert p.coerce("Constant([[1, 0], [0, 1]])") == {
        "class_name": "Constant", "config": {"value": [[1, 0], [0, 1]]}}
    assert p.coerce("Constant(2)") == {"class_name": "Constant", "config": {"value": 2}}
    for bad in ("Constant([[1, 0], [0]])", "Constant([])", "Constant([1, 'a'])",
                "Constant([1, (0, 1)])"):
        with pytest.raises(ParamError, match="bias_initializer.*finite number or a"):
            p.coerce(bad)


@pytest.mark.parametrize(("field", "value", "weight"), [
    ("bias_initializer", "Constant([1, 0, 0])", "bias weight of shape (9,)"),
    ("kernel_initializer", "Constant([[1.0], [2.0]])", "kernel weight of shape (3, 9)"),
])
def test_a_value_that_does_not_fill_its_weight_names_node_and_field(field, value, weight):
    doc = graph([("x", "Input", {"shape": [3]}), ("d", "Dense", {"units": 9, field: value})],
                [("x", "d")], ["d"])
    refused = rf"'d' \(Dense\): {field} is Constant .*{re.escape(weight)}"
    with pytest.raises(BuildError, match=refused):
        build_model(doc)
    # Keras itself takes these values and fails at the build with a bare size message
    with pytest.raises(RuntimeError, match="size of tensor"):
        keras.layers.Dense(9, **{field: Constant(p_value(value))})(np.ones((2, 3), "float32"))


def p_value(text: str):
    return get_spec("Dense").param("bias_initializer").coerce(text)["config"]["value"]
