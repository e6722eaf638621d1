"""A custom layer whose call() returns several tensors gets one output port per tensor:
once trusted, Keras' answer sets the count (a one-click fix), an import keeps it, and
a layer without source keeps as many ports as Keras recorded outputs. Compared with
Keras: output shapes, count_params, get_config and forward outputs with copied weights."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kerascanvas.codegen import generate
from kerascanvas.graph.document import Edge
from kerascanvas.graph.fixes import apply_fix
from kerascanvas.graph.project import Project
from kerascanvas.graph.projectfile import load, save
from kerascanvas.graph.validate import analyze
from kerascanvas.runtime import custom_code, trust
from kerascanvas.runtime.build import build_model
from kerascanvas.runtime.importer import import_model_report, load_with_code

PACKAGE = "multi_out_tests"
SOURCE = '''import keras
from keras import ops


@keras.saving.register_keras_serializable(package="multi_out_tests")
class SplitAux(keras.layers.Layer):
    """(x @ w, sum of x @ w): a projection and an auxiliary score."""

    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), name="w")

    def call(self, x):
        y = ops.matmul(x, self.w)
        return y, ops.sum(y, axis=-1, keepdims=True)

    def get_config(self):
        return {**super().get_config(), "units": self.units}
'''


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("KERASCANVAS_DATA_DIR", str(tmp_path / "data"))
    yield
    forget()


def forget() -> None:
    keras.saving.get_custom_objects().pop(f"{PACKAGE}>SplitAux", None)


def user_class():
    namespace: dict = {}
    exec(SOURCE, namespace)  # the user's own script, not the app
    return namespace["SplitAux"]


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    """x -> SplitAux(4) -> (y, aux); Dense(3) on y, Dense(2) on aux; aux an output too."""
    x = keras.Input((6,), name="x")
    y, aux = user_class()(4, name="split")(x)
    proj = keras.layers.Dense(3, name="proj")(y)
    head = keras.layers.Dense(2, name="head")(aux)
    model = keras.Model(x, [proj, head, aux], name="multi")
    folder = tmp_path_factory.mktemp("multi")
    (folder / "layers.py").write_text(SOURCE)
    model.save(folder / "multi.keras")
    forget()
    return folder, model


def assert_same_model(original, rebuilt):
    assert rebuilt.count_params() == original.count_params()
    for a, b in zip(original.layers, rebuilt.layers, strict=True):
        assert type(a).__name__ == type(b).__name__
        assert a.get_config() == b.get_config(), a.name
    rebuilt.set_weights(original.get_weights())
    x = np.random.default_rng(0).normal(size=(5, 6)).astype("float32")
    for want, got in zip(original.predict(x, verbose=0), rebuilt.predict(x, verbose=0),
                         strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_keras_answer_gives_the_node_one_port_per_tensor():
    project = Project()
    doc = project.doc
    x = doc.add_node("Input", "x", {"shape": [6]})
    node = doc.add_node("CustomLayer", "split", {"class_name": "SplitAux", "source": SOURCE,
                                                 "package": PACKAGE, "kwargs": {"units": 4}})
    doc.connect(Edge(x.id, 0, node.id, 0))
    doc.set_outputs([node.id])
    trust.apply(doc, True)
    custom_code.resolve(doc)
    issues = analyze(doc).issues
    assert [i.code for i in issues] == ["custom_outputs"]
    assert "returns 2 tensor(s)" in issues[0].message
    apply_fix(doc, issues[0], "set_custom_outputs", project.stack)
    assert doc.node(node.id).params["outputs"] == 2
    head = doc.add_node("Dense", "head", {"units": 2})
    doc.connect(Edge(node.id, 1, head.id, 0))
    doc.set_outputs([node.id, head.id, f"{node.id}:1"])
    analysis = analyze(doc)
    assert analysis.valid, analysis.issues
    inputs = keras.Input((6,), name="x")
    y, aux = user_class()(4, name="split")(inputs)
    reference = keras.Model(inputs, [y, keras.layers.Dense(2, name="head")(aux), aux])
    result = analysis.results[node.id]
    assert result.output_shapes == [tuple(y.shape), tuple(aux.shape)]
    assert sum(result.count) == reference.get_layer("split").count_params()
    assert sum(analysis.total_params) == reference.count_params()
    namespace: dict = {}
    exec(compile(generate(doc), "generated.py", "exec"), namespace)
    assert_same_model(reference, namespace["build_model"]())
    project.stack.undo()  # back to one port: the issue again
    assert doc.node(node.id).params.get("outputs", 1) == 1


def test_import_keeps_the_ports_and_the_model_round_trips(model_file, tmp_path):
    folder, _ = model_file
    doc = import_model_report(*load_with_code(folder / "multi.keras", folder / "layers.py",
                                              trusted=True)).doc
    node = doc.find("split")
    assert node.kind == "CustomLayer" and node.params["outputs"] == 2
    assert sorted(e.src_port for e in doc.out_edges(node.id)) == [0, 1]
    assert analyze(doc).valid
    path = tmp_path / "multi.json"
    save(doc, path)
    again = load(path)
    assert again.outputs == doc.outputs and f"{node.id}:1" in again.outputs
    original = load_with_code(folder / "multi.keras", folder / "layers.py", trusted=True)[0]
    namespace: dict = {}
    exec(compile(generate(doc), "generated.py", "exec"), namespace)
    assert_same_model(original, namespace["build_model"]())
    assert_same_model(original, build_model(doc))


def test_layer_without_source_keeps_a_port_per_recorded_output(model_file):
    folder, original = model_file
    doc = import_model_report(*load_with_code(folder / "multi.keras", None, False)).doc
    node = doc.find("split")
    assert node.params["source"] == "" and node.params["outputs"] == 2
    analysis = analyze(doc)
    assert {i.code for i in analysis.issues} == {"custom_no_source"}
    layer = original.get_layer("split")
    assert analysis.results[node.id].output_shapes == [tuple(t.shape) for t in layer.output]
    head = analysis.results[doc.find("head").id]
    assert head.output_shapes == [tuple(original.get_layer("head").output.shape)]
