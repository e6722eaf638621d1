"""Params Keras holds as a list come back as a list: import -> project file -> both rebuilds.

Some layers keep a sequence as given (Dot's `axes`, Softmax's `axis`, AlphaDropout's
`noise_shape`, RandomZoom/RandomTranslation factors, Discretization's `bin_boundaries`,
RandomContrast's `value_range`), and a project file (JSON) cannot tell a tuple from a
list. The importer notes the params Keras held as a list (`__lists__`), so both the
list form and the tuple form round-trip with get_config strictly equal.
"""

from __future__ import annotations

import json

import pytest

keras = pytest.importorskip("keras")

from kerascanvas.codegen import generate  # noqa: E402
from kerascanvas.graph.document import Document  # noqa: E402
from kerascanvas.graph.projectfile import from_dict, to_dict  # noqa: E402
from kerascanvas.graph.spec import AS_LISTS  # noqa: E402
from kerascanvas.graph.validate import analyze  # noqa: E402
from kerascanvas.runtime.importer import import_model  # noqa: E402
from tests.roundtrip import assert_rebuilds_equal, assert_shapes_match_keras  # noqa: E402

layers = keras.layers


def _dot(seq):
    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
    return keras.Model([a, b], layers.Dot(axes=seq([1, 1]), name="dot")([a, b]), name="dot_model")


def _one(make, shape=(6, 6, 3)):
    def model(seq):
        x = keras.Input(shape, name="x")
        return keras.Model(x, make(seq)(x), name="one")
    return model


LAYERS = {
    "Dot": _dot,
    "Softmax": _one(lambda s: layers.Softmax(axis=s([1, 2]), name="softmax")),
    "AlphaDropout": _one(lambda s: layers.AlphaDropout(0.1, noise_shape=s([None, 1, 1, 3]),
                                                       name="alpha")),
    "RandomZoom": _one(lambda s: layers.RandomZoom(s([-0.2, 0.1]), s([-0.1, 0.2]),
                                                   name="zoom")),
    "RandomTranslation": _one(lambda s: layers.RandomTranslation(s([-0.2, 0.1]),
                                                                 s([-0.1, 0.2]), name="shift")),
    "Discretization": _one(lambda s: layers.Discretization(bin_boundaries=s([0.0, 0.5]),
                                                           name="bins"), (4,)),
    "RandomContrast": _one(lambda s: layers.RandomContrast(0.2, value_range=s([0, 1]),
                                                           name="contrast")),
}
FORMS = {"list": list, "tuple": tuple}


def _through_file(model) -> Document:
    """The imported document, saved and loaded as a project file (JSON)."""
    return from_dict(json.loads(json.dumps(to_dict(import_model(model)))))


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("kind", LAYERS)
def test_list_and_tuple_forms_round_trip(kind, form):
    original = LAYERS[kind](FORMS[form])
    doc = _through_file(original)
    node = next(n for n in doc.nodes.values() if n.kind == kind)  # mapped, not a KerasLayer
    assert (AS_LISTS in node.params) == (form == "list")
    assert_shapes_match_keras(doc, original)
    assert_rebuilds_equal(original, doc)


def test_the_generated_code_writes_the_list():
    code = generate(_through_file(_dot(list)))
    assert "layers.Dot(axes=[1, 1], name='dot')" in code
    assert "layers.Dot(axes=(1, 1), name='dot')" in generate(_through_file(_dot(tuple)))


def test_a_default_value_given_as_a_list_is_kept():
    """RandomContrast(value_range=[0, 255]) equals the default (0, 255) but for its type."""
    original = LAYERS["RandomContrast"](lambda _: [0, 255])
    doc = _through_file(original)
    node = next(n for n in doc.nodes.values() if n.kind == "RandomContrast")
    assert node.params[AS_LISTS] == ["value_range"]
    assert_rebuilds_equal(original, doc)


def test_inside_a_pipeline():
    """An inner layer keeps its note."""
    x = keras.Input((6, 6, 3), name="x")
    augment = layers.Pipeline([layers.AlphaDropout(0.1, [None, 1, 1, 3], name="alpha"),
                               layers.Dropout(0.2, name="drop")], name="augment")
    y = layers.Softmax(axis=(1, 2), name="softmax")(augment(x))
    original = keras.Model(x, y, name="piped")
    doc = _through_file(original)
    pipeline = next(n for n in doc.nodes.values() if n.kind == "Pipeline")
    assert pipeline.params["layers"][0]["params"][AS_LISTS] == ["noise_shape"]
    assert_rebuilds_equal(original, doc)


@pytest.mark.parametrize("note", [["axis"], "axes", ["axes", "axes"], [1]])
def test_a_malformed_note_is_a_validation_error_naming_the_field(note):
    data = to_dict(import_model(_dot(list)))
    dot = next(n for n in data["nodes"] if n["kind"] == "Dot")
    dot["params"][AS_LISTS] = note
    analysis = analyze(from_dict(json.loads(json.dumps(data))))
    assert not analysis.valid
    message = " ".join(str(e) for e in analysis.errors)
    assert f"'dot' (Dot): Dot: {AS_LISTS} must be" in message and repr(note) in message
