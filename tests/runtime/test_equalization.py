"""Equalization against Keras 3.15: alone, a functional model leaves it out (Keras hands
the input tensor back), so the node is an error saying what to do; held in a Pipeline it
runs, imports onto a Pipeline node and rebuilds equal by config, counts and outputs."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerascanvas.graph.document import Document  # noqa: E402
from kerascanvas.graph.projectfile import from_dict, to_dict  # noqa: E402
from kerascanvas.graph.validate import analyze  # noqa: E402
from kerascanvas.runtime.build import BuildError, build_model  # noqa: E402
from kerascanvas.runtime.importer import import_model  # noqa: E402
from tests.codegen.helpers import add, add_input  # noqa: E402
from tests.roundtrip import assert_rebuilds_equal  # noqa: E402

L = keras.layers


def test_keras_hands_the_input_back_so_a_node_alone_is_an_error():
    x = keras.Input((8, 8, 3))
    assert L.Equalization()(x) is x  # the Keras behaviour the error stands on
    doc = Document()
    image = add_input(doc, "image", (None, 8, 8, 3))
    doc.outputs = [add(doc, "Dense", "head", {"units": 2}, [
        add(doc, "Equalization", "eq", {"bins": 64}, [image])])]
    (issue,) = analyze(doc).errors
    assert issue.node == doc.find("eq").id and "Pipeline" in issue.message
    with pytest.raises(BuildError):
        build_model(doc)


def test_equalization_in_a_pipeline_round_trips_with_equal_outputs():
    x = keras.Input((8, 8, 3), name="image")
    y = L.Pipeline([L.Equalization(value_range=(0, 1), bins=64),
                    L.Rescaling(2.0)], name="prep")(x)
    model = keras.Model(x, L.Conv2D(2, 3, name="conv")(y), name="eq")
    doc = from_dict(to_dict(import_model(model)))
    node = doc.find("prep")
    assert node.kind == "Pipeline" and node.params["layers"][0]["kind"] == "Equalization"
    assert analyze(doc).errors == []
    assert_rebuilds_equal(model, doc)
    data = np.random.default_rng(0).random((2, 8, 8, 3)).astype("float32")
    rebuilt = build_model(doc, name="eq")
    rebuilt.set_weights(model.get_weights())
    prep = keras.ops.convert_to_numpy(rebuilt.get_layer("prep")(data, training=True))
    assert not np.allclose(prep, 2 * data)  # equalized, not only rescaled
    np.testing.assert_allclose(keras.ops.convert_to_numpy(rebuilt(data, training=True)),
                               keras.ops.convert_to_numpy(model(data, training=True)),
                               rtol=1e-5, atol=1e-6)
