"""An imported model keeps its identity: its name, and dict inputs and outputs.

import -> project file -> generated code (functional, subclass) -> exec gives a model
whose name, `count_params`, config structure (`input_layers`, `output_layers`) and
outputs on the same dict input equal Keras' own model; the sequential style refuses.
"""

from __future__ import annotations

import numpy as np
import pytest

from kerascanvas.codegen import CodegenError, generate
from kerascanvas.graph.projectfile import dumps, loads
from kerascanvas.runtime.build import BuildError
from kerascanvas.runtime.export import export_keras
from kerascanvas.runtime.importer import import_model_report
from kerascanvas.runtime.keras_env import import_keras
from tests.codegen.test_script import run_script
from tests.roundtrip import exec_generated

NAME = "ranker v2 (dicts)"


def _dict_model():
    keras = import_keras()
    left = keras.Input((4,), name="left_in")
    right = keras.Input((3,), name="right_in")
    x = keras.layers.Concatenate(name="cat")([left, right])
    value = keras.layers.Dense(1, name="dense_value")(x)
    probs = keras.layers.Dense(2, activation="softmax", name="dense_probs")(x)
    # keys written out of sorted order: the written order must survive too
    return keras.Model({"right": right, "left": left}, {"value": value, "probs": probs},
                       name=NAME)


def _feed():
    rng = np.random.default_rng(0)
    return {"left": rng.normal(size=(2, 4)).astype("float32"),
            "right": rng.normal(size=(2, 3)).astype("float32")}


def _through_the_file(model):
    report = import_model_report(model)
    return report, loads(dumps(report.doc))


def _assert_same_outputs(original, rebuilt):
    keras = import_keras()
    for layer in (layer for layer in original.layers if layer.weights):
        rebuilt.get_layer(layer.name).set_weights(layer.get_weights())
    want, got = original(_feed()), rebuilt(_feed())
    assert isinstance(got, dict) and sorted(got) == sorted(want)
    for key in want:
        np.testing.assert_allclose(keras.ops.convert_to_numpy(got[key]),
                                   keras.ops.convert_to_numpy(want[key]), rtol=1e-6)


def test_dict_structure_is_kept_without_a_note():
    report, doc = _through_the_file(_dict_model())
    assert not any("dict" in note for note in report.notes)
    assert doc.model_name == NAME
    by_name = {doc.nodes[nid].name: key for nid, key in doc.keyed_inputs().items()}
    assert list(by_name.items()) == [("right_in", "right"), ("left_in", "left")]
    outputs = {doc.nodes[doc.output_ref(e)[0]].name: k for e, k in doc.keyed_outputs().items()}
    assert list(outputs.items()) == [("dense_value", "value"), ("dense_probs", "probs")]


def test_functional_code_rebuilds_the_dict_model():
    model = _dict_model()
    rebuilt = exec_generated(_through_the_file(model)[1])
    config, want = rebuilt.get_config(), model.get_config()
    assert config["input_layers"] == want["input_layers"]
    assert list(config["input_layers"]) == list(want["input_layers"])
    assert config["output_layers"] == want["output_layers"]
    assert list(config["output_layers"]) == list(want["output_layers"])
    assert rebuilt.name == model.name == NAME
    assert rebuilt.count_params() == model.count_params()
    _assert_same_outputs(model, rebuilt)


def test_subclass_code_takes_and_returns_the_same_dicts():
    model = _dict_model()
    rebuilt = exec_generated(_through_the_file(model)[1], style="subclass")
    assert rebuilt.name == NAME and rebuilt.count_params() == model.count_params()
    _assert_same_outputs(model, rebuilt)


def test_sequential_style_refuses_a_dict_model():
    with pytest.raises(CodegenError, match="takes a dict .keys 'right', 'left'. and returns "
                                           "a dict .keys 'value', 'probs'."):
        generate(_through_the_file(_dict_model())[1], style="sequential")


def test_the_keras_export_keeps_name_and_dicts(tmp_path):
    keras = import_keras()
    model = _dict_model()
    export_keras(_through_the_file(model)[1], tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    assert loaded.name == NAME
    assert loaded.get_config()["input_layers"] == model.get_config()["input_layers"]
    assert loaded.get_config()["output_layers"] == model.get_config()["output_layers"]
    _assert_same_outputs(model, loaded)


@pytest.mark.parametrize("style", ["functional", "sequential", "subclass"])
def test_a_list_model_keeps_its_name_in_every_style(style):
    keras = import_keras()
    inp = keras.Input((4,), name="x")
    model = keras.Sequential([inp, keras.layers.Dense(2, name="d")], name="tiny 'net' é")
    report, doc = _through_the_file(model)
    assert not any("dict" in note for note in report.notes)
    rebuilt = exec_generated(doc, style=style)
    assert rebuilt.name == model.name
    assert rebuilt.count_params() == model.count_params()


def test_a_structure_the_project_cannot_hold_is_still_noted():
    keras = import_keras()
    inp = keras.Input((4,), name="x")
    a, b = keras.layers.Dense(2, name="a")(inp), keras.layers.Dense(3, name="b")(inp)
    model = keras.Model(inp, {"pair": [a, b]})
    report = import_model_report(model)
    notes = " ".join(report.notes)
    assert "returns a dict" in notes and "cannot keep" in notes and "[a, b]" not in notes
    assert report.doc.keyed_outputs() is None
    rebuilt = exec_generated(report.doc)
    assert len(rebuilt.outputs) == 2


@pytest.mark.slow
def test_the_training_script_trains_and_saves_the_dict_model(tmp_path):
    keras = import_keras()
    model = _dict_model()
    doc = _through_the_file(model)[1]
    doc.training = {"losses": {"dense_value": "mse",
                               "dense_probs": "sparse_categorical_crossentropy"},
                    "metrics": {"dense_probs": ["accuracy"]}}
    done = run_script(tmp_path, generate(doc, script=True), "--epochs", "1", "--save",
                      str(tmp_path / "out.keras"))
    assert done.returncode == 0, done.stderr[-2000:]
    saved = keras.saving.load_model(tmp_path / "out.keras", safe_mode=True)
    assert saved.name == NAME
    assert saved.get_config()["input_layers"] == model.get_config()["input_layers"]
    assert saved.get_config()["output_layers"] == model.get_config()["output_layers"]


def test_a_key_used_twice_stops_the_export(tmp_path):
    doc = _through_the_file(_dict_model())[1]
    left = doc.find("left_in").id
    doc.input_keys = {left: "right_in"}  # right_in, without a key, is keyed by its name
    with pytest.raises(BuildError, match="'right_in' of 'left_in' is also the key of 'right_in'"):
        export_keras(doc, tmp_path / "m.keras")
