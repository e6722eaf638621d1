"""A layer named "" or with spaces only is a layer of that name, as in Keras: Keras 3 keeps
`Dense(2, name="")` named "" (only `name=None` gets an automatic name), and builds, trains
and saves it; two layers of one name clash, and '/' is refused, there as here."""

from __future__ import annotations

import keras
import pytest

from kerascanvas.codegen import STYLES, generate
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.errors import DocumentError
from kerascanvas.graph.projectfile import dumps, loads
from kerascanvas.graph.validate import analyze
from kerascanvas.runtime.build import build_model
from kerascanvas.runtime.importer import import_model

NAMES = [("", " "), (" ", "\t"), ("", "out"), ("   ", "")]


def keras_model(hidden: str, out: str) -> keras.Model:
    x = keras.Input((3,), name="x")
    return keras.Model(x, keras.layers.Dense(2, name=out)(keras.layers.Dense(4, name=hidden)(x)))


def graph(hidden: str, out: str) -> Document:
    doc = Document()
    x = doc.add_node("Input", "x", {"shape": [3]}).id
    h = doc.add_node("Dense", "h", {"units": 4}).id
    o = doc.add_node("Dense", "o", {"units": 2}).id
    doc.connect(Edge(x, 0, h, 0))
    doc.connect(Edge(h, 0, o, 0))
    doc.outputs = [o]
    doc.rename(h, hidden)
    doc.rename(o, out)
    return doc


def layer_configs(model: keras.Model) -> list[dict]:
    return [layer.get_config() for layer in model.layers
            if not isinstance(layer, keras.layers.InputLayer)]


def test_keras_keeps_an_empty_name():
    assert keras.layers.Dense(2, name="").name == ""
    assert keras.layers.Dense(2, name=" ").name == " "
    assert keras.layers.Dense(2).name.startswith("dense")


@pytest.mark.parametrize("hidden, out", NAMES)
def test_built_as_keras_builds_it(hidden, out):
    doc, theirs = graph(hidden, out), keras_model(hidden, out)
    assert analyze(doc).errors == []
    ours = build_model(doc)
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    assert [w.path for w in ours.weights] == [w.path for w in theirs.weights]
    assert layer_configs(ours) == layer_configs(theirs)


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("hidden, out", NAMES[:2])
def test_the_code_keeps_the_name(style, hidden, out):
    """`name=''` stays in the code: leaving it out would have Keras name the layer
    `dense`, another model than the one trained."""
    source = generate(graph(hidden, out), style=style)
    assert f"name={hidden!r}" in source and f"name={out!r}" in source
    scope: dict = {}
    exec(compile(source, "generated.py", "exec"), scope)
    assert layer_configs(scope["build_model"]()) == layer_configs(keras_model(hidden, out))


def test_a_file_and_an_imported_model_keep_the_names():
    """A Keras model holding such names imports, saves and opens again (the file was
    refused when opened: 'a layer name must be a non-empty string')."""
    doc = import_model(keras_model("", " "))
    assert sorted(n.name for n in doc.nodes.values()) == ["", " ", "x"]
    again = loads(dumps(doc))
    assert analyze(again).errors == []
    assert layer_configs(build_model(again)) == layer_configs(keras_model("", " "))


def test_one_name_twice_and_a_slash_are_refused_as_keras_refuses_them():
    with pytest.raises(ValueError, match='The name "" is used 2 times'):
        keras_model("", "")
    with pytest.raises(DocumentError, match="already used"):
        graph("", "")
    with pytest.raises(ValueError, match="cannot contain character `/`"):
        keras.layers.Dense(2, name="a/b")
    with pytest.raises(DocumentError, match="cannot contain '/'"):
        graph("a/b", "out")


@pytest.mark.parametrize("kind, params, shape, made", [
    ("Pipeline", {"layers": [{"kind": "Dense", "params": {"units": 3}, "name": ""}]}, (4,),
     lambda: keras.layers.Pipeline([keras.layers.Dense(3, name="")], name="held")),
    ("TimeDistributed", {"layer": {"kind": "Dense", "params": {"units": 3}, "name": " "}},
     (5, 4), lambda: keras.layers.TimeDistributed(keras.layers.Dense(3, name=" "), name="held")),
])
def test_an_inner_layer_keeps_the_name_too(kind, params, shape, made):
    """A wrapper's inner layer named '' was refused ('an inner layer name without /'),
    and read as no name (Keras' automatic one) where it came from a file."""
    doc = Document()
    x = doc.add_node("Input", "x", {"shape": list(shape)}).id
    held = doc.add_node(kind, "held", params).id
    doc.connect(Edge(x, 0, held, 0))
    doc.outputs = [held]
    assert analyze(doc).errors == []
    inp = keras.Input(shape, name="x")
    theirs = keras.Model(inp, made()(inp))
    assert [w.path for w in build_model(doc).weights] == [w.path for w in theirs.weights]
    scope: dict = {}
    exec(compile(generate(doc), "generated.py", "exec"), scope)
    assert [w.path for w in scope["build_model"]().weights] == [w.path for w in theirs.weights]
