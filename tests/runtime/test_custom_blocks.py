"""CustomLayer nodes inside user blocks: a block made from a selection (inlined, used
twice) and a nested-model block. Trust is still required (untrusted code never runs:
its class writes a marker file when defined), generated code writes the class once,
and the models equal the same models written directly in Keras."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kerascanvas.app.cli import main
from kerascanvas.codegen import generate
from kerascanvas.codegen.errors import CodegenError
from kerascanvas.graph.commands import UndoStack
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.project import Project
from kerascanvas.graph.projectfile import save
from kerascanvas.graph.userblock_commands import make_block
from kerascanvas.graph.validate import analyze
from kerascanvas.runtime import custom_code, trust
from kerascanvas.runtime.build import BuildError, build_model

CLASS = ("class Twice(keras.layers.Layer):\n{marker}"
         "    def call(self, x):\n"
         "        return keras.ops.concatenate([x, x], axis=-1)\n")


def twice_class():
    """The user's class, as the user's own Keras script defines and registers it."""
    namespace: dict = {}
    exec("import keras\n" + CLASS.format(marker=""), namespace)
    return keras.saving.register_keras_serializable(package="Custom")(namespace["Twice"])


def block_doc(tmp_path, instances: int = 2) -> tuple[Document, object]:
    """x -> [Twice -> Dense(3)] (a block made from that selection) x `instances` -> Dense(2)."""
    marker = tmp_path / "ran.txt"
    line = f"    ran = open({str(marker)!r}, 'a').write('ran')\n\n"
    doc = Document()
    x = doc.add_node("Input", "x", {"shape": [4]})
    c = doc.add_node("CustomLayer", "twice", {"class_name": "Twice",
                                              "source": "import keras\n\n\n" +
                                              CLASS.format(marker=line)})
    d = doc.add_node("Dense", "d", {"units": 3})
    out = doc.add_node("Dense", "out", {"units": 2})
    doc.connect(Edge(x.id, 0, c.id, 0))
    doc.connect(Edge(c.id, 0, d.id, 0))
    doc.connect(Edge(d.id, 0, out.id, 0))
    doc.set_outputs([out.id])
    last = make_block(doc, UndoStack(), [c.id, d.id], "tw_block")
    for _ in range(instances - 1):
        doc.disconnect(Edge(last.id, 0, out.id, 0))
        again = doc.add_node("UserBlock", None, {"block": "tw_block"})
        doc.connect(Edge(last.id, 0, again.id, 0))
        doc.connect(Edge(again.id, 0, out.id, 0))
        last = again
    return doc, marker


def rebuilt(doc):
    source = generate(doc)
    namespace: dict = {}
    exec(compile(source, "generated.py", "exec"), namespace)
    return namespace["build_model"](), source


def without_module(config):
    """A config without the Python module a custom class was defined in (the user's
    script here, the project's loader in the app: the same class either way)."""
    if isinstance(config, dict):
        return {k: without_module(v) for k, v in config.items()
                if not (k == "module" and config.get("class_name") == "Twice")}
    if isinstance(config, list | tuple):
        return [without_module(v) for v in config]
    return config


def assert_same(reference, model):
    assert model.count_params() == reference.count_params()
    assert [type(a).__name__ for a in reference.layers] == [type(b).__name__ for b in
                                                            model.layers]
    for a, b in zip(reference.layers, model.layers, strict=True):
        assert without_module(a.get_config()) == without_module(b.get_config()), a.name
    model.set_weights(reference.get_weights())
    x = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), reference.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-6)


def test_a_block_with_custom_code_needs_trust_and_writes_the_class_once(tmp_path):
    doc, marker = block_doc(tmp_path)
    (error,) = analyze(doc).errors  # on the first instance (the second waits for its shape)
    assert error.code == "custom_untrusted" and error.node == doc.find("tw_block").id
    assert "twice: custom code not trusted: class Twice" in error.message
    with pytest.raises(CodegenError, match="not trusted"):
        generate(doc)
    with pytest.raises(BuildError, match="not trusted"):
        build_model(doc)
    assert not marker.exists()
    trust.apply(doc, True)
    custom_code.resolve(doc)
    analysis = analyze(doc)
    assert analysis.valid, analysis.issues
    assert marker.exists()
    model, source = rebuilt(doc)
    assert source.count("class Twice(keras.layers.Layer):") == 1
    assert source.count("register_keras_serializable") == 1
    names = [layer.name for layer in model.layers]
    twice = twice_class()
    x = keras.Input((4,), name="x")
    h = keras.layers.Dense(3, name=names[2])(twice(name=names[1])(x))
    h = keras.layers.Dense(3, name=names[4])(twice(name=names[3])(h))
    reference = keras.Model(x, keras.layers.Dense(2, name="out")(h))
    assert sum(analysis.total_params) == reference.count_params()
    assert_same(reference, model)
    assert_same(reference, build_model(doc))


def test_a_nested_model_block_with_custom_code_rebuilds_like_keras(tmp_path):
    doc, marker = block_doc(tmp_path, instances=1)
    doc.blocks["tw_block"]["model"] = {"class": "Functional"}
    assert "not trusted" in analyze(doc).errors[0].message
    trust.apply(doc, True)
    custom_code.resolve(doc)
    assert analyze(doc).valid
    twice = twice_class()
    inner_in = keras.Input((4,), name="tw_block_input")
    inner = keras.Model(inner_in, keras.layers.Dense(3, name="d")(
        twice(name="twice")(inner_in)), name="tw_block")
    x = keras.Input((4,), name="x")
    reference = keras.Model(x, keras.layers.Dense(2, name="out")(inner(x)))
    model, source = rebuilt(doc)
    assert source.count("class Twice(keras.layers.Layer):") == 1
    assert_same(reference, model)
    assert [type(a).__name__ for a in model.get_layer("tw_block").layers] == \
        ["InputLayer", "Twice", "Dense"]
    assert_same(reference, build_model(doc))


def test_attach_code_fills_a_node_without_source_inside_a_block(tmp_path, monkeypatch,
                                                                 capsys):
    monkeypatch.setenv("KERASCANVAS_DATA_DIR", str(tmp_path / "data"))
    doc, _ = block_doc(tmp_path, instances=1)
    inner = doc.blocks["tw_block"]["nodes"][0]
    inner["params"].update(source="", package="pkg")
    path = tmp_path / "p.json"
    save(doc, path)
    (error,) = analyze(Project.open(path).doc).errors
    assert "custom layer 'Twice' (registered name pkg>Twice) has no source" in error.message
    code = tmp_path / "layers.py"
    code.write_text("import keras\n\n\n" + CLASS.format(marker=""))
    assert main(["attach-code", str(path), str(code)]) == 0
    assert "tw_block.twice (pkg>Twice): attached" in capsys.readouterr().out
    opened = Project.open(path).doc
    assert "class Twice" in opened.blocks["tw_block"]["nodes"][0]["params"]["source"]
    assert "not trusted" in analyze(opened).errors[0].message  # trust applies as before


def test_an_imported_sub_model_with_a_custom_layer_stays_nested_and_round_trips(
        tmp_path, monkeypatch):
    from kerascanvas.runtime.importer import import_model_report, load_with_code
    from tests.runtime.test_custom_layers import CODE, user_module

    monkeypatch.setenv("KERASCANVAS_DATA_DIR", str(tmp_path / "data"))
    sub_in = keras.Input((6,), name="sub_in")
    sub = keras.Model(sub_in, user_module().CustomDense(4, name="embed")(sub_in), name="sub")
    x = keras.Input((6,), name="x")
    keras.Model(x, keras.layers.Dense(2, name="head")(sub(x))).save(tmp_path / "m.keras")
    original, classes = load_with_code(tmp_path / "m.keras", CODE, trusted=True)
    doc = import_model_report(original, classes).doc
    assert [n["kind"] for n in doc.blocks["sub"]["nodes"]] == ["CustomLayer"]
    model, source = rebuilt(doc)
    assert source.count("class CustomDense(keras.layers.Layer):") == 1
    assert [type(a).__name__ for a in model.get_layer("sub").layers] == \
        ["InputLayer", "CustomDense"]
    reference = load_with_code(tmp_path / "m.keras", CODE, trusted=True)[0]
    model.set_weights(reference.get_weights())
    assert model.count_params() == reference.count_params()
    assert model.get_layer("sub").get_layer("embed").get_config() == \
        reference.get_layer("sub").get_layer("embed").get_config()
    data = np.random.default_rng(1).normal(size=(3, 6)).astype("float32")
    np.testing.assert_allclose(model.predict(data, verbose=0),
                               reference.predict(data, verbose=0), rtol=1e-6, atol=1e-6)
