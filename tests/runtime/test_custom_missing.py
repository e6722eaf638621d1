"""A model whose custom layer source is not given still imports: the layer becomes a
CustomLayer node without source (registered name, class name, config and the shapes
Keras recorded kept). Nothing runs; validation, codegen and run refuse it with one
clear message; once the class is attached and trusted, the rebuilt model equals
Keras' original (count_params, get_config, forward outputs)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kerascanvas.app.cli import main
from kerascanvas.codegen import generate
from kerascanvas.codegen.errors import CodegenError
from kerascanvas.graph.project import Project
from kerascanvas.graph.projectfile import dumps, loads
from kerascanvas.graph.summary import format_summary
from kerascanvas.graph.validate import analyze
from kerascanvas.runtime import custom_code, trust
from kerascanvas.runtime.build import BuildError, build_model
from kerascanvas.runtime.importer import import_model_report, load_with_code

PACKAGE = "missing_src_tests"
CLASS_SOURCE = '''

class Gate(keras.layers.Layer):
    """x * sigmoid(x @ w): one weight matrix, output width `units`."""

    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), name="w")
        self.p = self.add_weight(shape=(input_shape[-1], self.units), name="p")

    def call(self, x):
        return ops.matmul(x, self.p) * ops.sigmoid(ops.matmul(x, self.w))

    def get_config(self):
        return {**super().get_config(), "units": self.units}
'''
HEAD = "import keras\nfrom keras import ops\n"


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("KERASCANVAS_DATA_DIR", str(tmp_path / "data"))
    yield
    forget_gate()  # code a test ran registers Gate again


def forget_gate() -> None:
    keras.saving.get_custom_objects().pop(f"{PACKAGE}>Gate", None)


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    """Input(6) -> Gate(5) -> Dense(2) and Gate as a second output; then Gate's class
    is forgotten by Keras, as in a process that never saw the user's code."""
    namespace: dict = {}
    exec(HEAD + CLASS_SOURCE, namespace)  # the user's own script, not the app
    gate = keras.saving.register_keras_serializable(package=PACKAGE)(namespace["Gate"])
    x = keras.Input((6,), name="x")
    g = gate(5, name="gate")(x)
    out = keras.layers.Dense(2, name="head")(g)
    model = keras.Model(x, [out, g], name="gated")
    path = tmp_path_factory.mktemp("missing") / "gated.keras"
    model.save(path)
    forget_gate()
    return path, model


def test_import_keeps_the_layer_without_source_and_its_recorded_shapes(model_file):
    path, original = model_file
    notes: list[str] = []
    doc = import_model_report(*load_with_code(path, None, False, notes)).doc
    node = doc.find("gate")
    assert node.kind == "CustomLayer"
    assert node.params["source"] == "" and node.params["class_name"] == "Gate"
    assert node.params["package"] == PACKAGE and node.params["kwargs"] == {"units": 5}
    assert f"registered name {PACKAGE}>Gate" in notes[0]
    analysis = analyze(doc)
    (issue,) = analysis.issues
    assert issue.node == node.id and issue.fixes == ("attach_source",)
    assert issue.message.startswith(f"custom layer 'gate' (registered name {PACKAGE}>Gate) "
                                    "has no source: attach its class")
    gate = original.get_layer("gate")  # its weights: shapes read from the archive
    assert analysis.results[node.id].count == (gate.count_params(), 0)
    assert sum(analysis.total_params) == original.count_params()
    head = analysis.results[doc.find("head").id]  # inferred past it from Keras' records
    assert head.input_shapes == [tuple(original.get_layer("gate").output.shape)]
    assert head.output_shapes == [tuple(original.get_layer("head").output.shape)]
    with pytest.raises(CodegenError, match="has no source"):
        generate(doc)
    with pytest.raises(BuildError, match="has no source"):
        build_model(doc)


def test_attach_then_trust_rebuilds_the_original_and_runs_nothing_before(
        model_file, tmp_path):
    path, original = model_file
    project, marker = tmp_path / "p.json", tmp_path / "ran.txt"
    assert main(["import", str(path), "-o", str(project)]) == 0
    assert main(["validate", str(project)]) == 1  # no source: invalid, nothing to trust
    assert main(["run", str(project), "--epochs", "1"]) == 1
    code = tmp_path / "gate.py"
    hostile = f"    ran = open({str(marker)!r}, 'a').write('ran')  # runs when defined\n"
    code.write_text(HEAD + CLASS_SOURCE.replace('"""\n', '"""\n' + hostile, 1))
    assert main(["attach-code", str(project), str(code)]) == 0
    assert main(["validate", str(project)]) == 4  # source now, not trusted
    assert main(["codegen", str(project), "-o", str(tmp_path / "m.py")]) == 4
    assert main(["run", str(project), "--epochs", "1"]) == 4
    assert not marker.exists()
    opened = Project.open(project)
    assert opened.doc.find("gate").params["output_shapes"]  # the recorded shapes stay
    trust.apply(opened.doc, True)  # as --trust-custom-code does (its worker: test_custom_layers)
    custom_code.resolve(opened.doc)
    assert marker.exists()  # trusted: now it ran
    source = generate(opened.doc)
    assert source.count("class Gate(keras.layers.Layer):") == 1
    namespace: dict = {}
    exec(compile(source, "m.py", "exec"), namespace)
    rebuilt = namespace["build_model"]()
    assert rebuilt.count_params() == original.count_params()
    for a, b in zip(original.layers, rebuilt.layers, strict=True):
        assert type(a).__name__ == type(b).__name__ and a.get_config() == b.get_config()
    rebuilt.set_weights(original.get_weights())
    x = np.random.default_rng(0).normal(size=(4, 6)).astype("float32")
    for want, got in zip(original.predict(x, verbose=0), rebuilt.predict(x, verbose=0),
                         strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_attach_code_names_what_it_could_not_attach(model_file, tmp_path, capsys):
    path, _ = model_file
    project = tmp_path / "p.json"
    assert main(["import", str(path), "-o", str(project)]) == 0
    other = tmp_path / "other.py"
    other.write_text("class Other:\n    pass\n")
    assert main(["attach-code", str(project), str(other)]) == 1
    assert "defines none of the classes asked for (found: Other)" in capsys.readouterr().err
    assert main(["attach-code", str(project), str(other), "--node", "head"]) == 1
    assert "expected a CustomLayer node, received Dense" in capsys.readouterr().err


def test_a_sequential_and_a_shared_layer_without_source_keep_their_shapes(tmp_path):
    """In a Sequential the next layer's build_config gives the output shape; a layer
    called twice is one node and a SharedCall, both answered from Keras' records."""
    namespace: dict = {}
    exec(HEAD + CLASS_SOURCE, namespace)
    gate = keras.saving.register_keras_serializable(package=PACKAGE)(namespace["Gate"])
    seq = keras.Sequential([keras.Input((5,)), gate(4, name="g"),
                            keras.layers.Dense(2, name="d")], name="seq")
    shared = gate(5, name="shared")
    a, b = keras.Input((5,), name="a"), keras.Input((5,), name="b")
    twice = keras.Model([a, b], keras.layers.Add(name="add")([shared(a), shared(b)]))
    for model in (seq, twice):
        model.save(tmp_path / f"{model.name}.keras")
    forget_gate()
    for model in (seq, twice):
        doc = import_model_report(*load_with_code(tmp_path / f"{model.name}.keras")).doc
        analysis = analyze(doc)
        assert [i.code for i in analysis.issues] == ["custom_no_source"]
        for layer in model.layers[1:]:
            node = doc.find(layer.name)
            assert analysis.results[node.id].output_shapes == [tuple(layer.output.shape)]
        if model is twice:
            call = doc.find("shared_call1")
            assert call.kind == "SharedCall"
            assert analysis.results[call.id].output_shapes == [(None, 5)]


def test_a_block_with_a_layer_without_source_passes_on_keras_recorded_shapes(tmp_path):
    """A nested model holding the layer imports as a block: its instance keeps the "no
    source" issue, and the shapes after it are Keras' (also in a block inside a block)."""
    namespace: dict = {}
    exec(HEAD + CLASS_SOURCE, namespace)
    gate = keras.saving.register_keras_serializable(package=PACKAGE)(namespace["Gate"])
    inner_in = keras.Input((6,), name="inner_in")
    inner = keras.Model(inner_in, keras.layers.Dense(3, name="d")(gate(5, name="g")(inner_in)),
                        name="inner")
    outer_in = keras.Input((6,), name="outer_in")
    outer = keras.Model(outer_in, keras.layers.ReLU(name="r")(inner(outer_in)), name="outer")
    x = keras.Input((6,), name="x")
    model = keras.Model(x, keras.layers.Dense(2, name="head")(outer(x)), name="nested")
    model.save(tmp_path / "nested.keras")
    forget_gate()
    doc = import_model_report(*load_with_code(tmp_path / "nested.keras")).doc
    assert doc.find("outer").kind == "UserBlock"
    analysis = analyze(doc)
    assert [(doc.nodes[i.node].name, i.code) for i in analysis.issues] == \
        [("outer", "custom_no_source")]
    for name in ("outer", "head"):
        node = doc.find(name)
        assert analysis.results[node.id].output_shapes == \
            [tuple(model.get_layer(name).output.shape)]
    outer = analysis.results[doc.find("outer").id]  # Gate's weights from the archive
    assert sum(outer.count) == model.get_layer("outer").count_params()
    assert sum(analysis.total_params) == model.count_params()


def test_without_the_weights_file_the_count_is_unknown_not_zero(model_file, tmp_path):
    """A model JSON has no weights: the layer's count shows as unknown ("?"), left out of
    the totals, which say so; the count read from an archive survives the project file."""
    path, original = model_file
    archived = import_model_report(*load_with_code(path, None, False)).doc
    archived = loads(dumps(archived))
    assert sum(analyze(archived).total_params) == original.count_params()
    config = tmp_path / "gated.json"
    config.write_text(original.to_json())
    doc = import_model_report(*load_with_code(config, None, False)).doc
    analysis = analyze(doc)
    node = doc.find("gate")
    assert analysis.results[node.id].count is None and analysis.uncounted == [node.id]
    head = original.get_layer("head").count_params()
    assert analysis.total_params == (head, 0)
    text = format_summary(doc, analysis)
    assert "(nodes marked ? are not counted)" in text
    gate_row = next(line for line in text.splitlines() if line.startswith("gate "))
    assert "?" in gate_row.split()
