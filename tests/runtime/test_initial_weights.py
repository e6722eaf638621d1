"""An imported `.keras` keeps its trained weights: the project's `weights` section makes
the run, the exports and the generated script start from them, layer by layer.

Everything is compared with the original Keras model: its weights and predictions."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerascanvas.codegen import generate  # noqa: E402
from kerascanvas.codegen.script_weights import FUNCTIONS  # noqa: E402
from kerascanvas.graph import initial_weights, projectfile  # noqa: E402
from kerascanvas.runtime import export  # noqa: E402
from kerascanvas.runtime.build import build_model  # noqa: E402
from kerascanvas.runtime.cli import import_model  # noqa: E402
from kerascanvas.runtime.initial_weights import apply, weight_layers  # noqa: E402
from kerascanvas.runtime.train import (  # noqa: E402
    TrainingRefused,
    load_checked_data,
    prepare,
    train,
)

X = np.random.default_rng(0).random((32, 4), dtype=np.float32)


def _trained_model():
    """A small functional model with BatchNormalization and a nested model, trained so
    that no weight (BN statistics included) is what a fresh build gives."""
    inner_in = keras.Input((8,))
    x = keras.layers.Dense(8, activation="relu", name="inner_dense")(inner_in)
    inner = keras.Model(inner_in, keras.layers.BatchNormalization(name="inner_bn")(x),
                        name="block")
    inputs = keras.Input((4,), name="inp")
    h = keras.layers.BatchNormalization(name="bn")(keras.layers.Dense(8, name="d1")(inputs))
    out = keras.layers.Dense(3, activation="softmax", name="out")(inner(h))
    model = keras.Model(inputs, out, name="orig")
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(X, np.arange(32) % 3, epochs=2, batch_size=8, verbose=0)
    return model


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    return imported_project(tmp_path_factory.mktemp("imported"))


def imported_project(folder):
    """(original model, project path): the model saved as m.keras, imported beside it."""
    model = _trained_model()
    model.save(folder / "m.keras")
    parser = argparse.ArgumentParser()
    import_model.add_arguments(parser)
    args = parser.parse_args([str(folder / "m.keras"), "-o", str(folder / "p.json")])
    assert import_model.run(args) == 0
    return model, folder / "p.json"


def _doc(project):
    doc = projectfile.load(project)
    initial_weights.anchored(doc, project.parent)
    return doc


def _same_weights(ours, theirs, paths):
    mine, other = weight_layers(ours), weight_layers(theirs)
    for path in paths:
        for a, b in zip(mine[path].get_weights(), other[path].get_weights(), strict=True):
            np.testing.assert_array_equal(a, b, err_msg=path)


def test_import_names_the_archive_relative_to_the_project(imported):
    _, project = imported
    section = json.loads(project.read_text())["weights"]
    assert section["source"] == "m.keras"
    assert section["sha256"] == initial_weights.file_sha256(project.parent / "m.keras")


def test_the_built_model_holds_the_original_weights_at_every_depth(imported):
    original, project = imported
    model = build_model(_doc(project))
    report = apply(model, _doc(project))
    paths = ["d1", "bn", "block/inner_dense", "block/inner_bn", "out"]
    assert report.loaded == paths and report.fresh == []
    assert report.message() == "loaded 5 of 5 layers from m.keras"
    _same_weights(model, original, paths)
    np.testing.assert_allclose(model.predict(X, verbose=0), original.predict(X, verbose=0),
                               rtol=0, atol=1e-6)


def test_keras_and_onnx_exports_predict_as_the_original(imported, tmp_path):
    original, project = imported
    expected = original.predict(X, verbose=0)
    export.export_keras(_doc(project), tmp_path / "x.keras")
    saved = keras.saving.load_model(tmp_path / "x.keras")
    np.testing.assert_allclose(saved.predict(X, verbose=0), expected, rtol=0, atol=1e-6)
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    export.export_onnx(_doc(project), tmp_path / "x.onnx")
    graph = onnx.load(str(tmp_path / "x.onnx")).graph
    assert [o.name for o in graph.output] == list(original.output_names) == ["out"]
    batch = graph.input[0].type.tensor_type.shape.dim[0].dim_param
    assert batch and graph.output[0].type.tensor_type.shape.dim[0].dim_param == batch
    session = ort.InferenceSession(str(tmp_path / "x.onnx"))
    got = session.run(None, {session.get_inputs()[0].name: X})[0]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)


def test_a_changed_head_trains_from_the_loaded_base(imported):
    """'out' with 5 units and a new 'extra' layer keep fresh weights; the base is loaded,
    the run's log says which, and the base trains on from the original's values."""
    original, project = imported
    doc = _doc(project)
    next(n for n in doc.nodes.values() if n.name == "out").params["units"] = 5
    doc.training = {"epochs": 1, "batch_size": 8, "data": "synthetic:16", "seed": 1}
    doc, settings = prepare(doc)
    events = []
    result = train(doc, load_checked_data(doc, settings), settings, sink=events.append)
    assert result.status == "ok", result.message
    said = [e for e in events if e.kind == "weights"]
    assert said[0].loaded == ["d1", "bn", "block/inner_dense", "block/inner_bn"]
    assert said[0].fresh == ["out"]
    assert said[0].message == "loaded 4 of 5 layers from m.keras; fresh: out"
    trained = result.model.get_layer("d1").get_weights()[0]
    start = original.get_layer("d1").get_weights()[0]
    assert not np.array_equal(trained, start)  # it trained...
    assert np.abs(trained - start).max() < 0.05  # ...on from the loaded values


def test_a_missing_or_changed_file_refuses_training_unless_turned_off(imported, tmp_path):
    _, project = imported
    doc = _doc(project)
    doc.training = {"epochs": 1, "batch_size": 8, "data": "synthetic:16"}
    copy = tmp_path / "m.keras"
    copy.write_bytes((project.parent / "m.keras").read_bytes() + b"x")
    doc.weights = {**doc.weights, "source": str(copy)}
    with pytest.raises(TrainingRefused, match="changed since it was chosen"):
        prepare(doc)
    copy.unlink()
    with pytest.raises(TrainingRefused, match="is missing"):
        prepare(doc)
    doc.weights["enabled"] = False
    doc, settings = prepare(doc)  # off: fresh weights, no refusal
    assert apply(build_model(doc), doc) is None


def test_the_generated_script_loads_the_same_weights(imported):
    original, project = imported
    doc = projectfile.load(project)
    script = generate(doc, script=True)
    archive = str(project.parent / "m.keras")  # in full: the script runs from anywhere
    assert f"    model = build_model()\n    load_matching_weights(model, {archive!r})\n" \
        in script
    compile(script, "train.py", "exec")
    helpers = {"keras": keras}
    exec(FUNCTIONS, helpers)  # the script's own helper, run on the model it builds
    model = build_model(doc)
    helpers["load_matching_weights"](model, str(project.parent / "m.keras"))
    np.testing.assert_allclose(model.predict(X, verbose=0), original.predict(X, verbose=0),
                               rtol=0, atol=1e-6)


def test_a_weights_h5_file_loads_by_position(imported, tmp_path):
    original, project = imported
    original.save_weights(tmp_path / "m.weights.h5")
    doc = _doc(project)
    doc.weights = initial_weights.section_for(tmp_path / "m.weights.h5")
    model = build_model(doc)
    report = apply(model, doc)
    assert report.fresh == [] and len(report.loaded) == 5
    np.testing.assert_allclose(model.predict(X, verbose=0), original.predict(X, verbose=0),
                               rtol=0, atol=1e-6)
