"""KerasLayer nodes with several outputs: the generated code unpacks them, builds, and
computes what Keras computes.

The importer keeps the `rfft` operation (which has no node kind of its own) as a
KerasLayer node with 2 recorded outputs (the real and imaginary parts). Each output
port feeds the head.
The model built by `kerascanvas run` and the one the generated code builds (functional
and subclass styles) must give the original model's outputs.
"""

from __future__ import annotations

import numpy as np
import pytest

from kerascanvas.codegen import generate
from kerascanvas.graph.validate import analyze
from kerascanvas.runtime.build import build_model
from kerascanvas.runtime.import_generic import keras_layer_problems
from kerascanvas.runtime.importer import import_model_report
from kerascanvas.runtime.keras_env import import_keras


def original_model():
    keras = import_keras()
    seq = keras.Input((5, 3), name="seq")
    flat = keras.layers.Flatten(name="flat")(keras.layers.Dense(5, name="proj")(seq))
    rows = keras.layers.Reshape((5, 5), name="rows")(flat)
    real, imag = keras.ops.rfft(rows)
    joined = keras.layers.Concatenate(name="cat")([
        keras.layers.Flatten(name="flat_r")(real) * 2.0,
        keras.layers.Flatten(name="flat_v")(imag)])
    return keras.Model(seq, keras.layers.Dense(2, name="head")(joined))


@pytest.fixture(scope="module")
def imported():
    model = original_model()
    return model, import_model_report(model).doc


def test_the_importer_records_each_output(imported):
    _, doc = imported
    generic = {n.name: n for n in doc.nodes.values() if n.kind == "KerasLayer"}
    outputs = {n.params["class_name"]: len(n.params["output_shapes"][0]["outputs"])
               for n in generic.values()}
    assert outputs == {"RFFT": 2}
    used = {(doc.node(e.src).params.get("class_name"), e.src_port) for e in doc.edges}
    assert {("RFFT", 0), ("RFFT", 1)} <= used


def _copy_weights(source, target) -> None:
    for layer in source.layers:
        if layer.weights:
            target.get_layer(layer.name).set_weights(layer.get_weights())


@pytest.mark.parametrize("style", ["functional", "subclass"])
def test_generated_code_and_run_compute_what_keras_computes(imported, style):
    model, doc = imported
    analysis = analyze(doc)
    assert analysis.valid, analysis.errors
    assert keras_layer_problems(doc, analysis) == []  # run does not refuse it
    namespace: dict = {}
    exec(compile(generate(doc, style=style), "<generated>", "exec"), namespace)  # noqa: S102
    generated = namespace["build_model"]()
    built = build_model(doc)
    assert generated.count_params() == built.count_params() == model.count_params()
    data = np.random.default_rng(0).normal(size=(3, 5, 3)).astype("float32")
    want = model.predict(data, verbose=0)
    for rebuilt in (generated, built):
        _copy_weights(model, rebuilt)
        np.testing.assert_allclose(rebuilt.predict(data, verbose=0), want, rtol=1e-5, atol=1e-6)
