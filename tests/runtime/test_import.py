"""Importing Keras models into documents, checked against the models Keras itself built."""

from __future__ import annotations

import json
import zipfile

import pytest

keras = pytest.importorskip("keras")

from kerascanvas.app.cli import main as cli_main  # noqa: E402
from kerascanvas.graph.errors import ShapeError  # noqa: E402
from kerascanvas.graph.project import Project  # noqa: E402
from kerascanvas.graph.spec import get_spec  # noqa: E402
from kerascanvas.runtime.build import build_model  # noqa: E402
from kerascanvas.runtime.import_generic import infer_generic  # noqa: E402
from kerascanvas.runtime.import_map import ModelImportError  # noqa: E402
from kerascanvas.runtime.importer import (  # noqa: E402
    import_file,
    import_model,
    import_model_report,
)
from tests.roundtrip import (  # noqa: E402, F401 - other tests import them from here too
    assert_same_model,
    assert_shapes_match_keras,
    exec_generated,
    flat_operations,
    nested_models,
)


@keras.saving.register_keras_serializable(package="kctest")
class Scale(keras.layers.Layer):
    """A custom layer: one trainable scale per channel, times a fixed factor."""

    def __init__(self, factor=1.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.gamma = self.add_weight(shape=(input_shape[-1],), initializer="ones")

    def call(self, x):
        return x * self.gamma * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def multi_io_model():
    image = keras.Input((12, 12, 3), name="image")
    meta = keras.Input((5,), name="meta")
    x = keras.layers.Conv2D(4, 3, activation="relu", kernel_initializer="he_normal",
                            name="conv")(image)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    y = keras.layers.Dense(4, name="meta_dense")(meta)
    z = keras.layers.Concatenate(name="cat")([x, y])
    cls = keras.layers.Dense(3, activation="softmax", name="cls")(z)
    reg = keras.layers.Dense(1, name="reg")(z)
    return keras.Model([image, meta], [cls, reg], name="two_heads")


def test_multi_input_multi_output_keeps_order_and_config():
    model = multi_io_model()
    doc = import_model(model)
    kinds = {n.name: n.kind for n in doc.nodes.values()}
    assert [n.name for n in doc.nodes.values() if n.kind == "Input"] == ["image", "meta"]
    assert [doc.nodes[i].name for i in doc.outputs] == ["cls", "reg"]
    assert "KerasLayer" not in kinds.values()
    assert doc.find("conv").params["kernel_initializer"] == "he_normal"
    assert set(doc.ui["positions"]) == set(doc.nodes)
    assert_shapes_match_keras(doc, model)
    rebuilt = build_model(doc)
    assert_same_model(model, rebuilt)
    assert [t.name for t in rebuilt.inputs] == [t.name for t in model.inputs]


def test_sequential_is_imported_as_functional():
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(3, name="d"),
                              keras.layers.Dropout(0.2, name="drop")], name="seq")
    doc = import_model(model)
    assert [n.kind for n in doc.topological_order()] == ["Input", "Dense", "Dropout"]
    assert_same_model(model, exec_generated(doc))


def test_nested_model_called_twice_is_one_nested_model_and_a_shared_call():
    inner_in = keras.Input((8,))
    inner = keras.Model(inner_in, keras.layers.Dense(8, name="inner_dense")(inner_in),
                        name="inner")
    x = keras.Input((8,), name="x")
    out = keras.layers.Dense(2, name="head")(inner(inner(x)))
    model = keras.Model(x, out)
    doc = import_model(model)
    assert [(n.name, n.kind) for n in doc.topological_order()] == [
        ("x", "Input"), ("inner", "UserBlock"), ("inner_call1", "SharedCall"),
        ("head", "Dense")]
    assert_shapes_match_keras(doc, model)
    assert_same_model(model, build_model(doc))


def test_custom_registered_layer_becomes_generic_and_round_trips():
    x = keras.Input((4, 4, 3), name="x")
    y = Scale(0.5, name="scale")(keras.layers.Conv2D(2, 1, name="conv")(x))
    model = keras.Model(x, y)
    report = import_model_report(model)
    node = report.doc.find("scale")
    assert node.kind == "KerasLayer" and "scale" in report.generic
    assert node.params["registered_name"] == "kctest>Scale"
    assert node.params["config"]["factor"] == 0.5
    assert tuple(node.params["count"]) == (2, 0)
    assert_shapes_match_keras(report.doc, model)
    assert_same_model(model, exec_generated(report.doc))


def test_keras_operations_and_constants_round_trip():
    x = keras.Input((3,), name="x")
    y = keras.layers.ReLU(6.0, name="relu6")(x + 3.0) * (1.0 / 6.0)
    model = keras.Model(x, y)
    doc = import_model(model)
    operations = [n for n in doc.nodes.values() if n.kind.startswith("ops.")]
    assert [(n.kind, n.params["constant"]) for n in operations] == [
        ("ops.add", 3.0), ("ops.multiply", 1.0 / 6.0)]
    assert_same_model(model, exec_generated(doc))


@pytest.mark.parametrize("layer,why", [
    (keras.layers.Dense(3, bias_initializer=keras.initializers.Constant(True)),
     "bias_initializer"),
    (keras.layers.Dense(3, dtype="float64"), "dtype"),
])
def test_settings_our_params_cannot_hold_fall_back_to_generic(layer, why):
    x = keras.Input((5,), name="x")
    model = keras.Model(x, layer(x))
    report = import_model_report(model)
    assert report.doc.find(layer.name).kind == "KerasLayer"
    assert why in report.generic[layer.name]
    assert_same_model(model, exec_generated(report.doc))


def test_shared_layer_becomes_one_node_per_call():
    shared = keras.layers.Dense(2, name="shared")
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    model = keras.Model([a, b], keras.layers.Add(name="sum")([shared(a), shared(b)]))
    doc = import_model(model)
    assert {"shared", "shared_call1"} <= {n.name for n in doc.nodes.values()}


def test_generic_shape_rule_uses_records_and_refuses_other_inputs():
    x = keras.Input((4, 4, 3), name="x")
    model = keras.Model(x, Scale(name="scale")(x))
    doc = import_model(model)
    node = doc.find("scale")
    spec = get_spec("KerasLayer")
    resolved = spec.resolve(node.params)
    assert spec.output_shapes(resolved, [(7, 4, 4, 3)]) == [(7, 4, 4, 3)]
    with pytest.raises(ShapeError, match="shape unknown for these inputs"):
        spec.output_shapes(resolved, [(None, 5, 5, 3)])
    update = infer_generic(node, [(None, 5, 5, 3)])
    probe = Scale(name="probe")
    assert update["output_shapes"][-1]["outputs"] == [
        list(probe(keras.Input((5, 5, 3))).shape)]
    assert tuple(update["count"]) == (probe.count_params(), 0)
    assert spec.output_shapes(spec.resolve({**node.params, **update}),
                              [(None, 5, 5, 3)]) == [(None, 5, 5, 3)]


# ---- files, safe mode -------------------------------------------------------
def test_keras_file_round_trip(tmp_path):
    model = multi_io_model()
    model.save(tmp_path / "m.keras")
    assert_same_model(model, build_model(import_file(tmp_path / "m.keras")))


def test_model_json_round_trip(tmp_path):
    model = multi_io_model()
    (tmp_path / "m.json").write_text(model.to_json())
    assert_same_model(model, build_model(import_file(tmp_path / "m.json")))


def _lambda_model(marker):
    def touch(t):
        marker.write_text("ran")  # proof that the function was executed
        return t

    x = keras.Input((3,), name="x")
    model = keras.Model(x, keras.layers.Lambda(touch, name="sneaky")(x))
    marker.unlink()
    return model


@pytest.mark.parametrize("fmt", ["keras", "json"])
def test_lambda_layer_is_refused_and_never_run(tmp_path, fmt):
    marker = tmp_path / "marker"
    model = _lambda_model(marker)
    path = tmp_path / f"m.{fmt}"
    if fmt == "keras":
        model.save(path)
    else:
        path.write_text(model.to_json())
    with pytest.raises(ModelImportError, match="'sneaky' is a Lambda layer"):
        import_file(path)
    assert not marker.exists()


@pytest.mark.parametrize("content,message", [
    (b"PK\x03\x04 not really a zip", "the file is truncated"),  # a save cut short
    (b"", "the file is empty"),
    (b"plain text", "not a .keras file"),
])
def test_bad_keras_archive_is_refused(tmp_path, content, message):
    path = tmp_path / "bad.keras"
    path.write_bytes(content)
    with pytest.raises(ModelImportError, match=message):
        import_file(path)


def test_keras_archive_without_config_is_refused(tmp_path):
    path = tmp_path / "empty.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", "{}")
    with pytest.raises(ModelImportError, match="no config.json"):
        import_file(path)


@pytest.mark.parametrize("text,message", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "expected a serialized Keras model"),
    (json.dumps(keras.saving.serialize_keras_object(keras.layers.Dense(3))),
     "expected a Keras model"),
    (json.dumps({"class_name": "NoSuchModel", "config": {}}), "Keras could not load"),
])
def test_wrong_json_is_refused(tmp_path, text, message):
    path = tmp_path / "m.json"
    path.write_text(text)
    with pytest.raises(ModelImportError, match=message):
        import_file(path)


def test_subclassed_model_is_refused():
    class Tiny(keras.Model):
        def call(self, x):
            return x

    with pytest.raises(ModelImportError, match="without a layer graph"):
        import_model(Tiny())


def test_a_saved_subclassed_model_is_refused_in_words(tmp_path):
    """What the generated subclass-style training script saves: the archive names the class
    and none of its layers. Without the class's code the import said "'CanvasModel' object
    has no attribute 'compile_from_config'"."""
    class CanvasModel(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = keras.layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    model = CanvasModel()
    model(keras.ops.ones((1, 3)))
    model.save(tmp_path / "sub.keras")
    with pytest.raises(ModelImportError, match="CanvasModel .a keras.Model subclass. without "
                                               "a layer graph"):
        import_file(tmp_path / "sub.keras")


# ---- CLI ------------------------------------------------------------------
def test_cli_import_writes_project_and_lists_generic_layers(tmp_path, capsys):
    x = keras.Input((4, 4, 3), name="x")
    keras.Model(x, Scale(name="scale")(x)).save(tmp_path / "m.keras")
    out = tmp_path / "project.json"
    assert cli_main(["import", str(tmp_path / "m.keras"), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "scale" in printed and "KerasLayer" in printed
    doc = Project.open(out).doc
    assert doc.find("scale").kind == "KerasLayer"
    assert not doc.ui.get("positions")  # the window lays it out with its drawn sizes


def test_cli_import_prints_the_nested_model_notes(tmp_path, capsys):
    inner_in = keras.Input((8,))  # outputs in a dict: inlined, with a note
    inner = keras.Model(inner_in, {"main": keras.layers.Dense(8, name="inner_dense")(inner_in),
                                   "side": keras.layers.Dense(2, name="inner_side")(inner_in)},
                        name="inner")
    x = keras.Input((8,), name="x")
    keras.Model(x, keras.layers.Dense(2, name="head")(inner(x)["main"])).save(
        tmp_path / "m.keras")
    notes = import_model_report(keras.saving.load_model(tmp_path / "m.keras")).notes
    assert any("'inner'" in note for note in notes)
    assert cli_main(["import", str(tmp_path / "m.keras"), "-o", str(tmp_path / "p.json")]) == 0
    printed = capsys.readouterr().out
    for note in notes:
        assert note in printed
    assert printed.index(notes[0]) < printed.index("Wrote ")


def test_cli_import_refusals_exit_1(tmp_path, capsys):
    (tmp_path / "bad.keras").write_bytes(b"garbage")
    code = cli_main(["import", str(tmp_path / "bad.keras"), "-o", str(tmp_path / "p.json")])
    assert code == 1
    assert "not a .keras file" in capsys.readouterr().err
    assert not (tmp_path / "p.json").exists()
